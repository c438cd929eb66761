/**
 * The live tasks of an announcer: one {@link Session} per task it announced, the registry that
 * holds them (and retires finished ones), and the timers armed for each.
 */
import type { Candidate } from '../../core/scoring.js'
import type { TaskState } from '../../core/task-machine.js'
import type { Clock, TimerHandle } from '../../ports/clock.js'
import type { TaskHandle } from '../task-handle.js'
import type { TaskSpec } from '../task-spec.js'
import type { GroupMember, Json, RequiredSkill, SkillOfferBody, TaskAnnounceBody } from '@swarm/protocol'

/** Parts delivered by earlier attempts: they are not announced again and count in the outcome. */
export interface KeptParts {
  /** The members that delivered them, each with the kept skills only. */
  members: GroupMember[]
  results: TaskState['results']
}

/** What a restarted announcer needs of a session besides its state (stored with the task). */
export interface ResumeData {
  kept: KeptParts
  excluded: string[]
  /** Known addresses of the current members: a restarted node's directory starts empty. */
  addrs: Record<string, string[]>
}

/**
 * The data of a session that its state does not hold, as it is stored with the task, with the
 * members' addresses (at most `maxAddrs` each) as `addrsOf` knows them.
 */
export function resumeDataOf (session: Session, addrsOf: (peerId: string) => string[], maxAddrs: number): ResumeData {
  const addrs: Record<string, string[]> = {}
  for (const m of session.state.members) {
    const known = addrsOf(m.peerId).slice(0, maxAddrs)
    if (known.length > 0) addrs[m.peerId] = known
  }
  return { kept: session.kept, excluded: [...session.excluded], addrs }
}

/** Everything the announcer holds about one task it announced. */
export interface Session {
  spec: TaskSpec
  state: TaskState
  handle: TaskHandle
  /** The announcement of the current attempt (rounds change its attempt and offer cap). */
  body: TaskAnnounceBody
  inputValue?: Json
  /** Offers of the current attempt by bidder, with the signed offer (for the award). */
  offers: Map<string, { candidate: Candidate, at: number, signed: SkillOfferBody }>
  biddingOpen: boolean
  /** Peers that offered on the current attempt (they hear GROUP_FORMED). */
  bidders: Set<string>
  /** Peers not to choose again in this task (declined, silent or failed). */
  excluded: Set<string>
  groupId?: string
  groupTopic?: string
  /** Last checkpoint per skill, from progress updates. */
  checkpoints: Map<string, Json>
  /** Parts that earlier attempts delivered (a retry announces only the others). */
  kept: KeptParts
  timers: Set<TimerHandle>
  announcedAt: number
  formedAt?: number
  startedAt?: number
  formationMs?: number
  /** Members being replaced right now, by peer id. */
  replacing: Set<string>
  /** The silence timer of each started member, by peer id (re-armed by its heartbeats, see liveness.ts). */
  silence: Map<string, TimerHandle>
  /** Whether the grace-period close of this attempt is scheduled. */
  graceArmed: boolean
  /** Agents asked directly in this round that have not answered yet. */
  pendingTargets: number
  /** Whether this round also went out on gossip topics (more offers may come from anyone). */
  gossiped: boolean
  /** Agents asked directly in this attempt, and in how many rounds. */
  asked: Set<string>
  directRounds: number
  /** Addresses of the members, as stored before a restart (resume.ts). */
  memberAddrs?: Record<string, string[]>
  /** The timer that ends the current round's bid window (a new round replaces it). */
  roundTimer?: TimerHandle
  /** Since when the task waits in the queue (while QUEUED; see queue.ts). */
  queuedSince?: number
  /** How many times the task was asked again from the queue (the `ask` of its announcements). */
  reasks?: number
  /** Tasks waiting for this one (a workflow sets it): raises its place in the queue. 0 when absent. */
  dependents?: number
}

/** The required skills of a spec, as announced. */
export function requiredOf (spec: TaskSpec): RequiredSkill[] {
  return spec.skills.map(s => ({ name: s.name, minLevel: s.minLevel, count: s.count }))
}

/**
 * Keeps the parts of a failed attempt whose every assigned member succeeded, so that the retry
 * runs only the others. A result the group rejected in verification keeps nothing (and drops
 * what was kept): the whole result was refused, so every part runs again.
 */
export function keepDeliveredParts (session: Session): void {
  const { state } = session
  if (state.history.at(-1)?.event === 'verified') {
    session.kept = { members: [], results: {} }
    return
  }
  const delivered = (skill: string): boolean => state.members.every(m => !m.skills.includes(skill) || state.results[skill]?.[m.peerId]?.ok === true)
  const skills = new Set(state.members.flatMap(m => m.skills).filter(delivered))
  for (const member of state.members) {
    const mine = member.skills.filter(s => skills.has(s))
    if (mine.length > 0) session.kept.members.push({ peerId: member.peerId, skills: mine })
  }
  for (const skill of skills) session.kept.results[skill] = { ...state.results[skill] }
}

/** The required skills of the next attempt: those no earlier attempt delivered. */
export function stillRequired (session: Session): RequiredSkill[] {
  const left = requiredOf(session.spec).filter(r => session.kept.results[r.name] === undefined)
  if (left.length > 0) return left
  // Nothing left yet the attempt failed: keep nothing and run every part again.
  session.kept = { members: [], results: {} }
  return requiredOf(session.spec)
}

/** The offers of the current attempt, as selection candidates. */
export function candidatesOf (session: Session): Candidate[] {
  return [...session.offers.values()].map(o => o.candidate)
}

/**
 * A fresh session of a task about to be announced for the first time (or restored after a
 * restart, from its stored spec: resume.ts), with the spec's `dependents` for the queue.
 */
export function newSession (init: { spec: TaskSpec, state: TaskState, handle: TaskHandle, body: TaskAnnounceBody, now: number }): Session {
  const { spec } = init
  return {
    spec,
    state: init.state,
    handle: init.handle,
    body: init.body,
    ...(spec.input !== undefined ? { inputValue: spec.input } : {}),
    ...(spec.dependents !== undefined ? { dependents: spec.dependents } : {}),
    offers: new Map(),
    biddingOpen: false,
    bidders: new Set(),
    excluded: new Set(),
    checkpoints: new Map(),
    kept: { members: [], results: {} },
    timers: new Set(),
    announcedAt: init.now,
    replacing: new Set(),
    silence: new Map(),
    graceArmed: false,
    pendingTargets: 0,
    asked: new Set(),
    directRounds: 0,
    gossiped: true
  }
}

/**
 * The registry of live tasks. Finished tasks stay in it for late results and event readers for
 * a while (`retainFinished` of them), then only in the store: memory does not grow with the
 * number of tasks a node ever announced. Timers are armed per session, so that a task that ends
 * clears its own, and none fires once the announcer stopped.
 */
export class TaskSessions {
  readonly #clock: Clock
  readonly #retainFinished: number
  readonly #sessions = new Map<string, Session>()
  readonly #finished: string[] = []
  #stopped = false

  constructor (clock: Clock, retainFinished: number) {
    this.#clock = clock
    this.#retainFinished = retainFinished
  }

  /** Whether the announcer stopped: no timer fires, no task is announced. */
  get stopped (): boolean {
    return this.#stopped
  }

  get (taskId: string): Session | undefined {
    return this.#sessions.get(taskId)
  }

  has (taskId: string): boolean {
    return this.#sessions.has(taskId)
  }

  add (session: Session): void {
    this.#sessions.set(session.state.taskId, session)
  }

  values (): IterableIterator<Session> {
    return this.#sessions.values()
  }

  /** Runs `fn` after `ms` unless the task's timers were cleared or the announcer stopped. */
  timer (session: Session, ms: number, fn: () => void): TimerHandle {
    const handle = this.#clock.setTimeout(() => {
      session.timers.delete(handle)
      if (!this.#stopped) fn()
    }, ms)
    session.timers.add(handle)
    return handle
  }

  /** Clears one timer of a task. */
  clearTimer (session: Session, handle: TimerHandle): void {
    this.#clock.clearTimeout(handle)
    session.timers.delete(handle)
  }

  /** Clears every timer of a task. */
  clearTimers (session: Session): void {
    for (const handle of session.timers) this.#clock.clearTimeout(handle)
    session.timers.clear()
  }

  /** Marks a task finished; the oldest finished tasks beyond `retainFinished` are forgotten. */
  retire (taskId: string): void {
    this.#finished.push(taskId)
    while (this.#finished.length > this.#retainFinished) {
      const old = this.#finished.shift()
      if (old !== undefined && old !== taskId) this.#sessions.delete(old)
    }
  }

  /** From now on no timer fires; clears those armed. */
  stop (): void {
    this.#stopped = true
    for (const session of this.#sessions.values()) this.clearTimers(session)
  }
}
