/**
 * How the control API shows a stored task: its summary line, its outcome (recorded or rebuilt
 * from its state) and, for a task of an earlier run, its final lifecycle event. Finality is the
 * state machine's rule (`isFinal` with the task's verify policy) everywhere.
 */
import { isFinal } from '../core/task-machine.js'
import { SwarmError } from '../errors.js'
import { TaskSpecSchema } from '../negotiation/task-spec.js'
import type { TaskStatus } from '../core/task-machine.js'
import type { TaskLifecycleEvent, TaskOutcome } from '../negotiation/task-handle.js'
import type { StoredTask } from '../store/types.js'
import type { TaskSummary } from '../types.js'

/** Whether a stored task is done for good: COMPLETE still awaiting verification is not. */
export function isTaskFinal (task: StoredTask): boolean {
  return isFinal(task.state.status, task.state.verify)
}

/** The 404 of a task id this node does not know. */
export function taskNotFound (taskId: string): SwarmError {
  return new SwarmError('TASK_NOT_FOUND', `no task ${taskId} on this node`, { taskId })
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
    skills: (task.skills ?? []).map(name => ({ name, minLevel: 'novice', count: 1 })),
    ...(typeof spec.priority === 'string' ? { priority: spec.priority } : {})
  }
}

/** Whether a value is one part of a member row (see ledger/member-ledger.ts `MemberPartRecord`). */
function isPart (value: unknown): value is NonNullable<TaskSummary['parts']>[number] {
  if (typeof value !== 'object' || value === null) return false
  const part = value as Record<string, unknown>
  return typeof part.skill === 'string' && typeof part.ok === 'boolean' && typeof part.durationMs === 'number'
}

/** What a member row adds to its summary: the announcer and the parts this node ran. */
function memberFields (task: StoredTask): Pick<TaskSummary, 'announcer' | 'parts'> {
  if (task.role !== 'member') return {}
  const spec = (typeof task.spec === 'object' && task.spec !== null && !Array.isArray(task.spec) ? task.spec : {}) as Record<string, unknown>
  const parts = Array.isArray(spec.parts) ? spec.parts.filter(isPart) : []
  return {
    ...(task.announcer !== undefined ? { announcer: task.announcer } : {}),
    parts: parts.map(p => ({ skill: p.skill, ok: p.ok, durationMs: p.durationMs, ...(p.error !== undefined ? { error: p.error } : {}) }))
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

/** The summary line of a stored task; `now` ends the duration of a task still going. */
export function taskSummary (task: StoredTask, now = Date.now()): TaskSummary {
  const final = isTaskFinal(task)
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
    members: state.members,
    ...memberFields(task)
  }
}

/** The lifecycle event a task ends with, per final status. */
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
  if (type === undefined || !isTaskFinal(task)) return undefined
  return { type, taskId: task.taskId, at: task.updatedAt, outcome: storedOutcome(task) }
}
