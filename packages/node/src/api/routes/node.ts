/**
 * The node itself: `GET /v1/status`, `/v1/peers`, `/v1/agents`, the Prometheus `/metrics`, and
 * who may connect (`GET /v1/access`, `POST /v1/access/block`, `POST /v1/access/unblock`).
 */
import { LevelSchema, SkillNameSchema } from '@swarm/protocol'
import { z } from 'zod'
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
    },
    { method: 'GET', path: '/v1/access', handler: () => ({ json: api.access() }) },
    {
      method: 'POST',
      path: '/v1/access/block',
      handler: async ({ body }) => {
        const { peerId, reason } = await body(BlockBodySchema)
        return { json: await api.block(peerId, reason) }
      }
    },
    {
      method: 'POST',
      path: '/v1/access/unblock',
      handler: async ({ body }) => {
        const { peerId } = await body(UnblockBodySchema)
        return { json: api.unblock(peerId) }
      }
    }
  ]
}

const UnblockBodySchema = z.object({ peerId: z.string().min(1).max(128) }).strict()
const BlockBodySchema = UnblockBodySchema.extend({ reason: z.string().min(1).max(256).optional() }).strict()
