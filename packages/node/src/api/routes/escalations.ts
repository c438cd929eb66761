/** Issues handed to a human: `GET /v1/escalations` and `POST /v1/escalations/:id/resolve`. */
import { z } from 'zod'
import { queryParam } from '../http.js'
import { TaskParamSchema } from './groups.js'
import type { Route } from '../http.js'
import type { NodeApi } from '../node-api.js'

/** Body of `POST /v1/escalations/:id/resolve`. */
const ResolveBodySchema = z.object({ decision: z.string().trim().min(1, 'say what the group should do').max(4096) }).strict()
const EscalationStatusSchema = z.enum(['open', 'resolved']).optional()

export function escalationRoutes (api: NodeApi): Route[] {
  const { groups } = api
  return [
    {
      method: 'GET',
      path: '/v1/escalations',
      handler: ({ query }) => {
        const status = queryParam(query, 'status', EscalationStatusSchema)
        const task = queryParam(query, 'task', TaskParamSchema)
        return { json: { escalations: groups.escalations({ ...(status !== undefined ? { status } : {}), ...(task !== undefined ? { taskId: task } : {}) }) } }
      }
    },
    {
      method: 'POST',
      path: '/v1/escalations/:id/resolve',
      handler: async ({ params, body }) => {
        const { decision } = await body(ResolveBodySchema)
        return { json: { escalation: groups.resolveEscalation(params.id ?? '', decision) } }
      }
    }
  ]
}
