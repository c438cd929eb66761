/**
 * The order of an announcer's queue: tasks that no group could take yet because every capable
 * agent was busy wait here, and are asked again (one per freed slot, or on a backoff timer) in
 * effective-priority order (see priority.ts). Pure; time is a parameter.
 */
import { rankByEffectivePriority } from './priority.js'
import type { PrioritizedTask, PriorityOptions } from './priority.js'

/** A task waiting in the queue. */
export interface QueuedTask extends PrioritizedTask {
  /** The names of the skills it still needs. */
  skills: readonly string[]
  /** When it last entered the queue (epoch ms). */
  queuedAt: number
  /** How many times it was asked again so far. */
  asks: number
}

/** The backoff of re-asks: `baseMs` after queueing, doubling with every re-ask, at most `maxMs`. */
export interface QueueBackoff {
  baseMs: number
  maxMs: number
}

/** Delay before a task that was asked again `asks` times is asked again: `baseMs * 2^asks`, capped at `maxMs`. */
export function reaskDelayMs (asks: number, backoff: QueueBackoff): number {
  if (!(backoff.baseMs > 0) || !(backoff.maxMs >= backoff.baseMs)) {
    throw new RangeError(`the queue backoff needs baseMs > 0 and maxMs >= baseMs, got ${backoff.baseMs} and ${backoff.maxMs}`)
  }
  const n = Math.max(0, Math.floor(asks))
  return Math.min(backoff.maxMs, backoff.baseMs * Math.pow(2, Math.min(n, 30)))
}

/** When a queued task is due for its next re-ask by the backoff. */
export function reaskDueAt (task: Pick<QueuedTask, 'queuedAt' | 'asks'>, backoff: QueueBackoff): number {
  return task.queuedAt + reaskDelayMs(task.asks, backoff)
}

/**
 * When the next backoff pass should run: the earliest time a task of the queue falls due after
 * `now`; with every task already due (held up by more urgent ones, see backoffPass), `baseMs`
 * from now. Undefined for an empty queue.
 */
export function nextReaskAt (tasks: readonly QueuedTask[], now: number, backoff: QueueBackoff): number | undefined {
  if (tasks.length === 0) return undefined
  let next: number | undefined
  for (const task of tasks) {
    const due = reaskDueAt(task, backoff)
    if (due > now && (next === undefined || due < next)) next = due
  }
  return next ?? now + backoff.baseMs
}

/** The queue, most urgent first (effective priority, then older, then task id). */
export function rankQueue<T extends QueuedTask> (tasks: readonly T[], now: number, options: PriorityOptions = {}): T[] {
  return rankByEffectivePriority(tasks, now, options)
}

/**
 * The tasks a backoff pass asks again at `now`. In effective-priority order, a task claims its
 * skills: a lower task that needs one of them waits for the higher one (which gets the first
 * agent that frees), due or not, queued or being asked right now (`asking`: re-asked tasks
 * whose bidding is open, never chosen again); a due queued task whose skills nobody above
 * claimed is asked again. Tasks of different skills do not hold each other up.
 */
export function backoffPass<T extends QueuedTask> (tasks: readonly T[], now: number, backoff: QueueBackoff, options: PriorityOptions = {}, asking: readonly QueuedTask[] = []): T[] {
  const claimed = new Set<string>()
  const chosen: T[] = []
  const inFlight = new Set<QueuedTask>(asking)
  for (const task of rankQueue<QueuedTask>([...tasks, ...asking], now, options)) {
    const free = task.skills.every(s => !claimed.has(s))
    for (const s of task.skills) claimed.add(s)
    if (free && !inFlight.has(task) && reaskDueAt(task, backoff) <= now) chosen.push(task as T)
  }
  return chosen
}

/**
 * The task to ask again when one agent freed a slot: the most urgent queued task that agent
 * can take (`canTake`), or undefined. One task per freed slot, so that a slot does not bring
 * every queued task back at once.
 */
export function nextForFreedSlot<T extends QueuedTask> (tasks: readonly T[], now: number, canTake: (task: T) => boolean, options: PriorityOptions = {}): T | undefined {
  return rankQueue(tasks, now, options).find(canTake)
}
