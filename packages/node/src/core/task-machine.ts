/**
 * The task lifecycle as a reducer: `reduceTask(state, event)` returns the next state or throws an
 * {@link InvalidTransitionError}. Pure; every event carries its time.
 *
 * PENDING → ANNOUNCED → ASSIGNED → RUNNING → COMPLETE (→ VERIFIED when verification is on);
 * side exits REJECTED, FAILED ⇄ RETRY (bounded), CANCELLED, ESCALATED. ANNOUNCED ⇄ QUEUED while
 * every capable agent is busy: the task waits (same attempt) and is asked again when capacity
 * frees; REJECTED is only for a task nobody can ever do.
 */
import type { GroupMember, Json } from '@swarm/protocol'

/** Every status a task can be in. */
export const TASK_STATUSES = [
  'PENDING', 'ANNOUNCED', 'QUEUED', 'ASSIGNED', 'RUNNING', 'COMPLETE', 'VERIFIED',
  'REJECTED', 'FAILED', 'RETRY', 'CANCELLED', 'ESCALATED'
] as const

/** Status of a task. */
export type TaskStatus = typeof TASK_STATUSES[number]

/**
 * Statuses after which no event applies. COMPLETE is final only when no verification was asked
 * for; see {@link isFinal}.
 */
export const FINAL_STATUSES: readonly TaskStatus[] = Object.freeze(['COMPLETE', 'VERIFIED', 'REJECTED', 'FAILED', 'CANCELLED', 'ESCALATED'])

/** Whether a task in `status` is done for good; with `verify`, COMPLETE still awaits verification. */
export function isFinal (status: TaskStatus, verify: boolean): boolean {
  if (status === 'COMPLETE') return !verify
  return FINAL_STATUSES.includes(status)
}

/** What one member reported for one skill. */
export interface MemberResult {
  ok: boolean
  output?: Json
  error?: { code: string, message: string }
  durationMs: number
}

/** One applied event, for the audit trail. `from` equals `to` when the status did not change. */
export interface TaskHistoryEntry {
  at: number
  from: TaskStatus
  to: TaskStatus
  event: TaskEvent['type']
  reason?: string
}

/** State of one task as its announcer sees it. */
export interface TaskState {
  taskId: string
  status: TaskStatus
  /** Current attempt, 1-based; 0 until the first announcement. */
  attempt: number
  maxAttempts: number
  /** Whether a COMPLETE result must still be verified. */
  verify: boolean
  groupId?: string
  /** Members of the current group and the skills each performs. */
  members: GroupMember[]
  /** Skill → peer id → result, for the current attempt. */
  results: Record<string, Record<string, MemberResult>>
  /** Why the task is in its status, when it says something (rejection, failure, cancel…). */
  reason?: string
  history: TaskHistoryEntry[]
  createdAt: number
  updatedAt: number
}

/** Everything that can happen to a task. Each event has the time `at` (epoch ms). */
export type TaskEvent =
  | { type: 'announce', at: number, attempt: number }
  | { type: 'bidding-closed-empty', at: number, reason: string }
  /** No group could form, but capable agents exist (busy): the task waits for capacity. */
  | { type: 'queue', at: number, reason: string }
  /** Capacity may have freed: the queued task is asked again (same attempt, a fresh bid window). */
  | { type: 'reask', at: number }
  | { type: 'group-formed', at: number, groupId: string, members: GroupMember[] }
  | { type: 'started', at: number }
  | { type: 'member-result', at: number, peerId: string, skill: string, result: MemberResult }
  | { type: 'member-replaced', at: number, skill: string, from: string, to: string }
  | { type: 'fail', at: number, reason: string }
  | { type: 'retry', at: number }
  | { type: 'verified', at: number, approved: boolean, reason: string }
  | { type: 'cancel', at: number, reason: string }
  | { type: 'deadline', at: number }
  | { type: 'escalate', at: number, reason: string }

/** Thrown by {@link reduceTask} for an event that does not apply to the task in its status. */
export class InvalidTransitionError extends Error {
  readonly code = 'INVALID_TRANSITION'
  readonly taskId: string
  readonly status: TaskStatus
  readonly event: TaskEvent['type']

  constructor (state: Pick<TaskState, 'taskId' | 'status'>, event: TaskEvent['type'], detail?: string) {
    super(`task ${state.taskId}: cannot apply "${event}" in status ${state.status}${detail === undefined ? '' : `: ${detail}`}`)
    this.name = 'InvalidTransitionError'
    this.taskId = state.taskId
    this.status = state.status
    this.event = event
  }
}

/** A new task, PENDING, not yet announced. */
export function createTask (init: { taskId: string, maxAttempts: number, verify: boolean, now: number }): TaskState {
  if (!Number.isInteger(init.maxAttempts) || init.maxAttempts < 1) throw new RangeError(`maxAttempts must be an integer >= 1, got ${init.maxAttempts}`)
  return {
    taskId: init.taskId,
    status: 'PENDING',
    attempt: 0,
    maxAttempts: init.maxAttempts,
    verify: init.verify,
    members: [],
    results: {},
    history: [],
    createdAt: init.now,
    updatedAt: init.now
  }
}

/** Whether another attempt is allowed after the current one. */
export function hasAttemptsLeft (state: Pick<TaskState, 'attempt' | 'maxAttempts'>): boolean {
  return state.attempt < state.maxAttempts
}

/** Every (skill, peer id) pair the current group must report. */
export function expectedResults (members: readonly GroupMember[]): Array<{ skill: string, peerId: string }> {
  const pairs: Array<{ skill: string, peerId: string }> = []
  for (const member of members) {
    for (const skill of member.skills) pairs.push({ skill, peerId: member.peerId })
  }
  return pairs
}

/** Whether `peerId` is assigned `skill` in the group. */
function isAssigned (members: readonly GroupMember[], peerId: string, skill: string): boolean {
  return members.some(m => m.peerId === peerId && m.skills.includes(skill))
}

function transition (state: TaskState, event: TaskEvent, to: TaskStatus, changes: Partial<TaskState> = {}, reason?: string): TaskState {
  const entry: TaskHistoryEntry = { at: event.at, from: state.status, to, event: event.type }
  if (reason !== undefined) entry.reason = reason
  const next: TaskState = { ...state, ...changes, status: to, history: [...state.history, entry], updatedAt: event.at }
  if (to !== state.status) {
    // The reason explains the current status, so a new status drops the old one.
    if (reason !== undefined) next.reason = reason
    else delete next.reason
  }
  return next
}

/** RETRY when attempts are left, else FAILED. */
function failedOrRetry (state: TaskState): TaskStatus {
  return hasAttemptsLeft(state) ? 'RETRY' : 'FAILED'
}

function describeFailures (results: TaskState['results']): string {
  const parts: string[] = []
  for (const [skill, byPeer] of Object.entries(results)) {
    for (const [peerId, result] of Object.entries(byPeer)) {
      if (result.ok) continue
      const error = result.error === undefined ? 'failed' : `${result.error.code}: ${result.error.message}`
      parts.push(`${peerId} failed "${skill}" (${error})`)
    }
  }
  return parts.join('; ')
}

function applyMemberResult (state: TaskState, event: Extract<TaskEvent, { type: 'member-result' }>): TaskState {
  if (!isAssigned(state.members, event.peerId, event.skill)) {
    throw new InvalidTransitionError(state, event.type, `${event.peerId} is not assigned skill "${event.skill}"`)
  }
  if (state.results[event.skill]?.[event.peerId] !== undefined) {
    throw new InvalidTransitionError(state, event.type, `${event.peerId} already reported skill "${event.skill}"`)
  }
  const results: TaskState['results'] = {
    ...state.results,
    [event.skill]: { ...state.results[event.skill], [event.peerId]: event.result }
  }
  const pending = expectedResults(state.members).filter(p => results[p.skill]?.[p.peerId] === undefined)
  const failureNote = event.result.ok ? undefined : `${event.peerId} failed "${event.skill}"${event.result.error === undefined ? '' : ` (${event.result.error.code}: ${event.result.error.message})`}`
  if (pending.length > 0) return transition(state, event, state.status, { results }, failureNote)
  const failures = describeFailures(results)
  if (failures === '') return transition(state, event, 'COMPLETE', { results })
  return transition(state, event, failedOrRetry(state), { results }, failures)
}

function applyMemberReplaced (state: TaskState, event: Extract<TaskEvent, { type: 'member-replaced' }>): TaskState {
  const { skill, from, to } = event
  if (!isAssigned(state.members, from, skill)) throw new InvalidTransitionError(state, event.type, `${from} is not assigned skill "${skill}"`)
  if (from === to || isAssigned(state.members, to, skill)) throw new InvalidTransitionError(state, event.type, `${to} is already assigned skill "${skill}"`)
  if (state.results[skill]?.[from] !== undefined) throw new InvalidTransitionError(state, event.type, `${from} already reported skill "${skill}"`)
  const members: GroupMember[] = []
  let added = false
  for (const member of state.members) {
    let skills = member.skills
    if (member.peerId === from) skills = skills.filter(s => s !== skill)
    if (member.peerId === to) { skills = [...skills, skill]; added = true }
    if (skills.length > 0) members.push({ peerId: member.peerId, skills })
  }
  if (!added) members.push({ peerId: to, skills: [skill] })
  return transition(state, event, state.status, { members }, `"${skill}": ${from} replaced by ${to}`)
}

/**
 * Applies `event` to `state` and returns the new state (the input is not modified). Throws an
 * {@link InvalidTransitionError} naming the status and the event when the event does not apply:
 * any event after a final status, events out of order (e.g. group-formed while PENDING), and
 * results from peers not assigned the skill or reported twice. Every applied event is appended to
 * `history`.
 */
export function reduceTask (state: TaskState, event: TaskEvent): TaskState {
  const invalid = (detail?: string): InvalidTransitionError => new InvalidTransitionError(state, event.type, detail)
  if (isFinal(state.status, state.verify)) throw invalid('the task is finished')
  const status = state.status

  switch (event.type) {
    case 'announce': {
      if (status !== 'PENDING') throw invalid()
      if (!Number.isInteger(event.attempt) || event.attempt < 1 || event.attempt > state.maxAttempts) {
        throw invalid(`attempt must be 1 to ${state.maxAttempts}, got ${event.attempt}`)
      }
      return transition(state, event, 'ANNOUNCED', { attempt: event.attempt })
    }
    case 'bidding-closed-empty':
      if (status !== 'ANNOUNCED') throw invalid()
      return transition(state, event, 'REJECTED', {}, event.reason)
    case 'queue':
      if (status !== 'ANNOUNCED') throw invalid()
      return transition(state, event, 'QUEUED', {}, event.reason)
    case 'reask':
      if (status !== 'QUEUED') throw invalid()
      return transition(state, event, 'ANNOUNCED')
    case 'group-formed': {
      if (status !== 'ANNOUNCED') throw invalid()
      if (event.members.length === 0 || event.members.some(m => m.skills.length === 0)) throw invalid('a group needs members with skills')
      const members = event.members.map(m => ({ peerId: m.peerId, skills: [...m.skills] }))
      return transition(state, event, 'ASSIGNED', { groupId: event.groupId, members, results: {} })
    }
    case 'started':
      if (status !== 'ASSIGNED') throw invalid()
      return transition(state, event, 'RUNNING')
    case 'member-result':
      if (status !== 'RUNNING') throw invalid()
      return applyMemberResult(state, event)
    case 'member-replaced':
      if (status !== 'ASSIGNED' && status !== 'RUNNING') throw invalid()
      return applyMemberReplaced(state, event)
    case 'fail':
      if (status !== 'ANNOUNCED' && status !== 'ASSIGNED' && status !== 'RUNNING') throw invalid()
      return transition(state, event, failedOrRetry(state), {}, event.reason)
    case 'retry': {
      if (status !== 'RETRY') throw invalid()
      const { groupId: _dropped, ...rest } = state
      return transition(rest, event, 'ANNOUNCED', { attempt: state.attempt + 1, members: [], results: {} })
    }
    case 'verified':
      if (status !== 'COMPLETE') throw invalid()
      if (event.approved) return transition(state, event, 'VERIFIED', {}, event.reason)
      return transition(state, event, failedOrRetry(state), {}, `verification rejected the result: ${event.reason}`)
    case 'cancel':
      return transition(state, event, 'CANCELLED', {}, event.reason)
    case 'deadline':
      return transition(state, event, 'FAILED', {}, 'deadline passed')
    case 'escalate':
      return transition(state, event, 'ESCALATED', {}, event.reason)
  }
}

/** Options of {@link retryDelayMs}. */
export interface BackoffOptions {
  /** Delay after the first attempt, milliseconds (default 500). */
  baseMs?: number
  /** Growth per attempt (default 2). */
  factor?: number
  /** Largest delay, milliseconds (default 30 000). */
  maxMs?: number
  /** Fraction of the delay added or removed at random, 0..1 (default 0.2). */
  jitter?: number
}

/**
 * Delay before the next attempt after attempt number `attempt` (1-based) failed:
 * `baseMs * factor^(attempt-1)`, capped at `maxMs`, then spread by ±`jitter` using `random` (0..1;
 * 0.5 gives the exact delay), never above `maxMs`. Whole milliseconds.
 */
export function retryDelayMs (attempt: number, options: BackoffOptions = {}, random: number = 0.5): number {
  const { baseMs = 500, factor = 2, maxMs = 30_000, jitter = 0.2 } = options
  if (!(baseMs >= 0) || !(factor >= 1) || !(maxMs >= 0) || !(jitter >= 0 && jitter <= 1)) {
    throw new RangeError('retryDelayMs needs baseMs >= 0, factor >= 1, maxMs >= 0 and jitter in 0..1')
  }
  const n = Math.max(1, Math.floor(attempt))
  const delay = Math.min(maxMs, baseMs * Math.pow(factor, n - 1))
  const r = Number.isNaN(random) ? 0.5 : Math.min(1, Math.max(0, random))
  const spread = delay * (1 + jitter * (2 * r - 1))
  return Math.round(Math.min(maxMs, Math.max(0, spread)))
}
