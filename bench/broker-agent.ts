/**
 * One agent of the broker baseline: bidder and member for its skills, announcer of its own
 * tasks, talking through Redis pub/sub only (see broker.ts for the protocol).
 */
import { performance } from 'node:perf_hooks'
import { levelRank } from '@swarm/protocol'
import { createClient } from 'redis'
import { selectGreedy } from './broker-select.js'
import type { Offer, OfferSkill } from './broker-select.js'
import type { RequiredSkill } from '@swarm/protocol'
import type { PeerPlan, Scenario, TaskPlan } from '@swarm/sim'

export type Client = ReturnType<typeof createClient>

type Wire =
  | { t: 'announce', task: string, attempt: number, from: number, skills: RequiredSkill[], bidWindowMs: number }
  | { t: 'offer', task: string, attempt: number, from: number, skills: OfferSkill[], load: number, capacity: number }
  | { t: 'invite', task: string, attempt: number, from: number, skills: string[] }
  | { t: 'accept', task: string, attempt: number, from: number }
  | { t: 'decline', task: string, attempt: number, from: number }
  | { t: 'closed', task: string, attempt: number, from: number, members: number[], input: TaskPlan['input'] | null }
  | { t: 'result', task: string, attempt: number, from: number, ok: boolean }

/** Bidding rules, as in the swarm's defaults. */
const EARLY_MIN_SCORE = 0.45
const GRACE_FRACTION = 0.25
const LEASE_GRACE_MS = 5_000
const RETRY_BACKOFF_MS = 100

export interface Outcome { ok: boolean, status: 'COMPLETED' | 'FAILED' | 'REJECTED', reason?: string, attempts: number, formationMs?: number, totalMs?: number, members: number }

interface Session {
  plan: TaskPlan
  taskId: string
  attempt: number
  /** bidding → inviting → formed (members work) → final; waiting between attempts. */
  phase: 'bidding' | 'inviting' | 'formed' | 'waiting' | 'final'
  createdAt: number
  announcedAt: number
  offers: Map<number, Offer>
  graceArmed: boolean
  /** Agents not to choose again in this task (they declined). */
  excluded: Set<number>
  /** Invited members of the current attempt and their skills. */
  invited: Map<number, string[]>
  accepted: Set<number>
  formationMs?: number
  results: Set<number>
  timers: Set<NodeJS.Timeout>
  done: (outcome: Outcome) => void
}

export interface Channels { skill: (name: string) => string, agent: (index: number) => string }

export class Counters {
  publishes = 0
  errors = 0
}

/** One agent: a bidder and member for its skills, and the announcer of its own tasks. */
export class BrokerAgent {
  readonly #peer: PeerPlan
  readonly #capacity: number
  readonly #tasks: Scenario['tasks']
  readonly #pub: Client
  readonly #sub: Client
  readonly #ch: Channels
  readonly #counters: Counters
  readonly #leases = new Map<string, NodeJS.Timeout>()
  readonly #seen = new Set<string>()
  readonly #started = new Set<string>()
  readonly #sessions = new Map<string, Session>()
  #running = 0

  constructor (peer: PeerPlan, scenario: Scenario, url: string, ch: Channels, counters: Counters) {
    this.#peer = peer
    this.#capacity = scenario.capacity
    this.#tasks = scenario.tasks
    this.#ch = ch
    this.#counters = counters
    this.#pub = createClient({ url })
    this.#sub = this.#pub.duplicate()
    for (const c of [this.#pub, this.#sub]) c.on('error', () => { counters.errors++ })
  }

  get index (): number { return this.#peer.index }

  async connect (): Promise<void> {
    await Promise.all([this.#pub.connect(), this.#sub.connect()])
    const listener = (raw: string): void => { this.#onMessage(JSON.parse(raw) as Wire) }
    await this.#sub.subscribe([...this.#peer.skills.map(s => this.#ch.skill(s.name)), this.#ch.agent(this.#peer.index)], listener)
  }

  async close (): Promise<void> {
    for (const t of this.#leases.values()) clearTimeout(t)
    for (const s of this.#sessions.values()) for (const t of s.timers) clearTimeout(t)
    await Promise.allSettled([this.#sub.close(), this.#pub.close()])
  }

  #publish (channel: string, message: Wire): void {
    this.#counters.publishes++
    this.#pub.publish(channel, JSON.stringify(message)).catch(() => { this.#counters.errors++ })
  }

  #load (): number { return this.#running + this.#leases.size }

  #reserve (key: string, holdMs: number): void {
    const old = this.#leases.get(key)
    if (old !== undefined) clearTimeout(old)
    this.#leases.set(key, setTimeout(() => { this.#leases.delete(key) }, holdMs))
  }

  #release (key: string): boolean {
    const timer = this.#leases.get(key)
    if (timer === undefined) return false
    clearTimeout(timer)
    this.#leases.delete(key)
    return true
  }

  #onMessage (m: Wire): void {
    switch (m.t) {
      case 'announce': this.#onAnnounce(m); break
      case 'invite': this.#onInvite(m); break
      case 'closed': this.#onClosed(m); break
      case 'offer': case 'accept': case 'decline': case 'result': this.#onReply(m); break
    }
  }

  // -- bidder and member side ------------------------------------------------

  #onAnnounce (m: Extract<Wire, { t: 'announce' }>): void {
    const key = `${m.task}/${m.attempt}`
    if (this.#seen.has(key)) return // a task of two of my skills arrives on both channels
    this.#seen.add(key)
    const skills = this.#peer.skills.filter(s => m.skills.some(r => r.name === s.name && levelRank(s.level) >= levelRank(r.minLevel)))
    if (skills.length === 0 || this.#load() >= this.#capacity) return
    const load = this.#load()
    this.#reserve(key, m.bidWindowMs + LEASE_GRACE_MS)
    this.#publish(this.#ch.agent(m.from), { t: 'offer', task: m.task, attempt: m.attempt, from: this.index, skills, load, capacity: this.#capacity })
  }

  #onInvite (m: Extract<Wire, { t: 'invite' }>): void {
    const key = `${m.task}/${m.attempt}`
    const ok = this.#leases.has(key) || this.#load() < this.#capacity
    if (ok) this.#reserve(key, LEASE_GRACE_MS)
    const answer = { task: m.task, attempt: m.attempt, from: this.index }
    this.#publish(this.#ch.agent(m.from), ok ? { t: 'accept', ...answer } : { t: 'decline', ...answer })
  }

  #onClosed (m: Extract<Wire, { t: 'closed' }>): void {
    const key = `${m.task}/${m.attempt}`
    const leased = this.#release(key)
    if (!m.members.includes(this.index) || m.input === null || this.#started.has(key)) return
    if (!leased && this.#load() >= this.#capacity) {
      this.#publish(this.#ch.agent(m.from), { t: 'result', task: m.task, attempt: m.attempt, from: this.index, ok: false })
      return
    }
    this.#started.add(key)
    this.#running++
    const input = m.input
    setTimeout(() => {
      this.#running--
      this.#publish(this.#ch.agent(m.from), { t: 'result', task: m.task, attempt: m.attempt, from: this.index, ok: !input.fail })
    }, input.workMs)
  }

  // -- announcer side --------------------------------------------------------

  async announce (plan: TaskPlan): Promise<Outcome> {
    return await new Promise(resolve => {
      const now = performance.now()
      const session: Session = {
        plan,
        taskId: `t${plan.index}`,
        attempt: 0,
        phase: 'waiting',
        createdAt: now,
        announcedAt: now,
        offers: new Map(),
        graceArmed: false,
        excluded: new Set(),
        invited: new Map(),
        accepted: new Set(),
        results: new Set(),
        timers: new Set(),
        done: resolve
      }
      this.#sessions.set(session.taskId, session)
      this.#timer(session, this.#tasks.deadlineMs, () => { this.#finish(session, { ok: false, status: 'FAILED', reason: 'deadline passed' }) })
      this.#startAttempt(session)
    })
  }

  #timer (session: Session, ms: number, fn: () => void): void {
    const t = setTimeout(() => { session.timers.delete(t); fn() }, ms)
    session.timers.add(t)
  }

  #startAttempt (session: Session): void {
    if (session.phase === 'final') return
    session.attempt++
    session.phase = 'bidding'
    session.offers.clear()
    session.invited.clear()
    session.accepted.clear()
    session.results.clear()
    session.graceArmed = false
    session.announcedAt = performance.now()
    const attempt = session.attempt
    const bidWindowMs = this.#tasks.bidWindowMs
    for (const name of new Set(session.plan.skills.map(s => s.name))) {
      this.#publish(this.#ch.skill(name), { t: 'announce', task: session.taskId, attempt, from: this.index, skills: session.plan.skills, bidWindowMs })
    }
    this.#timer(session, bidWindowMs, () => { this.#close(session, attempt) })
  }

  #onReply (m: Extract<Wire, { t: 'offer' | 'accept' | 'decline' | 'result' }>): void {
    const session = this.#sessions.get(m.task)
    if (session === undefined || m.attempt !== session.attempt) return
    if (m.t === 'offer') this.#onOffer(session, m)
    else if (m.t === 'accept') this.#onAccept(session, m.from)
    else if (m.t === 'decline') this.#onDecline(session, m.from)
    else this.#onResult(session, m.from, m.ok)
  }

  #maxGroupSize (session: Session): number {
    return session.plan.skills.reduce((s, r) => s + r.count, 0)
  }

  #onOffer (session: Session, m: Extract<Wire, { t: 'offer' }>): void {
    if (session.phase !== 'bidding') return
    session.offers.set(m.from, { agent: m.from, skills: m.skills, load: m.load, capacity: m.capacity })
    const selection = selectGreedy(session.plan.skills, [...session.offers.values()], session.excluded, this.#maxGroupSize(session))
    if (selection === undefined) return
    const attempt = session.attempt
    const backedUp = [...selection.backups.values()].every(list => list.length >= 1)
    if (backedUp && selection.minSlotScore >= EARLY_MIN_SCORE) {
      this.#close(session, attempt)
    } else if (!session.graceArmed) {
      session.graceArmed = true
      const wait = Math.max(0, session.announcedAt + this.#tasks.bidWindowMs * GRACE_FRACTION - performance.now())
      this.#timer(session, wait, () => { this.#close(session, attempt) })
    }
  }

  #close (session: Session, attempt: number): void {
    if (session.phase !== 'bidding' || session.attempt !== attempt) return
    session.phase = 'inviting'
    const selection = selectGreedy(session.plan.skills, [...session.offers.values()], session.excluded, this.#maxGroupSize(session))
    if (selection === undefined) {
      const reason = session.offers.size === 0 ? 'no capable agent offered within the bid window' : 'the offers do not cover every required skill'
      if (session.attempt > 1) {
        this.#failAttempt(session, reason, 'FAILED')
        return
      }
      // As in the swarm: no group on the first attempt rejects the task.
      this.#announceClosed(session, [], null)
      this.#finish(session, { ok: false, status: 'REJECTED', reason })
      return
    }
    for (const member of selection.members) this.#invite(session, member.agent, member.skills)
  }

  #invite (session: Session, agent: number, skills: string[]): void {
    session.invited.set(agent, skills)
    this.#publish(this.#ch.agent(agent), { t: 'invite', task: session.taskId, attempt: session.attempt, from: this.index, skills })
  }

  #onAccept (session: Session, from: number): void {
    if (session.phase !== 'inviting' || !session.invited.has(from)) return
    session.accepted.add(from)
    if (session.accepted.size < session.invited.size) return
    session.phase = 'formed'
    session.formationMs = performance.now() - session.announcedAt
    this.#announceClosed(session, [...session.accepted], session.plan.input)
  }

  #onDecline (session: Session, from: number): void {
    const skills = session.invited.get(from)
    if (session.phase !== 'inviting' || skills === undefined) return
    session.invited.delete(from)
    session.excluded.add(from)
    const exclude = new Set([...session.excluded, ...session.invited.keys()])
    for (const skill of skills) {
      const req = session.plan.skills.find(r => r.name === skill)
      const replacement = req === undefined ? undefined : selectGreedy([{ ...req, count: 1 }], [...session.offers.values()], exclude, 1)?.members[0]
      if (replacement === undefined) {
        this.#failAttempt(session, 'the group could not be completed: invitees declined and no backup was left', 'FAILED')
        return
      }
      exclude.add(replacement.agent)
      this.#invite(session, replacement.agent, [...(session.invited.get(replacement.agent) ?? []), skill])
    }
  }

  #onResult (session: Session, from: number, ok: boolean): void {
    if (session.phase !== 'formed' || !session.accepted.has(from)) return
    if (!ok) {
      this.#failAttempt(session, 'a member failed', 'FAILED')
      return
    }
    session.results.add(from)
    if (session.results.size === session.accepted.size) this.#finish(session, { ok: true, status: 'COMPLETED', members: session.accepted.size })
  }

  #announceClosed (session: Session, members: number[], input: TaskPlan['input'] | null): void {
    for (const name of new Set(session.plan.skills.map(s => s.name))) {
      this.#publish(this.#ch.skill(name), { t: 'closed', task: session.taskId, attempt: session.attempt, from: this.index, members, input })
    }
  }

  /** Ends the current attempt: bidders release their leases; a new attempt follows after a backoff, or the task ends. */
  #failAttempt (session: Session, reason: string, status: 'FAILED'): void {
    if (session.phase !== 'formed') this.#announceClosed(session, [], null)
    if (session.attempt < this.#tasks.maxAttempts) {
      session.phase = 'waiting'
      this.#timer(session, RETRY_BACKOFF_MS * session.attempt, () => { this.#startAttempt(session) })
      return
    }
    this.#finish(session, { ok: false, status, reason })
  }

  #finish (session: Session, outcome: { ok: boolean, status: Outcome['status'], reason?: string, members?: number }): void {
    if (session.phase === 'final') return
    const ok = outcome.ok && session.formationMs !== undefined
    session.phase = 'final'
    for (const t of session.timers) clearTimeout(t)
    session.timers.clear()
    this.#sessions.delete(session.taskId)
    session.done({
      ok: outcome.ok,
      status: outcome.status,
      ...(outcome.reason !== undefined ? { reason: outcome.reason } : {}),
      attempts: session.attempt,
      members: outcome.members ?? 0,
      ...(ok ? { formationMs: session.formationMs, totalMs: performance.now() - session.createdAt } : {})
    })
  }
}
