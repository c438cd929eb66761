/**
 * Tasks this node announced: `POST /v1/tasks` (announce), `GET /v1/tasks` (the list, paged and
 * filtered by status; `role=member` lists the tasks this node worked on as a group member
 * instead), `GET /v1/tasks/:id` (one task with its audit trail, announcer row first unless
 * `role` is given) and `POST /v1/tasks/:id/cancel`. Their event streams are in events.ts.
 */
import { z } from 'zod'
import { TASK_STATUSES } from '../../core/task-machine.js'
import { SwarmError } from '../../errors.js'
import { TaskSpecSchema } from '../../negotiation/task-spec.js'
import type { TaskRole } from '../../store/types.js'
import { queryParam } from '../http.js'
import { isTaskFinal, storedOutcome, taskNotFound, taskSummary } from '../task-views.js'
import type { TaskStatus } from '../../core/task-machine.js'
import type { Route } from '../http.js'
import type { NodeApi } from '../node-api.js'

/** Body of `POST /v1/tasks/:id/cancel`. */
const CancelBodySchema = z.object({ reason: z.string().min(1).max(256).optional() }).strict()

const LimitSchema = z.coerce.number().int().min(1).max(10_000).default(100)
const OffsetSchema = z.coerce.number().int().min(0).default(0)
/** `role=announcer|member`: which side of its tasks the node lists. */
const RoleSchema = z.enum(['announcer', 'member'] as const satisfies readonly TaskRole[]).optional()
/** `status=COMPLETE,FAILED` (or the parameter repeated); case-insensitive. */
const StatusListSchema = z.array(z.preprocess(v => typeof v === 'string' ? v.trim().toUpperCase() : v, z.enum(TASK_STATUSES))).optional()

/** The `status` filter of `GET /v1/tasks`; 400 naming the valid statuses otherwise. */
function statusFilter (query: URLSearchParams): TaskStatus[] | undefined {
  const raw = query.getAll('status').flatMap(s => s.split(',')).filter(s => s.trim() !== '')
  const parsed = StatusListSchema.safeParse(raw.length === 0 ? undefined : raw)
  if (!parsed.success) {
    throw new SwarmError('API_BAD_REQUEST', `invalid query parameter status: ${raw.join(',')} (use ${TASK_STATUSES.join(', ')}, comma-separated)`)
  }
  return parsed.data
}

export function taskRoutes (api: NodeApi): Route[] {
  return [
    {
      method: 'POST',
      path: '/v1/tasks',
      handler: async ({ body }) => {
        const spec = await body(TaskSpecSchema)
        const handle = await api.announce(spec)
        return { status: 201, json: { taskId: handle.id, status: api.liveTask(handle.id)?.status ?? 'ANNOUNCED' } }
      }
    },
    {
      method: 'GET',
      path: '/v1/tasks',
      handler: ({ query }) => {
        const limit = queryParam(query, 'limit', LimitSchema)
        const offset = queryParam(query, 'offset', OffsetSchema)
        const status = statusFilter(query)
        const role = queryParam(query, 'role', RoleSchema) ?? 'announcer'
        const now = Date.now()
        const tasks = api.tasks({ role, limit, offset, ...(status !== undefined ? { status } : {}) })
        return { json: { tasks: tasks.map(t => taskSummary(t, now)) } }
      }
    },
    {
      method: 'GET',
      path: '/v1/tasks/:id',
      handler: ({ params, query }) => {
        const id = params.id ?? ''
        const found = api.task(id, queryParam(query, 'role', RoleSchema))
        if (found === undefined) throw taskNotFound(id)
        const { task, audit } = found
        const final = isTaskFinal(task)
        return {
          json: {
            task: {
              ...task,
              summary: taskSummary(task),
              ...(final ? { outcome: storedOutcome(task) } : {}),
              active: api.liveTask(id) !== undefined && !final
            },
            audit
          }
        }
      }
    },
    {
      method: 'POST',
      path: '/v1/tasks/:id/cancel',
      handler: async ({ params, body }) => {
        const id = params.id ?? ''
        const { reason } = await body(CancelBodySchema)
        if (api.liveTask(id) === undefined) {
          const found = api.task(id)
          if (found === undefined) throw taskNotFound(id)
          if (found.task.role !== 'announcer') {
            throw new SwarmError('TASK_STATE', `this node works on task ${id} as a group member; cancel it on its announcer (${found.task.announcer ?? 'unknown'})`, { taskId: id })
          }
          throw new SwarmError('TASK_STATE', `task ${id} is already ${found.task.status}`, { taskId: id, status: found.task.status })
        }
        const state = await api.cancel(id, reason)
        return { json: { taskId: id, status: state.status, ...(state.reason !== undefined ? { reason: state.reason } : {}), state } }
      }
    }
  ]
}
