/**
 * Waiting for something on the node, bounded by a timeout and by the MCP request's own abort
 * signal (the client cancelling): a task to end (its event stream, or its state for a task this
 * node only works on), a proposal to be decided and an inbox part to wait for a worker (the
 * node's event stream, after looking at the current state once the stream is open, so nothing
 * that happens in between is missed). Each answers undefined when the wait ended first.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { FINAL_STATUSES } from '@swarm/node'
import { ApiError } from '../api-client.js'
import { CliError, EXIT } from '../exit-codes.js'
import { ProposalAnswer, ProposalSchema } from '../commands/group.js'
import { TaskEventSchema, exitCodeOf } from '../commands/task-format.js'
import { TaskDetailSchema } from '../commands/tasks.js'
import { InboxListSchema, InboxQueuedSchema } from './schemas.js'
import type { ApiClient } from '../api-client.js'
import type { Outcome } from '../commands/task-format.js'
import type { InboxPart } from './schemas.js'
import type { z } from 'zod'

/** How a task ended, as its final event or its stored state says. */
export interface TaskEnd {
  taskId: string
  status: string
  ok: boolean
  outcome?: Outcome
}

/** How often the state of a task this node does not follow is read. */
const POLL_MS = 500

/** An abort signal that fires after `timeoutMs` or when `outer` does; `dispose` clears the timer. */
function bounded (timeoutMs: number, outer: AbortSignal | undefined): { signal: AbortSignal, dispose: () => void } {
  const abort = new AbortController()
  const timer = setTimeout(() => { abort.abort() }, timeoutMs)
  const onOuter = (): void => { abort.abort() }
  outer?.addEventListener('abort', onOuter, { once: true })
  if (outer?.aborted === true) abort.abort()
  return {
    signal: abort.signal,
    dispose: () => {
      clearTimeout(timer)
      outer?.removeEventListener('abort', onOuter)
      abort.abort()
    }
  }
}

const STATUS_OF_EVENT: Record<string, string> = { completed: 'COMPLETE', rejected: 'REJECTED', failed: 'FAILED', cancelled: 'CANCELLED' }

/** Reads a task's state until it is final (for a task whose events this node does not stream). */
async function pollTask (client: ApiClient, taskId: string, signal: AbortSignal): Promise<TaskEnd | undefined> {
  while (!signal.aborted) {
    let task: z.infer<typeof TaskDetailSchema>['task']
    try {
      task = (await client.request('GET', `/v1/tasks/${encodeURIComponent(taskId)}`, TaskDetailSchema, undefined, signal)).task
    } catch (err) {
      if (signal.aborted) return undefined
      throw err
    }
    if ((FINAL_STATUSES as readonly string[]).includes(task.status)) {
      return { taskId: task.taskId, status: task.status, ok: task.outcome?.ok ?? (task.status === 'COMPLETE' || task.status === 'VERIFIED'), ...(task.outcome !== undefined ? { outcome: task.outcome } : {}) }
    }
    try {
      await sleep(POLL_MS, undefined, { signal })
    } catch {
      return undefined
    }
  }
  return undefined
}

/**
 * Waits for a task to end: its event stream on the node that announced it (which replays a live
 * task from its start and sends the stored final event of one that ended), else its state.
 */
export async function awaitTaskEnd (client: ApiClient, taskId: string, timeoutMs: number, outer?: AbortSignal): Promise<TaskEnd | undefined> {
  const { signal, dispose } = bounded(timeoutMs, outer)
  try {
    try {
      for await (const { data } of client.events(`/v1/tasks/${encodeURIComponent(taskId)}/events`, signal)) {
        const event = TaskEventSchema.safeParse(data)
        if (!event.success || exitCodeOf(event.data) === undefined) continue
        const outcome = event.data.outcome
        return { taskId, status: outcome?.status ?? STATUS_OF_EVENT[event.data.type] ?? event.data.type, ok: event.data.type === 'completed', ...(outcome !== undefined ? { outcome } : {}) }
      }
    } catch (err) {
      // A task this node works on as a member, or announced before a restart: read its state.
      if (err instanceof ApiError && err.code === 'TASK_STATE') return await pollTask(client, taskId, signal)
      if (signal.aborted) return undefined
      throw err
    }
    if (signal.aborted) return undefined
    throw new CliError(EXIT.UNREACHABLE, `the node closed the event stream of task ${taskId} before the task ended (did it stop?)`)
  } finally {
    dispose()
  }
}

/**
 * Opens the node's event stream, then (once it is open) asks `now` whether what is awaited is
 * already there; else answers the first event `match` accepts.
 */
async function watch<T> (client: ApiClient, timeoutMs: number, outer: AbortSignal | undefined, now: (signal: AbortSignal) => Promise<T | undefined>, match: (event: string, data: unknown) => T | undefined): Promise<T | undefined> {
  const { signal, dispose } = bounded(timeoutMs, outer)
  try {
    let opened = false
    for await (const { event, data } of client.events('/v1/events', signal)) {
      if (!opened) {
        opened = true
        const found = await now(signal)
        if (found !== undefined) return found
      }
      const found = match(event, data)
      if (found !== undefined) return found
    }
    if (signal.aborted) return undefined
    throw new CliError(EXIT.UNREACHABLE, 'the node closed its event stream (did it stop?)')
  } catch (err) {
    if (signal.aborted) return undefined
    throw err
  } finally {
    dispose()
  }
}

type Proposal = z.infer<typeof ProposalSchema>

/** Waits for a proposal to be decided (approved, rejected, no quorum, …); unknown ids are the node's error. */
export async function awaitProposalDecided (client: ApiClient, proposalId: string, timeoutMs: number, outer?: AbortSignal): Promise<Proposal | undefined> {
  return await watch(client, timeoutMs, outer, async signal => {
    const { proposal } = await client.request('GET', `/v1/proposals/${encodeURIComponent(proposalId)}`, ProposalAnswer, undefined, signal)
    return proposal.status === 'open' ? undefined : proposal
  }, (event, data) => {
    if (event !== 'proposal:decided') return undefined
    const proposal = ProposalSchema.safeParse(data)
    return proposal.success && proposal.data.proposalId === proposalId ? proposal.data : undefined
  })
}

/** What an inbox part waiting for a worker is known by: the listing's view, or the event's fields. */
export type WaitingPart = InboxPart | z.infer<typeof InboxQueuedSchema>

/** Waits for an inbox part (of these skills, of this task) to wait for a worker. */
export async function awaitInboxPart (client: ApiClient, filter: { skills?: string[], taskId?: string }, timeoutMs: number, outer?: AbortSignal): Promise<WaitingPart | undefined> {
  const wanted = (part: { skill: string, taskId: string }): boolean =>
    (filter.skills === undefined || filter.skills.length === 0 || filter.skills.includes(part.skill)) && (filter.taskId === undefined || part.taskId === filter.taskId)
  return await watch<WaitingPart>(client, timeoutMs, outer, async signal => {
    const { parts } = await client.request('GET', '/v1/inbox?state=waiting', InboxListSchema, undefined, signal)
    return parts.find(wanted)
  }, (event, data) => {
    if (event !== 'inbox:queued') return undefined
    const queued = InboxQueuedSchema.safeParse(data)
    return queued.success && wanted(queued.data) ? queued.data : undefined
  })
}
