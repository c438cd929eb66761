/**
 * Turns the events of `GET /v1/events` into dashboard actions: each payload is validated with the
 * schemas of schemas.ts; events the dashboard does not show, and malformed ones, give nothing.
 */
import { z } from 'zod'
import { SkillAdSchema, TaskEventSchema, WorkEventSchemas, WorkflowEventSchema } from './schemas.js'
import type { DashboardAction, WorkEventAction } from './state.js'

type WorkEventName = keyof typeof WorkEventSchemas

const WORKFLOW_EVENT_NAMES: ReadonlySet<string> = new Set(WorkflowEventSchema.options.map(o => o.shape.type.value))

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
  if (WORKFLOW_EVENT_NAMES.has(name) && typeof data === 'object' && data !== null) {
    // The stream sends a workflow event's name as the SSE event and its fields as the data.
    const p = WorkflowEventSchema.safeParse({ ...data, type: name })
    return p.success ? { type: 'workflow', at, event: p.data } : undefined
  }
  return undefined
}
