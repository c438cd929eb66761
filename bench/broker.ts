/**
 * The central-broker baseline: the same agents (skills, levels, capacity) and the same workload
 * as a simulator plan, running the same contract net through a real Redis server.
 *
 * - Every agent is an in-process object with two Redis connections: one SUBSCRIBEd to the
 *   channels of its skills and to its own channel, one to PUBLISH.
 * - The announcer PUBLISHes the announcement on the channel of each required skill; capable
 *   agents with free capacity reserve it (a lease) and PUBLISH an offer to the announcer's channel.
 * - The announcer closes bidding early once every required slot has a good offer and a backup
 *   (or, without backups, after a quarter of the bid window), at the latest when the bid window
 *   ends; it selects a group greedily, invites the members on their channels and counts the group
 *   formed when every invitee accepted (a decline is replaced by the next best offer).
 * - It then PUBLISHes "closed" on the skill channels: members start working (sleep workMs),
 *   other bidders release their lease. Members PUBLISH their result to the announcer, which
 *   completes the task when every member answered. Failed attempts are retried like the swarm's.
 */
import { performance } from 'node:perf_hooks'
import { levelRank, LEVELS } from '@swarm/protocol'
import { summarize } from '@swarm/sim'
import { createClient } from 'redis'
import { loopbackBytes } from './loopback.js'
import { procCpuSeconds, procRssBytes } from './redis-server.js'
import type { Level, RequiredSkill } from '@swarm/protocol'
import type { PeerPlan, Scenario, SimulationPlan, TaskPlan } from '@swarm/sim'
import type { RedisTarget } from './redis-server.js'
import type { LatencySummary } from './types.js'

type Client = ReturnType<typeof createClient>

interface OfferSkill { name: string, level: Level }

type Wire =
  | { t: 'announce', task: string, attempt: number, from: number, skills: RequiredSkill[], bidWindowMs: number }
  | { t: 'offer', task: string, attempt: number, from: number, skills: OfferSkill[], load: number, capacity: number }
  | { t: 'invite', task: string, attempt: number, from: number, skills: string[] }
  | { t: 'accept', task: string, attempt: number, from: number }
  | { t: 'decline', task: string, attempt: number, from: number }
  | { t: 'closed', task: string, attempt: number, from: number, members: number[], input: TaskPlan['input'] | null }
  | { t: 'result', task: string, attempt: number, from: number, ok: boolean }

/** What the broker run measured. */
export interface BrokerResult {
  redisVersion: string
  peers: number
  connections: number
  rate: number
  tasks: { announced: number, completed: number, failed: number, rejected: number, lost: number, retried: number, successRate: number }
  formationMs: LatencySummary
  completionMs: LatencySummary
  tasksPerMinute: number
  groupSizes: Record<string, number>
  /** PUBLISH commands per task (each fans out to the channel's subscribers). */
  publishesPerTask: number
  /** Bytes Redis read plus wrote per task (INFO stats): exact, payload only, no TCP/IP headers. */
  redisBytesPerTask?: number
  /** Bytes sent on the loopback per task, less the idle rate (includes other processes' traffic). */
  loopbackBytesPerTask?: number
  /** RSS growth of the broker's process per agent (its Redis clients and state), and redis-server's RSS. */
  memory: { processPerAgentMiB: number, redisRssMiB?: number }
  /** CPU seconds of the agents' process and of redis-server during the load; cores used on average. */
  cpu: { benchS: number, redisS?: number, coresUsed: number }
  durations: { setupMs: number, loadMs: number, drainMs: number }
  failures: Record<string, number>
}

export interface BrokerProgress { announced: number, completed: number, failed: number, total: number }

/** Bidding rules, as in the swarm's defaults. */
const EARLY_MIN_SCORE = 0.45
const GRACE_FRACTION = 0.25
const LEASE_GRACE_MS = 5_000
const RETRY_BACKOFF_MS = 100

const MAX_RANK = LEVELS.length - 1

interface Offer { agent: number, skills: OfferSkill[], load: number, capacity: number }

/** Score of an offer for one required skill, 0..1 (level and free capacity); undefined if it does not qualify. */
function slotScore (offer: Offer, req: RequiredSkill): number | undefined {
  const skill = offer.skills.find(s => s.name === req.name)
  if (skill === undefined) return undefined
  const rank = levelRank(skill.level)
  const minRank = levelRank(req.minLevel)
  if (rank < minRank) return undefined
  const level = MAX_RANK - minRank <= 0 ? 1 : 0.5 + 0.5 * (rank - minRank) / (MAX_RANK - minRank)
  const free = offer.capacity > 0 && offer.load < offer.capacity ? (offer.capacity - offer.load) / offer.capacity : 0
  return 0.6 * level + 0.4 * free
}

interface Selection {
  members: Array<{ agent: number, skills: string[] }>
  minSlotScore: number
  /** Qualified offers left out, per skill, best first. */
  backups: Map<string, number[]>
}

/**
 * A minimal greedy cover (the swarm's selectGroup is not exported by @swarm/node): repeatedly
 * take the offer with the highest summed score over the open slots it can fill (one slot per
 * skill), ties broken by lower load, until every slot is filled.
 */
function selectGreedy (required: RequiredSkill[], offers: Offer[], exclude: ReadonlySet<number>, maxGroupSize: number): Selection | undefined {
  const eligible = offers.filter(o => !exclude.has(o.agent) && o.load < o.capacity)
  const open = new Map(required.map(r => [r.name, r.count]))
  const chosen = new Set<number>()
  const members: Selection['members'] = []
  let minSlotScore = 1
  for (;;) {
    const openSkills = required.filter(r => (open.get(r.name) ?? 0) > 0)
    if (openSkills.length === 0) break
    let best: { offer: Offer, total: number, fills: Array<{ skill: string, score: number }> } | undefined
    for (const offer of eligible) {
      if (chosen.has(offer.agent)) continue
      const fills = openSkills.flatMap(r => { const score = slotScore(offer, r); return score === undefined ? [] : [{ skill: r.name, score }] })
      if (fills.length === 0) continue
      const total = fills.reduce((s, f) => s + f.score, 0)
      if (best === undefined || total > best.total + 1e-9 || (Math.abs(total - best.total) <= 1e-9 && offer.load < best.offer.load)) best = { offer, total, fills }
    }
    if (best === undefined) return undefined
    chosen.add(best.offer.agent)
    members.push({ agent: best.offer.agent, skills: best.fills.map(f => f.skill) })
    for (const f of best.fills) {
      open.set(f.skill, (open.get(f.skill) ?? 0) - 1)
      minSlotScore = Math.min(minSlotScore, f.score)
    }
  }
  if (members.length > maxGroupSize) return undefined
  const backups = new Map<string, number[]>()
  for (const req of required) {
    const ranked = eligible.flatMap(o => { const score = chosen.has(o.agent) ? undefined : slotScore(o, req); return score === undefined ? [] : [{ agent: o.agent, score }] })
    backups.set(req.name, ranked.sort((a, b) => b.score - a.score).map(r => r.agent))
  }
  return { members, minSlotScore, backups }
}

interface Outcome { ok: boolean, status: 'COMPLETED' | 'FAILED' | 'REJECTED', reason?: string, attempts: number, formationMs?: number, totalMs?: number, members: number }

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

interface Channels { skill: (name: string) => string, agent: (index: number) => string }

class Counters {
  publishes = 0
  errors = 0
}

/** One agent: a bidder and member for its skills, and the announcer of its own tasks. */
class BrokerAgent {
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

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

function latency (values: number[]): LatencySummary {
  const s = summarize(values)
  return { n: s.n, p50: s.p50, p95: s.p95, p99: s.p99, max: s.max, mean: s.mean }
}

/** Bytes Redis read from and wrote to its clients so far (INFO stats). */
async function redisNetBytes (client: Client): Promise<number | undefined> {
  const info = await client.info('stats')
  const read = (field: string): number | undefined => {
    const value = new RegExp(`^${field}:(\\d+)`, 'm').exec(info)?.[1]
    return value === undefined ? undefined : Number(value)
  }
  const input = read('total_net_input_bytes')
  const output = read('total_net_output_bytes')
  return input === undefined || output === undefined ? undefined : input + output
}

interface Tally {
  formation: number[]
  completion: number[]
  failures: Record<string, number>
  groupSizes: Record<string, number>
  completed: number
  failed: number
  rejected: number
  retried: number
  lastFinish: number
}

function record (tally: Tally, outcome: Outcome): void {
  tally.lastFinish = Date.now()
  if (outcome.attempts > 1) tally.retried++
  if (outcome.ok) {
    tally.completed++
    if (outcome.formationMs !== undefined) tally.formation.push(outcome.formationMs)
    if (outcome.totalMs !== undefined) tally.completion.push(outcome.totalMs)
    tally.groupSizes[String(outcome.members)] = (tally.groupSizes[String(outcome.members)] ?? 0) + 1
    return
  }
  if (outcome.status === 'REJECTED') tally.rejected++
  else tally.failed++
  const key = `${outcome.status}: ${outcome.reason ?? ''}`
  tally.failures[key] = (tally.failures[key] ?? 0) + 1
}

/**
 * Runs the plan's workload through the broker at `target`: every agent connects first, then the
 * tasks arrive as planned. Run it in a process of its own (see broker-child.ts) so that memory
 * and CPU are the broker's alone.
 */
export async function runBroker (target: RedisTarget, scenario: Scenario, plan: SimulationPlan, onProgress?: (p: BrokerProgress) => void): Promise<BrokerResult> {
  const runId = Math.random().toString(36).slice(2, 8)
  const ch: Channels = { skill: name => `swarm-bench:${runId}:skill:${name}`, agent: index => `swarm-bench:${runId}:agent:${index}` }
  const counters = new Counters()
  const setupStart = Date.now()
  const rss0 = process.memoryUsage().rss
  const control: Client = createClient({ url: target.url })
  control.on('error', () => { counters.errors++ })
  const agents = plan.peers.map(p => new BrokerAgent(p, scenario, target.url, ch, counters))
  try {
    await control.connect()
    for (let i = 0; i < agents.length; i += 20) await Promise.all(agents.slice(i, i + 20).map(async a => { await a.connect() }))
    const setupMs = Date.now() - setupStart
    // Idle traffic on the loopback (other processes of this machine) over a quiet second.
    const quiet0 = loopbackBytes()
    await sleep(1000)
    const quiet1 = loopbackBytes()
    const background = quiet0 !== undefined && quiet1 !== undefined ? quiet1 - quiet0 : undefined

    const cpu0 = process.cpuUsage()
    const redisCpu0 = procCpuSeconds(target.pid)
    const bytes0 = loopbackBytes()
    const net0 = await redisNetBytes(control)
    const loadStart = Date.now()
    const tally: Tally = { formation: [], completion: [], failures: {}, groupSizes: {}, completed: 0, failed: 0, rejected: 0, retried: 0, lastFinish: loadStart }
    const pending: Array<Promise<void>> = []
    const deadline = loadStart + scenario.durationLimitS * 1000
    const timer = setInterval(() => { onProgress?.({ announced: pending.length, completed: tally.completed, failed: tally.failed + tally.rejected, total: plan.tasks.length }) }, 1000)
    for (const task of plan.tasks) {
      const wait = loadStart + task.at - Date.now()
      if (wait > 0) await sleep(wait)
      if (Date.now() > deadline) break
      const announcer = agents[task.announcer] as BrokerAgent
      pending.push(announcer.announce(task).then(outcome => { record(tally, outcome) }))
    }
    const loadEnd = Date.now()
    await Promise.race([Promise.all(pending), sleep(Math.max(0, deadline - Date.now()))])
    clearInterval(timer)
    const elapsedS = Math.max(0.001, (Date.now() - loadStart) / 1000)
    const bytes1 = loopbackBytes()
    const net1 = await redisNetBytes(control)
    const cpu = process.cpuUsage(cpu0)
    const redisCpu1 = procCpuSeconds(target.pid)
    const rss1 = process.memoryUsage().rss
    const redisRss = procRssBytes(target.pid)

    const announced = pending.length
    const lost = announced - tally.completed - tally.failed - tally.rejected
    const benchS = (cpu.user + cpu.system) / 1e6
    const redisS = redisCpu0 !== undefined && redisCpu1 !== undefined ? redisCpu1 - redisCpu0 : undefined
    const perTask = (n: number): number => announced === 0 ? 0 : n / announced
    return {
      redisVersion: target.version,
      peers: agents.length,
      connections: agents.length * 2 + 1,
      rate: scenario.tasks.rate,
      tasks: { announced, completed: tally.completed, failed: tally.failed, rejected: tally.rejected, lost, retried: tally.retried, successRate: perTask(tally.completed) },
      formationMs: latency(tally.formation),
      completionMs: latency(tally.completion),
      tasksPerMinute: (tally.completed / Math.max(1, tally.lastFinish - loadStart)) * 60_000,
      groupSizes: tally.groupSizes,
      publishesPerTask: perTask(counters.publishes),
      ...(net0 !== undefined && net1 !== undefined ? { redisBytesPerTask: perTask(net1 - net0) } : {}),
      ...(bytes0 !== undefined && bytes1 !== undefined && background !== undefined
        ? { loopbackBytesPerTask: perTask(Math.max(0, bytes1 - bytes0 - background * elapsedS)) }
        : {}),
      memory: { processPerAgentMiB: Math.max(0, rss1 - rss0) / 2 ** 20 / agents.length, ...(redisRss !== undefined ? { redisRssMiB: redisRss / 2 ** 20 } : {}) },
      cpu: { benchS, ...(redisS !== undefined ? { redisS } : {}), coresUsed: (benchS + (redisS ?? 0)) / elapsedS },
      durations: { setupMs, loadMs: loadEnd - loadStart, drainMs: Math.max(0, tally.lastFinish - loadEnd) },
      failures: { ...tally.failures, ...(lost > 0 ? { 'LOST: no final state when the run ended': lost } : {}), ...(counters.errors > 0 ? { 'redis client errors': counters.errors } : {}) }
    }
  } finally {
    await Promise.allSettled([...agents.map(async a => { await a.close() }), control.close()])
  }
}
