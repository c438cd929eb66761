/**
 * The inbox: work external agents pull. `GET /v1/inbox` lists the parts, `POST /v1/inbox/claim`
 * claims one (long-polling up to `waitMs`), and the claimer reports on it with
 * `POST /v1/inbox/:partId/{progress,complete,fail,release}`.
 */
import { JsonSchema, SkillNameSchema } from '@swarm/protocol'
import { z } from 'zod'
import { queryParam } from '../http.js'
import type { Route } from '../http.js'
import type { NodeApi } from '../node-api.js'

const ClaimIdSchema = z.string().min(1).max(64).optional()

const ClaimBodySchema = z.object({
  skills: z.array(SkillNameSchema).max(64).optional(),
  worker: z.string().trim().min(1).max(128).optional(),
  leaseMs: z.number().int().min(1_000).max(3_600_000).optional(),
  waitMs: z.number().int().min(0).max(300_000).default(0)
}).strict()

const ProgressBodySchema = z.object({
  claimId: ClaimIdSchema,
  fraction: z.number().min(0).max(1).optional(),
  message: z.string().max(4096).optional(),
  checkpoint: JsonSchema.optional()
}).strict()

const CompleteBodySchema = z.object({
  claimId: ClaimIdSchema,
  output: JsonSchema
}).strict()

const FailBodySchema = z.object({
  claimId: ClaimIdSchema,
  message: z.string().trim().min(1, 'say why the part failed').max(4096)
}).strict()

const ReleaseBodySchema = z.object({
  claimId: ClaimIdSchema,
  reason: z.string().max(4096).optional()
}).strict()

const SkillParamSchema = SkillNameSchema.optional()
const StateParamSchema = z.enum(['waiting', 'claimed']).optional()

export function inboxRoutes (api: NodeApi): Route[] {
  const { inbox } = api
  return [
    {
      method: 'GET',
      path: '/v1/inbox',
      handler: ({ query }) => {
        const skill = queryParam(query, 'skill', SkillParamSchema)
        const state = queryParam(query, 'state', StateParamSchema)
        return { json: { parts: inbox.list({ ...(skill !== undefined ? { skill } : {}), ...(state !== undefined ? { state } : {}) }) } }
      }
    },
    {
      method: 'POST',
      path: '/v1/inbox/claim',
      handler: async ({ body, res }) => {
        const request = await body(ClaimBodySchema)
        // The worker hanging up while it waits drops its wait: no part is claimed for it.
        const gone = new AbortController()
        const onClose = (): void => { if (!res.writableFinished) gone.abort() }
        res.on('close', onClose)
        try {
          const part = await inbox.claim(request, gone.signal)
          if (part !== null && gone.signal.aborted) {
            inbox.release(part.partId, { claimId: part.claimId, reason: 'the worker went away before it got the claim' })
            return undefined
          }
          return { json: { part } }
        } finally {
          res.off('close', onClose)
        }
      }
    },
    {
      method: 'POST',
      path: '/v1/inbox/:partId/progress',
      handler: async ({ params, body }) => ({ json: inbox.progress(params.partId ?? '', await body(ProgressBodySchema)) })
    },
    {
      method: 'POST',
      path: '/v1/inbox/:partId/complete',
      handler: async ({ params, body }) => ({ json: inbox.complete(params.partId ?? '', await body(CompleteBodySchema)) })
    },
    {
      method: 'POST',
      path: '/v1/inbox/:partId/fail',
      handler: async ({ params, body }) => ({ json: inbox.fail(params.partId ?? '', await body(FailBodySchema)) })
    },
    {
      method: 'POST',
      path: '/v1/inbox/:partId/release',
      handler: async ({ params, body }) => ({ json: inbox.release(params.partId ?? '', await body(ReleaseBodySchema)) })
    }
  ]
}
