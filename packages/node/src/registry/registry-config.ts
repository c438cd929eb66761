import { parseConfig, mergeConfig } from '../config.js'
import { SwarmError } from '../errors.js'
import type { NodeConfig, NodeConfigInput } from '../config.js'

/** Where a registry listens unless told otherwise: a fixed port, so that its address is known. */
export const REGISTRY_LISTEN = '/ip4/0.0.0.0/tcp/4100'
/** The registry's control API port (an agent's default is 7400: both fit on one machine). */
export const REGISTRY_API_PORT = 7500

/**
 * The settings of the bootstrap registry: no skills and no capacity (it never bids nor joins a
 * group), a DHT server, a circuit relay server, gossip peer exchange, room for many connections,
 * and a fixed listen port. `input` overrides any of them except the role, skills and capacity.
 */
export function registryConfig (input: NodeConfigInput | Record<string, unknown> = {}): NodeConfig {
  const given = input as Record<string, unknown>
  if (Array.isArray(given.skills) && given.skills.length > 0) {
    throw new SwarmError('CONFIG_INVALID', 'the registry has no skills: start an agent with `swarm-node start --skill ...` for work, and drop the skills from the registry\'s configuration')
  }
  if (given.role !== undefined && given.role !== 'registry') {
    throw new SwarmError('CONFIG_INVALID', `a registry runs with role "registry", not "${String(given.role)}"`)
  }
  const defaults: Record<string, unknown> = {
    name: 'registry',
    listen: [REGISTRY_LISTEN],
    dht: 'server',
    api: { port: REGISTRY_API_PORT },
    relay: { server: true },
    connections: { maxConnections: 1000, maxIncomingPendingConnections: 50 }
  }
  const { skills: _skills, capacity: _capacity, ...rest } = given
  return parseConfig(mergeConfig(mergeConfig(defaults, rest), { role: 'registry', skills: [], capacity: 0 }), 'registry configuration')
}
