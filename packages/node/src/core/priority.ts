/**
 * Effective priority of a task: its base priority, raised by deadline pressure, by age and by the
 * tasks that depend on it, so that urgent work goes first and low-priority work is not starved.
 * Pure; time is a parameter.
 */
import type { Priority } from '@swarm/protocol'

/** Numeric value of each base priority. */
const BASE_PRIORITY: Readonly<Record<Priority, number>> = Object.freeze({
  low: 1,
  normal: 2,
  high: 3,
  critical: 4
})

/** Numeric value of a base priority: low 1, normal 2, high 3, critical 4. */
export function basePriority (p: Priority): number {
  return BASE_PRIORITY[p]
}

/** What effective priority is computed from (an announcement has these fields). */
export interface PriorityInput {
  priority: Priority
  /** Absolute deadline (epoch ms); no deadline pressure without one. */
  deadline?: number
  /** When the task was created (epoch ms). */
  createdAt: number
  /** Tasks waiting for this one (a workflow sets it; 0 when absent). */
  dependents?: number
}

/** A task to rank against others. */
export interface PrioritizedTask extends PriorityInput {
  taskId: string
}

/** Tuning of {@link effectivePriority}. */
export interface PriorityOptions {
  /** Waiting time that earns one aging step, milliseconds (default 30 000). */
  agingIntervalMs?: number
  /** Boost per aging interval waited (default 0.5). */
  agingStep?: number
  /** Largest aging boost (default 2). */
  maxAgingBoost?: number
  /** Remaining time under which deadline pressure starts, milliseconds (default 60 000). */
  deadlineHorizonMs?: number
  /** Deadline boost at (and past) the deadline (default 2). */
  maxDeadlineBoost?: number
  /** Boost per task that depends on this one (default 0.5). */
  dependentStep?: number
  /** Largest boost from dependents (default 2). */
  maxDependentsBoost?: number
}

/** Defaults of {@link PriorityOptions}. */
export const DEFAULT_PRIORITY_OPTIONS: Readonly<Required<PriorityOptions>> = Object.freeze({
  agingIntervalMs: 30_000,
  agingStep: 0.5,
  maxAgingBoost: 2,
  deadlineHorizonMs: 60_000,
  maxDeadlineBoost: 2,
  dependentStep: 0.5,
  maxDependentsBoost: 2
})

/**
 * Deadline pressure: 0 while at least `horizonMs` remain, rising linearly to `maxBoost` as the
 * remaining time goes to 0, and `maxBoost` past the deadline.
 */
export function deadlineBoost (deadline: number | undefined, now: number, horizonMs: number, maxBoost: number): number {
  if (deadline === undefined) return 0
  const remaining = deadline - now
  if (remaining <= 0) return maxBoost
  if (!(horizonMs > 0) || remaining >= horizonMs) return 0
  return maxBoost * (1 - remaining / horizonMs)
}

/** Aging: `step` for every whole `intervalMs` waited since `createdAt`, at most `maxBoost`. */
export function agingBoost (createdAt: number, now: number, intervalMs: number, step: number, maxBoost: number): number {
  if (!(intervalMs > 0)) throw new RangeError(`agingIntervalMs must be positive, got ${intervalMs}`)
  const waited = Math.max(0, now - createdAt)
  return Math.min(maxBoost, Math.floor(waited / intervalMs) * step)
}

/** Dependents: `step` for each task waiting for this one, at most `maxBoost` (0 for none or a bad count). */
export function dependentsBoost (dependents: number | undefined, step: number, maxBoost: number): number {
  if (dependents === undefined || !(dependents > 0)) return 0
  return Math.min(maxBoost, Math.floor(dependents) * step)
}

/**
 * Base priority + deadline pressure + aging + dependents. With the defaults a low task that
 * waited two minutes (1 + 2) outranks a fresh normal one (2), a task at its deadline gains 2,
 * and a task two others wait for gains 1.
 */
export function effectivePriority (task: PriorityInput, now: number, options: PriorityOptions = {}): number {
  const o = { ...DEFAULT_PRIORITY_OPTIONS, ...options }
  return basePriority(task.priority) +
    deadlineBoost(task.deadline, now, o.deadlineHorizonMs, o.maxDeadlineBoost) +
    agingBoost(task.createdAt, now, o.agingIntervalMs, o.agingStep, o.maxAgingBoost) +
    dependentsBoost(task.dependents, o.dependentStep, o.maxDependentsBoost)
}

/**
 * Comparator for sorting, most urgent first: higher effective priority, then older `createdAt`,
 * then lower task id.
 */
export function compareByEffectivePriority (a: PrioritizedTask, b: PrioritizedTask, now: number, options: PriorityOptions = {}): number {
  const pa = effectivePriority(a, now, options)
  const pb = effectivePriority(b, now, options)
  if (pa !== pb) return pb - pa
  if (a.createdAt !== b.createdAt) return a.createdAt - b.createdAt
  if (a.taskId === b.taskId) return 0
  return a.taskId < b.taskId ? -1 : 1
}

/** A sorted copy of `tasks`, most urgent first. */
export function rankByEffectivePriority<T extends PrioritizedTask> (tasks: readonly T[], now: number, options: PriorityOptions = {}): T[] {
  return [...tasks].sort((a, b) => compareByEffectivePriority(a, b, now, options))
}
