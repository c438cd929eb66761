/**
 * Swarm tasks ↔ A2A tasks (pure): statuses both ways, a stored task as an A2A Task (status,
 * artifact, history), and a task's lifecycle events as the A2A updates of a stream.
 */
import { randomUUID } from 'node:crypto'
import { Role, TaskState } from '@a2a-js/sdk'
import { AgentEvent } from '@a2a-js/sdk/server'
import { TASK_STATUSES, isFinal } from '../core/task-machine.js'
import type { TaskStatus } from '../core/task-machine.js'
import type { TaskLifecycleEvent, TaskOutcome } from '../negotiation/task-handle.js'
import type { StoredTask } from '../store/types.js'
import type { Artifact, Message, Part, Task } from '@a2a-js/sdk'
import type { AgentExecutionEvent } from '@a2a-js/sdk/server'
import type { Json } from '@swarm/protocol'

/**
 * The A2A state of a swarm status. COMPLETE still awaiting verification is working; ESCALATED
 * (handed to a human, final for the swarm) is failed: nothing an A2A client sends resumes it.
 */
export function a2aState (status: TaskStatus, verify: boolean): TaskState {
  switch (status) {
    case 'PENDING':
    case 'ANNOUNCED':
    case 'QUEUED':
      return TaskState.TASK_STATE_SUBMITTED
    case 'ASSIGNED':
    case 'RUNNING':
    case 'RETRY':
      return TaskState.TASK_STATE_WORKING
    case 'COMPLETE':
      return verify ? TaskState.TASK_STATE_WORKING : TaskState.TASK_STATE_COMPLETED
    case 'VERIFIED':
      return TaskState.TASK_STATE_COMPLETED
    case 'REJECTED':
      return TaskState.TASK_STATE_REJECTED
    case 'FAILED':
    case 'ESCALATED':
      return TaskState.TASK_STATE_FAILED
    case 'CANCELLED':
      return TaskState.TASK_STATE_CANCELED
  }
}

/**
 * The swarm statuses an A2A state stands for (a ListTasks filter). COMPLETE counts as completed
 * (a task awaiting verification is listed there too); input-required and auth-required match none.
 */
export function swarmStatuses (state: TaskState): TaskStatus[] {
  return TASK_STATUSES.filter(s => a2aState(s, false) === state)
}

/** A text part. */
function textPart (text: string): Part {
  return { content: { $case: 'text', value: text }, metadata: undefined, filename: '', mediaType: 'text/plain' }
}

/** A data part (any JSON). */
function dataPart (value: Json): Part {
  return { content: { $case: 'data', value }, metadata: undefined, filename: '', mediaType: 'application/json' }
}

/** A message of the agent (the node) about a task. */
function agentMessage (ids: TaskIds, text: string): Message {
  return { messageId: randomUUID(), contextId: ids.contextId, taskId: ids.taskId, role: Role.ROLE_AGENT, parts: [textPart(text)], metadata: undefined, extensions: [], referenceTaskIds: [] }
}

export interface TaskIds {
  taskId: string
  contextId: string
}

/** The result of a task as an artifact: a data part, and a text part when the result is a string (or one skill's string). */
export function resultArtifact (taskId: string, output: Json): Artifact {
  const values = typeof output === 'object' && output !== null && !Array.isArray(output) ? Object.values(output) : []
  const text = typeof output === 'string' ? output : values.length === 1 && typeof values[0] === 'string' ? values[0] : undefined
  return {
    artifactId: `${taskId}-result`,
    name: 'result',
    description: 'The output of the swarm task: { <skill>: <output> } (an array per skill when several members did it)',
    parts: [dataPart(output), ...(text !== undefined ? [textPart(text)] : [])],
    metadata: undefined,
    extensions: []
  }
}

/** What the final status message of a task says: the swarm's error codes and messages, or why it ended. */
export function outcomeText (outcome: Pick<TaskOutcome, 'status' | 'ok' | 'reason' | 'errors' | 'attempts'>): string {
  if (outcome.ok) return `completed by the swarm (${outcome.attempts} attempt${outcome.attempts === 1 ? '' : 's'})`
  const errors = (outcome.errors ?? []).map(e => `${e.code}: ${e.message} (skill ${e.skill}, peer ${e.peerId})`)
  const reason = outcome.reason ?? (outcome.status === 'CANCELLED' ? 'cancelled' : 'no reason given')
  const head = outcome.status === 'REJECTED' ? 'rejected by the swarm' : outcome.status === 'CANCELLED' ? 'cancelled' : `failed (${outcome.status})`
  return errors.length > 0 ? `${head}: ${reason}; ${errors.join('; ')}` : `${head}: ${reason}`
}

/** The user message a task of this node stands for, when no A2A client sent one (tasks announced otherwise). */
function specMessage (task: StoredTask, contextId: string): Message {
  const spec = typeof task.spec === 'object' && task.spec !== null && !Array.isArray(task.spec) ? task.spec : {}
  const description = typeof spec.description === 'string' ? spec.description : ''
  const input = spec.input
  return {
    messageId: `${task.taskId}-request`,
    contextId,
    taskId: task.taskId,
    role: Role.ROLE_USER,
    parts: [...(description !== '' ? [textPart(description)] : []), ...(input !== undefined ? [dataPart(input)] : [])],
    metadata: { swarmSpec: spec },
    extensions: [],
    referenceTaskIds: []
  }
}

/**
 * A stored swarm task as an A2A Task; `outcome` is its final outcome (see api/task-views.ts
 * storedOutcome) once it has one. The context id is the task id when no A2A client gave one.
 */
export function storedToA2aTask (task: StoredTask, outcome: TaskOutcome | undefined): Task {
  const ids = { taskId: task.taskId, contextId: task.taskId }
  const final = isFinal(task.state.status, task.state.verify)
  const state = a2aState(task.state.status, task.state.verify)
  const message = final && outcome !== undefined ? agentMessage(ids, outcomeText(outcome)) : task.state.reason !== undefined ? agentMessage(ids, task.state.reason) : undefined
  return {
    id: task.taskId,
    contextId: ids.contextId,
    status: { state, message, timestamp: new Date(task.updatedAt).toISOString() },
    artifacts: final && outcome?.ok === true && outcome.output !== undefined ? [resultArtifact(task.taskId, outcome.output)] : [],
    history: [specMessage(task, ids.contextId)],
    metadata: { swarmStatus: task.state.status, attempts: task.state.attempt }
  }
}

/** The A2A updates of one lifecycle event, and the A2A state after them. */
export interface Updates {
  events: AgentExecutionEvent[]
  state: TaskState
}

/** A status update of a task, with a message of the node when `text` is given. */
export function statusUpdate (ids: TaskIds, state: TaskState, at: number, text?: string): AgentExecutionEvent {
  return AgentEvent.statusUpdate({
    taskId: ids.taskId,
    contextId: ids.contextId,
    status: { state, message: text === undefined ? undefined : agentMessage(ids, text), timestamp: new Date(at).toISOString() },
    metadata: undefined
  })
}

/** A line about a working-time event (group formed, progress, retry, replaced member), or undefined. */
function workText (event: TaskLifecycleEvent): string | undefined {
  switch (event.type) {
    case 'formed': return `working group formed: ${event.members.length} member${event.members.length === 1 ? '' : 's'} in ${event.formationMs} ms`
    case 'progress': return `${event.skill}: ${Math.round(event.progress * 100)}%${event.message !== undefined ? ` ${event.message}` : ''}`
    case 'retry': return `attempt ${event.attempt} in ${event.delayMs} ms: ${event.reason}`
    case 'member-replaced': return `${event.skill}: member replaced (${event.reason})`
    default: return undefined
  }
}

/**
 * What an A2A stream shows of one lifecycle event, given the A2A state so far (`last`): state
 * changes and progress as status updates (working), and at the end the result artifact (when the
 * task completed with an output) followed by the final status.
 */
export function lifecycleUpdates (event: TaskLifecycleEvent, ids: TaskIds, last: TaskState): Updates {
  switch (event.type) {
    case 'completed':
    case 'failed':
    case 'rejected':
    case 'cancelled': {
      const { outcome } = event
      const state = event.type === 'completed' ? TaskState.TASK_STATE_COMPLETED : a2aState(outcome.status, false)
      const artifact = outcome.ok && outcome.output !== undefined
        ? [AgentEvent.artifactUpdate({ taskId: ids.taskId, contextId: ids.contextId, artifact: resultArtifact(ids.taskId, outcome.output), append: false, lastChunk: true, metadata: undefined })]
        : []
      return { events: [...artifact, statusUpdate(ids, state, event.at, outcomeText(outcome))], state }
    }
    case 'state': {
      // Final statuses come with their final event; COMPLETE awaiting verification stays working.
      if (FINAL_EVENT_STATUSES.has(event.to)) return { events: [], state: last }
      const state = a2aState(event.to, true)
      if (state === last) return { events: [], state }
      return { events: [statusUpdate(ids, state, event.at, event.reason)], state }
    }
    default: {
      const text = workText(event)
      if (text === undefined) return { events: [], state: last }
      return { events: [statusUpdate(ids, TaskState.TASK_STATE_WORKING, event.at, text)], state: TaskState.TASK_STATE_WORKING }
    }
  }
}

/** Statuses whose A2A state a final lifecycle event (completed, failed, rejected, cancelled) reports. */
const FINAL_EVENT_STATUSES: ReadonlySet<TaskStatus> = new Set(['VERIFIED', 'REJECTED', 'FAILED', 'CANCELLED', 'ESCALATED'])
