import { LevelSchema, SkillNameSchema } from '@swarm/protocol'
import { queryParam, startEventStream } from './http.js'
import type { Route } from './http.js'
import type { SwarmNode } from '../node.js'

/** The endpoints of the control API, over a node. */
export function nodeRoutes (node: SwarmNode): Route[] {
  return [
    { method: 'GET', path: '/v1/status', handler: () => ({ json: node.status() }) },
    { method: 'GET', path: '/v1/peers', handler: () => ({ json: { peers: node.peers() } }) },
    {
      method: 'GET',
      path: '/v1/agents',
      handler: ({ query }) => {
        const skill = queryParam(query, 'skill', SkillNameSchema.optional())
        const minLevel = queryParam(query, 'minLevel', LevelSchema.optional())
        return { json: { agents: node.agents(skill === undefined ? undefined : { skill, minLevel }) } }
      }
    },
    {
      method: 'GET',
      path: '/v1/events',
      handler: ({ res }) => {
        const stream = startEventStream(res)
        stream.send('hello', { peerId: node.peerId.toString() })
        const off = node.onAny((event, payload) => { stream.send(event, payload) })
        stream.onClose(off)
        return undefined
      }
    }
  ]
}
