/**
 * What the dashboard reads from the control API, validated at the edge: the snapshots of
 * `GET /v1/status`, `/v1/agents`, `/v1/tasks`, `/v1/tasks/:id`, and the events of `GET /v1/events`
 * turned into dashboard actions. Unknown fields pass (newer nodes may add some); missing or
 * mistyped ones make a snapshot fail and an event be ignored.
 */
import { z } from 'zod'
import type { DashboardAction, WorkEventAction } from './state.js'

const SkillAdSchema = z.object({ name: z.string(), level: z.string() }).loose()
const MemberSchema = z.object({ peerId: z.string(), skills: z.array(z.string()) }).loose()

export const StatusSnapshotSchema = z.object({
  peerId: z.string(),
  name: z.string(),
  network: z.string(),
  software: z.object({ version: z.string() }).loose(),
  startedAt: z.number().optional(),
  uptimeMs: z.number(),
  connections: z.number(),
  peers: z.number(),
  agents: z.number(),
  capacity: z.number(),
  load: z.number()
}).loose()

export const AgentSnapshotSchema = z.object({
  peerId: z.string(),
  name: z.string(),
  self: z.boolean(),
  skills: z.array(SkillAdSchema),
  capacity: z.number(),
  load: z.number(),
  lastSeen: z.number()
}).loose()

export const AgentsSnapshotSchema = z.object({ agents: z.array(AgentSnapshotSchema) })

export const TaskSummarySchema = z.object({
  taskId: z.string(),
  status: z.string(),
  description: z.string(),
  skills: z.array(z.object({ name: z.string(), minLevel: z.string(), count: z.number() }).loose()),
  priority: z.string().optional(),
  createdAt: z.number(),
  updatedAt: z.number(),
  finishedAt: z.number().optional(),
  reason: z.string().optional(),
  attempts: z.number(),
  maxAttempts: z.number(),
  groupId: z.string().optional(),
  members: z.array(MemberSchema)
}).loose()

export const TasksSnapshotSchema = z.object({ tasks: z.array(TaskSummarySchema) })

/** `GET /v1/tasks/:id`: only the summary is used. */
export const TaskDetailSchema = z.object({ task: z.object({ summary: TaskSummarySchema }).loose() }).loose()

export type StatusSnapshot = z.infer<typeof StatusSnapshotSchema>
export type AgentSnapshot = z.infer<typeof AgentSnapshotSchema>
export type TaskSummary = z.infer<typeof TaskSummarySchema>

const ErrorSchema = z.object({ code: z.string(), message: z.string() }).loose()
const OutcomeSchema = z.object({ status: z.string(), ok: z.boolean(), reason: z.string().optional(), attempts: z.number().optional() }).loose()
const base = { taskId: z.string(), at: z.number() }

/** The task lifecycle events (`task:*`) of tasks this node announced. */
const TaskEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('announced'), ...base, attempt: z.number() }).loose(),
  z.object({ type: z.literal('offer'), ...base, peerId: z.string(), skills: z.array(z.string()), score: z.number() }).loose(),
  z.object({ type: z.literal('bidding-closed'), ...base, offers: z.number(), early: z.boolean() }).loose(),
  z.object({ type: z.literal('formed'), ...base, groupId: z.string(), members: z.array(MemberSchema), formationMs: z.number() }).loose(),
  z.object({ type: z.literal('started'), ...base, groupId: z.string() }).loose(),
  z.object({ type: z.literal('progress'), ...base, peerId: z.string(), skill: z.string(), progress: z.number(), message: z.string().optional() }).loose(),
  z.object({ type: z.literal('member-result'), ...base, peerId: z.string(), skill: z.string(), ok: z.boolean(), durationMs: z.number(), error: ErrorSchema.optional() }).loose(),
  z.object({ type: z.literal('member-replaced'), ...base, skill: z.string(), from: z.string(), to: z.string(), reason: z.string() }).loose(),
  z.object({ type: z.literal('retry'), ...base, attempt: z.number(), delayMs: z.number(), reason: z.string() }).loose(),
  z.object({ type: z.literal('state'), ...base, from: z.string(), to: z.string(), reason: z.string().optional() }).loose(),
  z.object({ type: z.enum(['completed', 'failed', 'rejected', 'cancelled']), ...base, outcome: OutcomeSchema }).loose()
])

export type TaskEvent = z.infer<typeof TaskEventSchema>

/** This node's own work as a group member (`work:*`). */
const WorkEventSchemas = {
  'work:offered': z.object({ taskId: z.string(), announcer: z.string(), skills: z.array(z.string()), score: z.number() }).loose(),
  'work:accepted': z.object({ taskId: z.string(), groupId: z.string(), skills: z.array(z.string()) }).loose(),
  'work:started': z.object({ taskId: z.string(), groupId: z.string(), skills: z.array(z.string()) }).loose(),
  'work:progress': z.object({ taskId: z.string(), skill: z.string(), progress: z.number(), message: z.string().optional() }).loose(),
  'work:finished': z.object({ taskId: z.string(), groupId: z.string(), skill: z.string(), ok: z.boolean(), durationMs: z.number(), error: ErrorSchema.optional() }).loose(),
  'work:released': z.object({ taskId: z.string(), reason: z.string() }).loose()
} as const

type WorkEventName = keyof typeof WorkEventSchemas

function isWorkEvent (name: string): name is WorkEventName {
  return Object.hasOwn(WorkEventSchemas, name)
}

function workAction (name: WorkEventName, data: unknown, at: number): WorkEventAction | undefined {
  switch (name) {
    case 'work:offered': {
      const p = WorkEventSchemas[name].safeParse(data)
      return p.success ? { type: 'work', at, kind: 'offered', taskId: p.data.taskId, skills: p.data.skills } : undefined
    }
    case 'work:accepted':
    case 'work:started': {
      const p = WorkEventSchemas[name].safeParse(data)
      return p.success ? { type: 'work', at, kind: name === 'work:accepted' ? 'accepted' : 'started', taskId: p.data.taskId, skills: p.data.skills } : undefined
    }
    case 'work:progress': {
      const p = WorkEventSchemas[name].safeParse(data)
      return p.success ? { type: 'work', at, kind: 'progress', taskId: p.data.taskId, skills: [p.data.skill], progress: p.data.progress, ...(p.data.message !== undefined ? { message: p.data.message } : {}) } : undefined
    }
    case 'work:finished': {
      const p = WorkEventSchemas[name].safeParse(data)
      return p.success ? { type: 'work', at, kind: 'finished', taskId: p.data.taskId, skills: [p.data.skill], ok: p.data.ok, ...(p.data.error !== undefined ? { message: p.data.error.message } : {}) } : undefined
    }
    case 'work:released': {
      const p = WorkEventSchemas[name].safeParse(data)
      return p.success ? { type: 'work', at, kind: 'released', taskId: p.data.taskId, skills: [], message: p.data.reason } : undefined
    }
  }
}

/**
 * Turns one event of `GET /v1/events` into a dashboard action; `undefined` for events the
 * dashboard does not show and for malformed ones. `at` is the time it arrived.
 */
export function parseStreamEvent (name: string, data: unknown, at: number): DashboardAction | undefined {
  if (name === 'agent:joined' || name === 'agent:updated') {
    const p = z.object({ peerId: z.string(), card: z.object({ name: z.string(), skills: z.array(SkillAdSchema), capacity: z.number() }).loose(), load: z.number(), lastSeen: z.number(), self: z.boolean() }).loose().safeParse(data)
    if (!p.success) return undefined
    const { peerId, card, load, lastSeen, self } = p.data
    return { type: 'agent', at, joined: name === 'agent:joined', agent: { peerId, name: card.name, self, skills: card.skills, capacity: card.capacity, load, lastSeen } }
  }
  if (name === 'agent:left') {
    const p = z.object({ peerId: z.string() }).loose().safeParse(data)
    return p.success ? { type: 'agent-left', at, peerId: p.data.peerId } : undefined
  }
  if (name === 'peer:connect' || name === 'peer:disconnect') {
    const p = z.object({ peerId: z.string() }).loose().safeParse(data)
    return p.success ? { type: 'peer', at, peerId: p.data.peerId, connected: name === 'peer:connect' } : undefined
  }
  if (name === 'hello') return { type: 'stream', at, state: 'live' }
  if (name === 'node:stopping') return { type: 'stream', at, state: 'down', message: 'the node is stopping' }
  if (name.startsWith('task:')) {
    const p = TaskEventSchema.safeParse(data)
    if (!p.success || `task:${p.data.type}` !== name) return undefined
    return { type: 'task', at, event: p.data }
  }
  if (isWorkEvent(name)) return workAction(name, data, at)
  return undefined
}
