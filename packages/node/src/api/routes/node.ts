/**
 * The node itself: `GET /v1/status`, `/v1/peers`, `/v1/agents` and the Prometheus `/metrics`.
 */
import { LevelSchema, SkillNameSchema } from '@swarm/protocol'
import { queryParam } from '../http.js'
import type { Route } from '../http.js'
import type { NodeApi } from '../node-api.js'

export function nodeInfoRoutes (api: NodeApi): Route[] {
  return [
    { method: 'GET', path: '/v1/status', handler: () => ({ json: api.status() }) },
    {
      method: 'GET',
      path: '/metrics',
      handler: async () => {
        if (api.metrics === undefined) {
          return { status: 404, json: { error: { code: 'METRICS_DISABLED', message: 'metrics are off on this node: set metrics.enabled to true in its config file' } } }
        }
        return await api.metrics.exposition()
      }
    },
    { method: 'GET', path: '/v1/peers', handler: () => ({ json: { peers: api.peers() } }) },
    {
      method: 'GET',
      path: '/v1/agents',
      handler: ({ query }) => {
        const skill = queryParam(query, 'skill', SkillNameSchema.optional())
        const minLevel = queryParam(query, 'minLevel', LevelSchema.optional())
        return { json: { agents: api.agents(skill === undefined ? undefined : { skill, minLevel }) } }
      }
    }
  ]
}
