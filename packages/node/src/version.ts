/** Software name and version advertised in agent cards and the control API. */
export const SOFTWARE = { name: 'swarm-node', version: '0.1.0' } as const
