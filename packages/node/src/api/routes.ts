import { LevelSchema, SkillNameSchema } from '@swarm/protocol'
import { z } from 'zod'
import { FINAL_STATUSES, TASK_STATUSES } from '../core/task-machine.js'
import { SwarmError } from '../errors.js'
import { TaskSpecSchema } from '../negotiation/task-spec.js'
import { ProposeInputSchema, VoteInputSchema } from '../group/group-service.js'
import { dashboardPage } from './dashboard/page.js'
import { queryParam, startEventStream } from './http.js'
import type { Route } from './http.js'
import type { TaskStatus } from '../core/task-machine.js'
import type { SwarmNode } from '../node.js'
import type { TaskLifecycleEvent, TaskOutcome } from '../negotiation/task-handle.js'
import type { StoredTask } from '../store/types.js'

/** Body of `POST /v1/tasks/:id/proposals`. */
const ProposeBodySchema = ProposeInputSchema
/** Body of `POST /v1/proposals/:id/votes`. */
const VoteBodySchema = VoteInputSchema
/** Body of `POST /v1/escalations/:id/resolve`. */
const ResolveBodySchema = z.object({ decision: z.string().trim().min(1, 'say what the group should do').max(4096) }).strict()
const EscalationStatusSchema = z.enum(['open', 'resolved']).optional()

/** Body of `POST /v1/tasks/:id/cancel`. */
const CancelBodySchema = z.object({ reason: z.string().min(1).max(256).optional() }).strict()

const LimitSchema = z.coerce.number().int().min(1).max(10_000).default(100)
const OffsetSchema = z.coerce.number().int().min(0).default(0)
/** `status=COMPLETE,FAILED` (or the parameter repeated); case-insensitive. */
const StatusListSchema = z.array(z.preprocess(v => typeof v === 'string' ? v.trim().toUpperCase() : v, z.enum(TASK_STATUSES))).optional()

/** One line of `GET /v1/tasks`: what a task list shows. */
export interface TaskSummary {
  taskId: string
  role: StoredTask['role']
  status: string
  description: string
  skills: Array<{ name: string, minLevel: string, count: number }>
  priority?: string
  createdAt: number
  updatedAt: number
  /** When the task reached its final status. */
  finishedAt?: number
  /** Creation → final status (or → now, for a task still going). */
  durationMs: number
  reason?: string
  attempts: number
  maxAttempts: number
  groupId?: string
  members: Array<{ peerId: string, skills: string[] }>
}

function isFinalStatus (status: string): boolean {
  return (FINAL_STATUSES as readonly string[]).includes(status)
}

function specFields (task: StoredTask): { description: string, skills: TaskSummary['skills'], priority?: string } {
  const parsed = TaskSpecSchema.safeParse(task.spec)
  if (parsed.success) {
    return { description: parsed.data.description, skills: parsed.data.skills, priority: parsed.data.priority }
  }
  // A member row keeps what it was told, not a full spec.
  const spec = (typeof task.spec === 'object' && task.spec !== null && !Array.isArray(task.spec) ? task.spec : {}) as Record<string, unknown>
  return {
    description: typeof spec.description === 'string' ? spec.description : '',
    skills: (task.skills ?? []).map(name => ({ name, minLevel: 'novice', count: 1 }))
  }
}

/** The outcome of a stored task: its recorded result, or one rebuilt from its state. */
export function storedOutcome (task: StoredTask): TaskOutcome {
  const result = task.result as Partial<TaskOutcome> | undefined
  if (result !== undefined && typeof result === 'object' && result !== null && typeof result.status === 'string' && typeof result.timings === 'object') {
    return result as TaskOutcome
  }
  const { state } = task
  const ok = state.status === 'COMPLETE' || state.status === 'VERIFIED'
  return {
    taskId: task.taskId,
    status: state.status,
    ok,
    ...(state.reason !== undefined ? { reason: state.reason } : {}),
    attempts: state.attempt,
    ...(state.groupId !== undefined ? { groupId: state.groupId, members: state.members } : {}),
    timings: { createdAt: state.createdAt, finishedAt: state.updatedAt, totalMs: state.updatedAt - state.createdAt }
  }
}

export function taskSummary (task: StoredTask, now = Date.now()): TaskSummary {
  const final = isFinalStatus(task.status)
  const outcome = final ? storedOutcome(task) : undefined
  const finishedAt = outcome?.timings.finishedAt ?? (final ? task.updatedAt : undefined)
  const { state } = task
  return {
    taskId: task.taskId,
    role: task.role,
    status: task.status,
    ...specFields(task),
    createdAt: task.createdAt,
    updatedAt: task.updatedAt,
    ...(finishedAt !== undefined ? { finishedAt } : {}),
    durationMs: Math.max(0, (finishedAt ?? now) - task.createdAt),
    ...(state.reason !== undefined ? { reason: state.reason } : {}),
    attempts: state.attempt,
    maxAttempts: state.maxAttempts,
    ...(task.groupId !== undefined ? { groupId: task.groupId } : {}),
    members: state.members
  }
}

const FINAL_EVENT_OF: Partial<Record<TaskStatus, 'completed' | 'failed' | 'rejected' | 'cancelled'>> = {
  COMPLETE: 'completed',
  VERIFIED: 'completed',
  REJECTED: 'rejected',
  FAILED: 'failed',
  ESCALATED: 'failed',
  CANCELLED: 'cancelled'
}

/** The final lifecycle event of a task of an earlier run, from what the store kept. */
export function finalEventOf (task: StoredTask): TaskLifecycleEvent | undefined {
  const type = FINAL_EVENT_OF[task.state.status]
  if (type === undefined || (task.state.status === 'COMPLETE' && task.state.verify)) return undefined
  return { type, taskId: task.taskId, at: task.updatedAt, outcome: storedOutcome(task) }
}

/** The endpoints of the control API, over a node. */
export function nodeRoutes (node: SwarmNode): Route[] {
  const notFound = (taskId: string): SwarmError => new SwarmError('TASK_NOT_FOUND', `no task ${taskId} on this node`, { taskId })
  return [
    { method: 'GET', path: '/v1/status', handler: () => ({ json: node.status() }) },
    // The web dashboard: a static page, served without the token (it asks for it; see dashboard/page.ts).
    { method: 'GET', path: '/dashboard', public: true, handler: () => dashboardPage() },
    {
      method: 'GET',
      path: '/metrics',
      handler: async () => {
        if (node.metrics === undefined) {
          return { status: 404, json: { error: { code: 'METRICS_DISABLED', message: 'metrics are off on this node: set metrics.enabled to true in its config file' } } }
        }
        return await node.metrics.exposition()
      }
    },
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
    },
    {
      method: 'POST',
      path: '/v1/tasks',
      handler: async ({ body }) => {
        const spec = await body(TaskSpecSchema)
        const handle = await node.announce(spec)
        return { status: 201, json: { taskId: handle.id, status: node.announcer.state(handle.id)?.status ?? 'ANNOUNCED' } }
      }
    },
    {
      method: 'GET',
      path: '/v1/tasks',
      handler: ({ query }) => {
        const limit = queryParam(query, 'limit', LimitSchema)
        const offset = queryParam(query, 'offset', OffsetSchema)
        const raw = query.getAll('status').flatMap(s => s.split(',')).filter(s => s.trim() !== '')
        const parsed = StatusListSchema.safeParse(raw.length === 0 ? undefined : raw)
        if (!parsed.success) {
          throw new SwarmError('API_BAD_REQUEST', `invalid query parameter status: ${raw.join(',')} (use ${TASK_STATUSES.join(', ')}, comma-separated)`)
        }
        const now = Date.now()
        const tasks = node.tasks({ limit, offset, ...(parsed.data !== undefined ? { status: parsed.data } : {}) })
        return { json: { tasks: tasks.map(t => taskSummary(t, now)) } }
      }
    },
    {
      method: 'GET',
      path: '/v1/tasks/:id',
      handler: ({ params }) => {
        const id = params.id ?? ''
        const found = node.task(id)
        if (found === undefined) throw notFound(id)
        const { task, audit } = found
        return {
          json: {
            task: {
              ...task,
              summary: taskSummary(task),
              ...(isFinalStatus(task.status) ? { outcome: storedOutcome(task) } : {}),
              active: node.announcer.get(id) !== undefined && !isFinalStatus(task.status)
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
        if (node.announcer.get(id) === undefined) {
          const found = node.task(id)
          if (found === undefined) throw notFound(id)
          if (found.task.role !== 'announcer') {
            throw new SwarmError('TASK_STATE', `this node works on task ${id} as a group member; cancel it on its announcer (${found.task.announcer ?? 'unknown'})`, { taskId: id })
          }
          throw new SwarmError('TASK_STATE', `task ${id} is already ${found.task.status}`, { taskId: id, status: found.task.status })
        }
        const state = await node.cancel(id, reason)
        return { json: { taskId: id, status: state.status, ...(state.reason !== undefined ? { reason: state.reason } : {}), state } }
      }
    },
    {
      method: 'POST',
      path: '/v1/tasks/:id/proposals',
      handler: async ({ params, body }) => {
        const input = await body(ProposeBodySchema)
        const proposal = await node.propose(params.id ?? '', input)
        return { status: 201, json: { proposal } }
      }
    },
    {
      method: 'GET',
      path: '/v1/proposals',
      handler: ({ query }) => {
        const task = queryParam(query, 'task', z.string().min(1).max(64).optional())
        return { json: { proposals: node.proposals(task) } }
      }
    },
    {
      method: 'GET',
      path: '/v1/proposals/:id',
      handler: ({ params }) => {
        const id = params.id ?? ''
        const proposal = node.proposal(id)
        if (proposal === undefined) throw new SwarmError('PROPOSAL_NOT_FOUND', `no proposal ${id} on this node`, { proposalId: id })
        return { json: { proposal } }
      }
    },
    {
      method: 'POST',
      path: '/v1/proposals/:id/votes',
      handler: async ({ params, body }) => {
        const vote = await body(VoteBodySchema)
        return { status: 201, json: { proposal: node.vote(params.id ?? '', vote) } }
      }
    },
    {
      method: 'GET',
      path: '/v1/tasks/:id/blackboard',
      handler: ({ params }) => {
        const id = params.id ?? ''
        const blackboard = node.blackboard(id)
        if (blackboard === undefined) {
          if (node.task(id) === undefined) throw notFound(id)
          throw new SwarmError('GROUP_NOT_FOUND', `task ${id} has no blackboard on this node (no working group of it ran here)`, { taskId: id })
        }
        return { json: { blackboard } }
      }
    },
    {
      method: 'GET',
      path: '/v1/escalations',
      handler: ({ query }) => {
        const status = queryParam(query, 'status', EscalationStatusSchema)
        const task = queryParam(query, 'task', z.string().min(1).max(64).optional())
        return { json: { escalations: node.escalations({ ...(status !== undefined ? { status } : {}), ...(task !== undefined ? { taskId: task } : {}) }) } }
      }
    },
    {
      method: 'POST',
      path: '/v1/escalations/:id/resolve',
      handler: async ({ params, body }) => {
        const { decision } = await body(ResolveBodySchema)
        return { json: { escalation: node.resolveEscalation(params.id ?? '', decision) } }
      }
    },
    {
      method: 'GET',
      path: '/v1/tasks/:id/events',
      handler: ({ params, res }) => {
        const id = params.id ?? ''
        const handle = node.announcer.get(id)
        if (handle === undefined) {
          // A task of an earlier run (or one this node only works on): its final event, if any.
          const found = node.task(id)
          if (found === undefined) throw notFound(id)
          const final = finalEventOf(found.task)
          if (final === undefined) {
            throw new SwarmError('TASK_STATE', `task ${id} is ${found.task.status} and this node is not its announcer: follow it on the announcer`, { taskId: id, status: found.task.status })
          }
          const stream = startEventStream(res)
          stream.send(final.type, final)
          res.end()
          return undefined
        }
        const stream = startEventStream(res)
        let closed = false
        stream.onClose(() => { closed = true })
        void (async () => {
          try {
            // Replays everything so far, then the live events, and ends after the final one.
            for await (const event of handle.events()) {
              if (closed) break
              stream.send(event.type, event)
            }
          } finally {
            if (!res.writableEnded) res.end()
          }
        })().catch(err => { node.log.error('task event stream failed', { taskId: id, err }) })
        return undefined
      }
    }
  ]
}
