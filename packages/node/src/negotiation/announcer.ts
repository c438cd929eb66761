import { createHash } from 'node:crypto'
import { peerIdFromString } from '@libp2p/peer-id'
import { LIMITS, createMessage, encodeMessage, newId, topics } from '@swarm/protocol'
import { aggregateResults } from '../core/aggregate.js'
import { coveredWell, replacementFor, selectGroup } from '../core/selection.js'
import { chooseDirectTargets } from '../core/offer-cap.js'
import { createTask, InvalidTransitionError, isFinal, reduceTask, retryDelayMs } from '../core/task-machine.js'
import { SwarmError } from '../errors.js'
import { TaskSpecSchema } from './task-spec.js'
import { TaskHandle } from './task-handle.js'
import type { Candidate } from '../core/scoring.js'
import type { TaskEvent, TaskState } from '../core/task-machine.js'
import type { Logger } from '../logger.js'
import type { DirectMessenger } from '../net/direct.js'
import type { GossipDelivery, GossipRouter } from '../net/gossip.js'
import type { TaskLifecycleEvent, TaskOutcome } from './task-handle.js'
import type { TaskSpec, TaskSpecInput } from './task-spec.js'
import type { PeerId } from '@libp2p/interface'
import type { GroupMember, Json, Level, MessageOf, RequiredSkill, SwarmMessage, TaskAnnounceBody, TaskInput, VerifyPolicy } from '@swarm/protocol'

/** An outcome of a group decision. */
export type GroupOutcome = 'approved' | 'rejected' | 'no-quorum'

/** How the announcer tells the group layer about its groups, and asks it for decisions. */
export interface AnnouncerGroupHooks {
  /** A group formed: this node (the announcer) is in it. */
  formed: (info: { taskId: string, groupId: string, members: GroupMember[] }) => void
  /** A member was replaced. */
  membersChanged: (groupId: string, members: GroupMember[]) => void
  /** The group dissolves (before DISSOLVE goes out). */
  dissolved: (taskId: string, groupId: string) => void
  /** The group votes on the aggregated result; resolves with the outcome. */
  verify: (info: { taskId: string, groupId: string, attempt: number, policy: VerifyPolicy, timeoutMs: number }) => Promise<{ outcome: GroupOutcome, proposalId?: string }>
  /** A task failed all its attempts: a human should look at it. */
  escalate: (info: { taskId: string, groupId?: string, issue: string, attemptedResolutions: string[], context?: Json }) => void
}

export interface AnnouncerOptions {
  self: PeerId
  network: string
  gossip: GossipRouter
  messenger: DirectMessenger
  logger: Logger
  /** This node's dialable addresses, put in announcements. */
  addrs: () => string[]
  /** Makes sure announcements for these skills reach someone; throws NO_CAPABLE_PEERS otherwise. */
  ensureReachable: (skills: RequiredSkill[]) => Promise<void>
  /** Hands an announcement to this node's own bidder (gossip does not deliver to the sender). */
  localBidder: (body: TaskAnnounceBody) => void
  /** Persists a task's state and result. */
  save: (task: { spec: TaskSpec, state: TaskState, outcome?: TaskOutcome }) => void
  audit: (taskId: string, action: string, detail?: Json) => void
  reputation: (peerId: string) => number
  onReputation: (peerId: string, outcome: 'success' | 'failure' | 'no-show') => void
  emit: (event: TaskLifecycleEvent) => void
  /** Minimum slot score to close bidding early, and backups wanted per skill. */
  /**
   * Closing bidding early: at once when every slot has an offer scoring minScore plus
   * backupsPerSkill backups; or, without backups, once graceFraction of the bid window passed
   * (offers from responsive agents arrive within milliseconds; waiting longer gains little).
   */
  earlyClose?: { minScore: number, backupsPerSkill: number, graceFraction?: number }
  /** Offers wanted per required member in a first round (0: every capable agent offers). */
  offerCap?: number
  /** Agents this node knows that can do a skill at a level (peer ids), to decide on widening. */
  capablePeers?: (skill: string, minLevel: Level) => string[]
  /** Known addresses of an agent (from the directory), to reach it directly. */
  addrsOf?: (peerId: string) => string[]
  /** Peers this node has an open connection to (those are asked first, see chooseDirectTargets). */
  connectedPeers?: () => ReadonlySet<string>
  /** How long an invitee has to answer. */
  inviteTimeoutMs?: number
  /** How long a member may be unreachable before its part is handed to a backup. */
  memberGraceMs?: number
  /** Finished tasks kept in memory (older ones are only in the store). */
  retainFinished?: number
  /** The working-group layer (verification, escalations, blackboards). */
  groups?: AnnouncerGroupHooks
  /** Longest time the group has to verify a result (default 10 s; never past the deadline). */
  verifyTimeoutMs?: number
}

interface Session {
  spec: TaskSpec
  state: TaskState
  handle: TaskHandle
  body: TaskAnnounceBody
  inputValue?: Json
  offers: Map<string, { candidate: Candidate, at: number }>
  biddingOpen: boolean
  /** Peers that offered on the current attempt (they hear GROUP_FORMED). */
  bidders: Set<string>
  /** Peers not to choose again in this task (declined, silent or failed). */
  excluded: Set<string>
  groupId?: string
  groupTopic?: string
  /** Last checkpoint per skill, from progress updates. */
  checkpoints: Map<string, Json>
  timers: Set<NodeJS.Timeout>
  announcedAt: number
  formedAt?: number
  startedAt?: number
  formationMs?: number
  /** Members being replaced right now, by peer id. */
  replacing: Set<string>
  /** Whether the grace-period close of this attempt is scheduled. */
  graceArmed: boolean
  /** Agents asked directly in this round that have not answered yet. */
  pendingTargets: number
  /** Whether this round also went out on gossip topics (more offers may come from anyone). */
  gossiped: boolean
  /** Agents asked directly in this attempt, and in how many rounds. */
  asked: Set<string>
  directRounds: number
  /** The timer that ends the current round's bid window (a new round replaces it). */
  roundTimer?: NodeJS.Timeout
}

/**
 * Direct rounds of one attempt before its announcement goes to the whole skill topics. When the
 * first agents asked cannot make a group (busy, gone), the next ones the directory knows are
 * asked: the cost stays with a few agents per round. Widening to the topic instead would hand
 * every capable agent the work of an announcement at the moment the swarm is busiest, which
 * turns an overload into a collapse (measured at 20 tasks/s on 100 peers: 49 500 gossip
 * announcements delivered, half the tasks rejected).
 */
const MAX_DIRECT_ROUNDS = 3

/**
 * Offers per required slot that a widened (topic) round asks for, as a multiple of offerCap:
 * enough to reach agents beyond the ones asked directly, bounded so that a widened task costs
 * the announcer tens of offers (each a stream, often a new connection), not one per capable
 * agent of the swarm.
 */
const WIDENED_OFFER_CAP_FACTOR = 4

/**
 * Connections below which an announcer keeps one place of each direct round for an agent it
 * may not be connected to (see chooseDirectTargets): that spreads work and connections over
 * the swarm; above it, connected agents come first.
 */
const EXPLORE_BELOW_CONNECTIONS = 32

/** How long past its bid window a direct announcement waits for the agent's answer. */
const DIRECT_ANSWER_SLACK_MS = 2_000

function requiredOf (spec: TaskSpec): RequiredSkill[] {
  return spec.skills.map(s => ({ name: s.name, minLevel: s.minLevel, count: s.count }))
}

/**
 * The announcer side of negotiation: announces tasks on the topics of their skills, collects
 * offers until the bid window ends or the skills are covered well, selects and invites a group
 * (replacing decliners and silent invitees with backups), starts the members, aggregates their
 * results, retries failed attempts with backoff, and dissolves the group.
 */
export class Announcer {
  readonly #o: AnnouncerOptions
  readonly #log: Logger
  readonly #sessions = new Map<string, Session>()
  /** Notices on their way (cancels, group formed): stopping waits a little for them. */
  readonly #notices = new Set<Promise<void>>()
  #stopped = false
  readonly stats = { announced: 0, formed: 0, completed: 0, failed: 0, rejected: 0, cancelled: 0, offersReceived: 0, retries: 0, verified: 0, escalated: 0, invalidTransitions: 0 }

  constructor (options: AnnouncerOptions) {
    this.#o = options
    this.#log = options.logger
  }

  /**
   * Cancels the tasks that are not final (their members are told to stop) and waits up to
   * `noticeWaitMs` for the notices to be delivered, so that members do not go on working for
   * an announcer that is gone.
   */
  async stop (noticeWaitMs = 2_000): Promise<void> {
    this.#stopped = true
    for (const session of this.#sessions.values()) {
      for (const t of session.timers) clearTimeout(t)
      if (!isFinal(session.state.status, session.state.verify)) {
        try {
          this.#apply(session, { type: 'cancel', at: Date.now(), reason: 'the announcer stopped' })
        } catch { /* already final */ }
      }
      if (session.groupTopic !== undefined) this.#o.gossip.unsubscribe(session.groupTopic)
    }
    if (this.#notices.size === 0) return
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      Promise.allSettled([...this.#notices]),
      new Promise<void>(resolve => { timer = setTimeout(resolve, noticeWaitMs) })
    ])
    clearTimeout(timer)
  }

  get (taskId: string): TaskHandle | undefined {
    return this.#sessions.get(taskId)?.handle
  }

  state (taskId: string): TaskState | undefined {
    return this.#sessions.get(taskId)?.state
  }

  /** Tasks that are not final yet. */
  active (): number {
    let n = 0
    for (const s of this.#sessions.values()) if (!isFinal(s.state.status, s.state.verify)) n++
    return n
  }

  /** Validates the spec, checks that someone can hear it, and announces it. */
  async announce (input: TaskSpecInput): Promise<TaskHandle> {
    if (this.#stopped) throw new SwarmError('NOT_STARTED', 'the node is stopped')
    const parsed = TaskSpecSchema.safeParse(input)
    if (!parsed.success) {
      throw new SwarmError('CONFIG_INVALID', `invalid task: ${parsed.error.issues.map(i => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`)
    }
    const spec = parsed.data
    const required = requiredOf(spec)
    const slots = required.reduce((n, r) => n + r.count, 0)
    const maxGroupSize = spec.maxGroupSize ?? Math.min(LIMITS.maxGroupSize, slots)
    const taskId = spec.taskId ?? newId()
    if (this.#sessions.has(taskId)) throw new SwarmError('TASK_STATE', `task ${taskId} was already announced`)
    await this.#o.ensureReachable(required)

    const now = Date.now()
    let inputDescriptor: TaskInput = { kind: 'none' }
    if (spec.input !== undefined) {
      const bytes = new TextEncoder().encode(JSON.stringify(spec.input))
      if (bytes.byteLength > LIMITS.maxFetchedInputBytes) {
        throw new SwarmError('CONFIG_INVALID', `task input is ${bytes.byteLength} bytes, the limit is ${LIMITS.maxFetchedInputBytes}`)
      }
      inputDescriptor = bytes.byteLength <= LIMITS.maxInlineInputBytes
        ? { kind: 'inline', value: spec.input }
        : { kind: 'ref', bytes: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') }
    }
    const body: TaskAnnounceBody = {
      taskId,
      description: spec.description,
      skills: required,
      maxGroupSize,
      priority: spec.priority,
      deadline: now + spec.deadlineMs,
      bidWindowMs: spec.bidWindowMs,
      input: inputDescriptor,
      announcerAddrs: this.#o.addrs().slice(0, LIMITS.maxAddrs),
      attempt: 1,
      createdAt: now,
      verify: spec.verify,
      offerCap: this.#o.offerCap ?? 0
    }
    // Fail early (before anyone hears it) if the announcement would not fit on gossip.
    encodeMessage(createMessage('TASK_ANNOUNCE', body), LIMITS.maxGossipMessageBytes)

    const handle = new TaskHandle(taskId, async reason => { await this.cancel(taskId, reason) })
    const session: Session = {
      spec,
      state: createTask({ taskId, maxAttempts: spec.maxAttempts, verify: spec.verify !== 'none', now }),
      handle,
      body,
      ...(spec.input !== undefined ? { inputValue: spec.input } : {}),
      offers: new Map(),
      biddingOpen: false,
      bidders: new Set(),
      excluded: new Set(),
      checkpoints: new Map(),
      timers: new Set(),
      announcedAt: now,
      replacing: new Set(),
      graceArmed: false,
      pendingTargets: 0,
      asked: new Set(),
      directRounds: 0,
      gossiped: true
    }
    this.#sessions.set(taskId, session)
    this.#o.audit(taskId, 'task-created', { description: spec.description, skills: required, priority: spec.priority, deadline: body.deadline, input: inputDescriptor.kind })
    this.#timer(session, Math.max(0, body.deadline - now), () => { this.#onDeadline(session) })
    this.#apply(session, { type: 'announce', at: now, attempt: 1 })
    await this.#publishAnnouncement(session)
    return handle
  }

  async cancel (taskId: string, reason: string): Promise<TaskState> {
    const session = this.#sessions.get(taskId)
    if (session === undefined) throw new SwarmError('TASK_NOT_FOUND', `no active task ${taskId} on this node`)
    if (isFinal(session.state.status, session.state.verify)) {
      throw new SwarmError('TASK_STATE', `task ${taskId} is already ${session.state.status}`)
    }
    this.#apply(session, { type: 'cancel', at: Date.now(), reason })
    return session.state
  }

  // -------------------------------------------------------------------------
  // State

  #timer (session: Session, ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      session.timers.delete(t)
      if (!this.#stopped) fn()
    }, ms)
    session.timers.add(t)
    return t
  }

  /** Ends the current round's bid window after `ms` (replacing the previous round's timer). */
  #roundTimer (session: Session, ms: number, attempt: number): void {
    if (session.roundTimer !== undefined) {
      clearTimeout(session.roundTimer)
      session.timers.delete(session.roundTimer)
    }
    // The decision waits for the I/O already queued: after the event loop was stuck (a long
    // GC pause on a busy host), expired timers run before the sockets are read, and the offers
    // that arrived in time would be missed, turning one stall into a round of failed tasks.
    session.roundTimer = this.#timer(session, ms, () => { setImmediate(() => { this.#closeBidding(session, false, attempt) }) })
  }

  #emit (event: TaskLifecycleEvent): void {
    const session = this.#sessions.get(event.taskId)
    session?.handle.push(event)
    this.#o.emit(event)
  }

  /**
   * Applies an event to a task's state machine, persists, audits and reacts to final states. An
   * event the machine refuses (a race between a network event and a decision taken across an
   * await) is logged and changes nothing: one task's bookkeeping must never bring the node down.
   * Returns whether it was applied.
   */
  #apply (session: Session, event: TaskEvent): boolean {
    const before = session.state
    try {
      session.state = reduceTask(before, event)
    } catch (err) {
      if (!(err instanceof InvalidTransitionError)) throw err
      this.stats.invalidTransitions++
      this.#log.error('task event refused by the state machine', { taskId: before.taskId, status: before.status, event: event.type, err: err.message })
      return false
    }
    const after = session.state
    if (before.status !== after.status) {
      this.#o.audit(after.taskId, `state:${before.status}->${after.status}`, { event: event.type, ...(after.reason !== undefined ? { reason: after.reason } : {}) })
      this.#emit({ type: 'state', taskId: after.taskId, at: event.at, from: before.status, to: after.status, ...(after.reason !== undefined ? { reason: after.reason } : {}) })
    }
    const final = isFinal(after.status, after.verify)
    const outcome = final ? this.#outcome(session) : undefined
    this.#o.save({ spec: session.spec, state: after, ...(outcome !== undefined ? { outcome } : {}) })
    if (before.status !== after.status) this.#onStatus(session, before.status, outcome)
    return true
  }

  #outcome (session: Session): TaskOutcome {
    const { state } = session
    const now = Date.now()
    const agg = state.members.length > 0 ? aggregateResults(state.members, state.results) : undefined
    const ok = state.status === 'COMPLETE' || state.status === 'VERIFIED'
    return {
      taskId: state.taskId,
      status: state.status,
      ok,
      ...(agg !== undefined && ok ? { output: agg.outputs } : {}),
      ...(agg !== undefined ? { bySkill: agg.bySkill, errors: agg.errors } : {}),
      ...(state.reason !== undefined ? { reason: state.reason } : {}),
      attempts: state.attempt,
      ...(session.groupId !== undefined ? { groupId: session.groupId, members: state.members } : {}),
      timings: {
        createdAt: state.createdAt,
        announcedAt: session.announcedAt,
        ...(session.formedAt !== undefined ? { formedAt: session.formedAt, formationMs: session.formationMs } : {}),
        ...(session.startedAt !== undefined ? { startedAt: session.startedAt } : {}),
        finishedAt: now,
        totalMs: now - state.createdAt
      }
    }
  }

  #onStatus (session: Session, from: TaskState['status'], outcome: TaskOutcome | undefined): void {
    const { state } = session
    const at = Date.now()
    switch (state.status) {
      case 'COMPLETE':
      case 'VERIFIED':
        if (outcome === undefined) {
          // COMPLETE awaiting the group's verification.
          void this.#verify(session)
          return
        }
        if (state.status === 'VERIFIED') this.stats.verified++
        this.stats.completed++
        for (const m of state.members) this.#o.onReputation(m.peerId, 'success')
        this.#finish(session, state.status === 'VERIFIED' ? 'verified' : 'completed')
        this.#emit({ type: 'completed', taskId: state.taskId, at, outcome })
        break
      case 'REJECTED':
        this.stats.rejected++
        this.#releaseBidders(session, state.reason ?? 'rejected')
        this.#finish(session, 'failed')
        this.#emit({ type: 'rejected', taskId: state.taskId, at, outcome: outcome ?? this.#outcome(session) })
        break
      case 'ESCALATED':
        this.stats.escalated++
        this.#finish(session, 'failed')
        this.#emit({ type: 'failed', taskId: state.taskId, at, outcome: outcome ?? this.#outcome(session) })
        break
      case 'FAILED':
        this.stats.failed++
        if (state.maxAttempts > 1 && state.attempt >= state.maxAttempts && state.reason !== 'deadline passed') {
          this.#o.groups?.escalate({
            taskId: state.taskId,
            ...(session.groupId !== undefined ? { groupId: session.groupId } : {}),
            issue: `task failed all ${state.attempt} attempts: ${state.reason ?? 'failed'}`.slice(0, 4096),
            attemptedResolutions: state.history.filter(h => h.to === 'RETRY').map(h => `retried after: ${h.reason ?? 'a failure'}`.slice(0, 4096)).slice(0, 32),
            context: { description: session.spec.description, attempts: state.attempt }
          })
        }
        this.#penaliseFailures(session)
        this.#cancelMembers(session, state.reason ?? 'failed')
        this.#releaseBidders(session, state.reason ?? 'failed')
        this.#finish(session, state.reason === 'deadline passed' ? 'deadline' : 'failed')
        this.#emit({ type: 'failed', taskId: state.taskId, at, outcome: outcome ?? this.#outcome(session) })
        break
      case 'CANCELLED':
        this.stats.cancelled++
        this.#cancelMembers(session, state.reason ?? 'cancelled')
        this.#releaseBidders(session, state.reason ?? 'cancelled')
        this.#finish(session, 'cancelled')
        this.#emit({ type: 'cancelled', taskId: state.taskId, at, outcome: outcome ?? this.#outcome(session) })
        break
      case 'RETRY': {
        this.#penaliseFailures(session)
        this.#cancelMembers(session, 'retrying')
        this.#releaseBidders(session, 'retrying')
        this.#dissolve(session, 'failed')
        this.stats.retries++
        const delayMs = retryDelayMs(state.attempt, {}, Math.random())
        this.#o.audit(state.taskId, 'retry-scheduled', { attempt: state.attempt + 1, delayMs, reason: state.reason ?? '' })
        this.#emit({ type: 'retry', taskId: state.taskId, at, attempt: state.attempt + 1, delayMs, reason: state.reason ?? '' })
        this.#timer(session, delayMs, () => { void this.#retry(session) })
        break
      }
      default:
        void from
    }
  }

  #penaliseFailures (session: Session): void {
    for (const [skill, byPeer] of Object.entries(session.state.results)) {
      for (const [peerId, result] of Object.entries(byPeer)) {
        if (!result.ok) {
          session.excluded.add(peerId)
          this.#o.onReputation(peerId, 'failure')
          this.#o.audit(session.state.taskId, 'member-failed', { skill, peerId, error: result.error ?? null })
        }
      }
    }
  }

  #finish (session: Session, reason: 'completed' | 'verified' | 'failed' | 'cancelled' | 'deadline'): void {
    for (const t of session.timers) clearTimeout(t)
    session.timers.clear()
    session.biddingOpen = false
    this.#dissolve(session, reason)
    this.#retire(session.state.taskId)
  }

  /**
   * Finished tasks stay in memory for late results and event readers for a while, then only in
   * the store: memory does not grow with the number of tasks a node ever announced.
   */
  #retire (taskId: string): void {
    this.#finished.push(taskId)
    const keep = this.#o.retainFinished ?? 1_000
    while (this.#finished.length > keep) {
      const old = this.#finished.shift()
      if (old !== undefined && old !== taskId) this.#sessions.delete(old)
    }
  }

  readonly #finished: string[] = []

  #dissolve (session: Session, reason: 'completed' | 'verified' | 'failed' | 'cancelled' | 'deadline'): void {
    const { groupId, groupTopic } = session
    if (groupId === undefined || groupTopic === undefined) return
    this.#o.groups?.dissolved(session.state.taskId, groupId)
    this.#o.gossip.publish(groupTopic, createMessage('DISSOLVE', { taskId: session.state.taskId, groupId, reason }))
      .catch(() => {})
      .finally(() => { this.#o.gossip.unsubscribe(groupTopic) })
    this.#o.audit(session.state.taskId, 'group-dissolved', { groupId, reason })
    delete session.groupId
    delete session.groupTopic
  }

  /** Tells members of the current group to stop (their capacity is freed). */
  #cancelMembers (session: Session, reason: string): void {
    const { taskId } = session.state
    for (const m of session.state.members) {
      const done = m.skills.every(skill => session.state.results[skill]?.[m.peerId] !== undefined)
      if (done) continue
      this.#fireAndForget(m.peerId, createMessage('TASK_CANCEL', { taskId, ...(session.groupId !== undefined ? { groupId: session.groupId } : {}), reason: reason.slice(0, 256) }))
    }
  }

  /** Tells bidders that were not chosen (or all, when the task ends) to release their leases. */
  #releaseBidders (session: Session, reason: string): void {
    const members = new Set(session.state.members.map(m => m.peerId))
    for (const peerId of session.bidders) {
      if (members.has(peerId)) continue
      this.#fireAndForget(peerId, createMessage('TASK_CANCEL', { taskId: session.state.taskId, reason: reason.slice(0, 256) }))
    }
    session.bidders.clear()
  }

  #fireAndForget (peerId: string, message: SwarmMessage): void {
    const notice: Promise<void> = this.#o.messenger.request(peerIdFromString(peerId), message, { timeoutMs: 5_000 })
      .then(() => {}, (err: unknown) => {
        this.#log.debug('notice not delivered', { type: message.type, peerId, err })
      })
      .finally(() => { this.#notices.delete(notice) })
    this.#notices.add(notice)
  }

  // -------------------------------------------------------------------------
  // Announcing and bidding

  /**
   * Announces the current attempt. Fast path: when the directory knows enough capable agents,
   * the announcement goes straight to the first few of them for this task (ranked by a hash of
   * task, attempt and peer, skipping agents that failed it before), and each answers with its
   * offer on the same stream. A skill whose agents are not known well enough, and every skill of a
   * widened round, is announced on its gossip topic instead.
   */
  async #publishAnnouncement (session: Session): Promise<void> {
    const body = { ...session.body, attempt: session.state.attempt, offerCap: this.#o.offerCap ?? 0 }
    session.body = body
    session.offers.clear()
    session.bidders.clear()
    session.biddingOpen = true
    session.graceArmed = false
    session.announcedAt = Date.now()
    const message = createMessage('TASK_ANNOUNCE', body)
    const { targets, gossipSkills } = this.#chooseTargets(session)
    const topicNames = gossipSkills.map(n => topics.skill(this.#o.network, n))
    this.stats.announced++
    this.#o.audit(body.taskId, 'announce', { attempt: body.attempt, topics: topicNames, direct: [...targets] })
    this.#emit({ type: 'announced', taskId: body.taskId, at: Date.now(), attempt: body.attempt, topics: topicNames })
    this.#o.localBidder(body)
    session.pendingTargets = targets.size
    session.asked = new Set(targets)
    session.directRounds = targets.size > 0 ? 1 : 0
    session.gossiped = topicNames.length > 0
    for (const peerId of targets) void this.#announceTo(session, peerId, message)
    // On a topic every capable agent that hears it may offer: the directory knew too few of them.
    await this.#publishOnTopics(topicNames, createMessage('TASK_ANNOUNCE', { ...body, offerCap: 0 }))
    // The bid window opens when the announcement is on its way, not before: a slow publish
    // must not eat the bidders' time. (Formation latency still counts from announcedAt.)
    if (session.state.status === 'ANNOUNCED' && session.state.attempt === body.attempt) {
      this.#roundTimer(session, body.bidWindowMs, body.attempt)
    }
  }

  /**
   * Agents to ask directly, and skills that must go to their gossip topic. With `more` (a later
   * direct round), only the skills named and only agents not asked yet; a skill with nobody left
   * to ask is then simply skipped.
   */
  #chooseTargets (session: Session, more?: { skills: ReadonlySet<string>, skip: ReadonlySet<string> }): { targets: Set<string>, gossipSkills: string[] } {
    const body = session.body
    const targets = new Set<string>()
    const gossipSkills = new Set<string>()
    const capable = this.#o.capablePeers
    const self = this.#o.self.toString()
    const connected = this.#o.connectedPeers?.() ?? new Set<string>()
    const explore = connected.size < EXPLORE_BELOW_CONNECTIONS
    for (const req of body.skills) {
      if (more !== undefined && !more.skills.has(req.name)) continue
      if (body.offerCap <= 0 || capable === undefined) {
        gossipSkills.add(req.name)
        continue
      }
      const want = body.offerCap * req.count
      let known = capable(req.name, req.minLevel).filter(p => p !== self && !session.excluded.has(p))
      if (more !== undefined) {
        known = known.filter(p => !more.skip.has(p))
      } else if (known.length < want) {
        // Too few known: the directory may be incomplete, let the topic find them.
        gossipSkills.add(req.name)
        continue
      }
      const candidates = known.filter(p => !targets.has(p)).map(peer => ({ peer, connected: connected.has(peer) }))
      for (const peer of chooseDirectTargets(body.taskId, body.attempt, candidates, want, explore)) targets.add(peer)
    }
    return { targets, gossipSkills: [...gossipSkills] }
  }

  /**
   * A further direct round of the same attempt (see MAX_DIRECT_ROUNDS): the skills that no group
   * can cover yet, to capable agents not asked before. False when there is nobody left to ask.
   */
  #askMore (session: Session): boolean {
    if (session.gossiped || session.directRounds === 0 || session.directRounds >= MAX_DIRECT_ROUNDS) return false
    const selection = selectGroup(session.body.skills, this.#candidates(session), { maxGroupSize: session.body.maxGroupSize, backupsPerSkill: 0, exclude: session.excluded })
    if (selection.ok || selection.missing.length === 0) return false
    const { targets } = this.#chooseTargets(session, { skills: new Set(selection.missing.map(m => m.skill)), skip: session.asked })
    if (targets.size === 0) return false
    const attempt = session.state.attempt
    session.directRounds++
    for (const peer of targets) session.asked.add(peer)
    session.pendingTargets += targets.size
    this.#o.audit(session.body.taskId, 'announce-more', { attempt, round: session.directRounds, direct: [...targets], offers: session.offers.size })
    const message = createMessage('TASK_ANNOUNCE', session.body)
    for (const peerId of targets) void this.#announceTo(session, peerId, message)
    this.#roundTimer(session, session.body.bidWindowMs, attempt)
    return true
  }

  /** Publishes an announcement on skill topics; a topic that fails is logged, not fatal. */
  async #publishOnTopics (topicNames: string[], message: MessageOf<'TASK_ANNOUNCE'>): Promise<void> {
    await Promise.all(topicNames.map(async topic => {
      try {
        await this.#o.gossip.publish(topic, message)
      } catch (err) {
        this.#log.warn('announcement not published', { taskId: message.body.taskId, topic, err })
      }
    }))
  }

  /** Sends the announcement to one agent; its answer is its offer (or why it declines). */
  async #announceTo (session: Session, peerId: string, message: MessageOf<'TASK_ANNOUNCE'>): Promise<void> {
    const attempt = message.body.attempt
    try {
      const peer = peerIdFromString(peerId)
      await this.#o.messenger.learnAddrs(peer, this.#o.addrsOf?.(peerId) ?? [])
      // The round timer decides when to stop waiting; this timeout only bounds a dead peer, and
      // leaves room for a stall of either side (a late offer is told that bidding closed).
      const reply = await this.#o.messenger.request(peer, message, { timeoutMs: message.body.bidWindowMs + DIRECT_ANSWER_SLACK_MS })
      if (reply.type === 'SKILL_OFFER') {
        const answer = this.#onOffer(reply, peer)
        // The offer came too late: tell the agent, or it would hold its reservation for the lease.
        if (answer.type === 'ERROR') this.#fireAndForget(peerId, createMessage('TASK_CANCEL', { taskId: message.body.taskId, reason: 'bidding closed' }))
      }
    } catch (err) {
      this.#log.debug('direct announcement not answered', { taskId: message.body.taskId, peerId, err })
    } finally {
      if (session.state.attempt === attempt) {
        session.pendingTargets--
        // Everyone asked has answered and no topic was used: nothing more will come.
        if (session.pendingTargets === 0 && !session.gossiped && session.biddingOpen) {
          setImmediate(() => { this.#closeBidding(session, true, attempt) })
        }
      }
    }
  }

  async #retry (session: Session): Promise<void> {
    if (session.state.status !== 'RETRY') return
    session.offers.clear()
    this.#apply(session, { type: 'retry', at: Date.now() })
    await this.#publishAnnouncement(session)
  }

  /** Direct messages addressed to the announcer side. */
  async handleDirect (message: SwarmMessage, from: PeerId): Promise<SwarmMessage> {
    switch (message.type) {
      case 'SKILL_OFFER': return this.#onOffer(message, from)
      case 'TASK_COMPLETE': return this.#onResult(message, from)
      case 'TASK_UPDATE': this.#onProgress(message.body, from); return createMessage('ACK', { ref: message.id })
      default: return createMessage('ERROR', { ref: message.id, code: 'UNEXPECTED', message: `${message.type} is not for the announcer side` })
    }
  }

  /** The input of a task, for members that fetch it. */
  inputFor (taskId: string, from: PeerId): Json | undefined {
    const session = this.#sessions.get(taskId)
    if (session === undefined) return undefined
    const peer = from.toString()
    if (!session.state.members.some(m => m.peerId === peer) && !from.equals(this.#o.self)) return undefined
    return session.inputValue ?? null
  }

  #onOffer (message: MessageOf<'SKILL_OFFER'>, from: PeerId): SwarmMessage {
    const offer = message.body
    const session = this.#sessions.get(offer.taskId)
    const refuse = (code: string, text: string): SwarmMessage => createMessage('ERROR', { ref: message.id, code, message: text })
    if (session === undefined) return refuse('UNKNOWN_TASK', 'no such task here')
    if (session.state.status !== 'ANNOUNCED' || !session.biddingOpen || offer.attempt !== session.state.attempt) {
      return refuse('BIDDING_CLOSED', 'bidding on this task is closed')
    }
    const peerId = from.toString()
    const required = session.body.skills
    const skills = offer.skills.filter(s => required.some(r => r.name === s.name))
    if (skills.length === 0) return refuse('NO_MATCH', 'the offer covers none of the required skills')
    this.stats.offersReceived++
    session.bidders.add(peerId)
    session.offers.set(peerId, {
      candidate: { peerId, skills, load: offer.load, capacity: offer.capacity, reputation: this.#o.reputation(peerId), estimateMs: offer.estimateMs },
      at: Date.now()
    })
    this.#o.audit(offer.taskId, 'offer-received', { peerId, skills: skills.map(s => `${s.name}:${s.level}`), score: offer.score, load: offer.load, capacity: offer.capacity })
    this.#emit({ type: 'offer', taskId: offer.taskId, at: Date.now(), peerId, skills: skills.map(s => s.name), score: offer.score })
    const early = this.#o.earlyClose ?? { minScore: 0.45, backupsPerSkill: 1 }
    const covered = (backupsPerSkill: number): boolean => coveredWell(required, this.#candidates(session), { minScore: early.minScore, backupsPerSkill, maxGroupSize: session.body.maxGroupSize, exclude: session.excluded })
    if (covered(early.backupsPerSkill)) {
      setImmediate(() => { this.#closeBidding(session, true, offer.attempt) })
    } else if (!session.graceArmed && covered(0)) {
      session.graceArmed = true
      const graceMs = Math.round(session.body.bidWindowMs * (early.graceFraction ?? 0.25))
      const wait = Math.max(0, session.announcedAt + graceMs - Date.now())
      this.#timer(session, wait, () => { this.#closeBidding(session, true, offer.attempt) })
    }
    return createMessage('ACK', { ref: message.id })
  }

  /** Whether the offers so far make a group. */
  #selectable (session: Session): boolean {
    const candidates = this.#candidates(session)
    return selectGroup(session.body.skills, candidates, { maxGroupSize: session.body.maxGroupSize, backupsPerSkill: 0, exclude: session.excluded }).ok ||
      (session.excluded.size > 0 && selectGroup(session.body.skills, candidates, { maxGroupSize: session.body.maxGroupSize, backupsPerSkill: 0 }).ok)
  }

  /**
   * Last round of the same attempt: the announcement on every skill topic. The offer cap grows
   * WIDENED_OFFER_CAP_FACTOR times (agents asked directly before do not offer twice), or stays 0
   * when this node caps nothing.
   */
  async #widen (session: Session): Promise<void> {
    if (session.gossiped) return
    session.gossiped = true
    const attempt = session.state.attempt
    const body = { ...session.body, offerCap: session.body.offerCap * WIDENED_OFFER_CAP_FACTOR }
    session.body = body
    const topicNames = [...new Set(body.skills.map(s => s.name))].map(n => topics.skill(this.#o.network, n))
    this.#o.audit(body.taskId, 'announce-widened', { attempt, topics: topicNames, offers: session.offers.size })
    await this.#publishOnTopics(topicNames, createMessage('TASK_ANNOUNCE', body))
    if (session.state.status === 'ANNOUNCED' && session.state.attempt === attempt) {
      this.#roundTimer(session, body.bidWindowMs, attempt)
    }
  }

  #candidates (session: Session): Candidate[] {
    return [...session.offers.values()].map(o => o.candidate)
  }

  /** Ends the bidding of `attempt` (the bid-window timer of an attempt that closed early must not end the next one's). */
  #closeBidding (session: Session, early: boolean, attempt: number): void {
    if (!session.biddingOpen || session.state.status !== 'ANNOUNCED' || session.state.attempt !== attempt) return
    const { taskId } = session.state
    if (!session.gossiped && !this.#selectable(session)) {
      // Only a few agents were asked and no group can come of their offers: ask the next few
      // the directory knows, or, with nobody left (or after MAX_DIRECT_ROUNDS), the skill
      // topics with a larger offer cap, with a whole bid window each time.
      if (!this.#askMore(session)) void this.#widen(session)
      return
    }
    session.biddingOpen = false
    const candidates = this.#candidates(session)
    this.#o.audit(taskId, 'bidding-closed', { offers: candidates.length, early })
    this.#emit({ type: 'bidding-closed', taskId, at: Date.now(), offers: candidates.length, early })
    let selection = selectGroup(session.body.skills, candidates, { maxGroupSize: session.body.maxGroupSize, backupsPerSkill: 2, exclude: session.excluded })
    if (!selection.ok && session.excluded.size > 0) {
      // Peers that failed before are better than nobody.
      selection = selectGroup(session.body.skills, candidates, { maxGroupSize: session.body.maxGroupSize, backupsPerSkill: 2 })
    }
    if (!selection.ok) {
      const reason = candidates.length === 0
        ? `no capable agent offered within the bid window (${session.body.bidWindowMs} ms)`
        : selection.reason
      this.#o.audit(taskId, 'selection-failed', { reason, missing: selection.missing.map(m => ({ skill: m.skill, needed: m.needed, available: m.available })) })
      if (session.state.attempt === 1) this.#apply(session, { type: 'bidding-closed-empty', at: Date.now(), reason })
      else this.#apply(session, { type: 'fail', at: Date.now(), reason })
      return
    }
    this.#o.audit(taskId, 'group-selected', { members: selection.members, backups: selection.backups, score: selection.score })
    void this.#formGroup(session, selection.members)
  }

  // -------------------------------------------------------------------------
  // Forming the group

  async #invite (session: Session, groupId: string, peerId: string, skills: string[]): Promise<{ ok: true } | { ok: false, reason: string, noShow: boolean }> {
    const { taskId } = session.state
    const timeoutMs = this.#o.inviteTimeoutMs ?? 3_000
    this.#o.audit(taskId, 'invite-sent', { peerId, skills, groupId })
    try {
      const reply = await this.#o.messenger.request(peerIdFromString(peerId), createMessage('GROUP_INVITE', {
        taskId, attempt: session.state.attempt, groupId, skills, answerBy: Date.now() + timeoutMs
      }), { timeoutMs })
      if (reply.type === 'GROUP_ACCEPT' && reply.body.groupId === groupId) {
        this.#o.audit(taskId, 'invite-accepted', { peerId, skills })
        return { ok: true }
      }
      const reason = reply.type === 'GROUP_REJECT' ? reply.body.reason : reply.type === 'ERROR' ? reply.body.message : `unexpected ${reply.type}`
      this.#o.audit(taskId, 'invite-declined', { peerId, reason })
      return { ok: false, reason, noShow: false }
    } catch (err) {
      const reason = `no answer: ${(err as Error).message}`
      this.#o.audit(taskId, 'invite-unanswered', { peerId, reason })
      return { ok: false, reason, noShow: true }
    }
  }

  /**
   * Invites every chosen member in parallel; each decline or silence is replaced by the next
   * backup for that skill until the group is complete or no backup is left.
   */
  async #formGroup (session: Session, chosen: GroupMember[]): Promise<void> {
    const { taskId } = session.state
    const attempt = session.state.attempt
    const groupId = newId()
    const accepted = new Map<string, Set<string>>()
    const declined = new Set<string>()

    const fill = async (peerId: string, skills: string[]): Promise<boolean> => {
      if (session.state.status !== 'ANNOUNCED' || session.state.attempt !== attempt) return false
      const result = await this.#invite(session, groupId, peerId, skills)
      if (result.ok) {
        const set = accepted.get(peerId) ?? new Set<string>()
        for (const s of skills) set.add(s)
        accepted.set(peerId, set)
        return true
      }
      declined.add(peerId)
      session.excluded.add(peerId)
      if (result.noShow) this.#o.onReputation(peerId, 'no-show')
      // Replace skill by skill: the best backup of each skill may differ.
      const filled = await Promise.all(skills.map(async skill => await this.#fillSkill(session, groupId, skill, accepted, declined, attempt)))
      return !filled.includes(false)
    }

    const results = await Promise.all(chosen.map(async m => await fill(m.peerId, m.skills)))
    if (session.state.status !== 'ANNOUNCED' || session.state.attempt !== attempt) {
      this.#cancelAccepted(session, accepted, 'the task moved on')
      return
    }
    if (results.includes(false)) {
      this.#cancelAccepted(session, accepted, 'the group could not be completed')
      this.#apply(session, { type: 'fail', at: Date.now(), reason: 'the group could not be completed: invitees declined or did not answer and no backup was left' })
      return
    }
    const members = this.#membersOf(accepted)
    session.groupId = groupId
    session.groupTopic = topics.group(this.#o.network, groupId)
    const memberIds = new Set(members.map(m => m.peerId))
    memberIds.add(this.#o.self.toString())
    this.#o.gossip.subscribe(session.groupTopic, 'group', d => { this.#onGroupGossip(session, d) }, (_m, signer) => memberIds.has(signer.toString()) || session.state.members.some(m => m.peerId === signer.toString()))
    session.formedAt = Date.now()
    session.formationMs = session.formedAt - session.announcedAt
    this.stats.formed++
    this.#apply(session, { type: 'group-formed', at: Date.now(), groupId, members })
    this.#o.groups?.formed({ taskId, groupId, members })
    this.#o.audit(taskId, 'group-formed', { groupId, members, formationMs: session.formationMs })
    this.#emit({ type: 'formed', taskId, at: Date.now(), groupId, members, formationMs: session.formationMs })
    const formed = createMessage('GROUP_FORMED', { taskId, attempt, groupId, members })
    for (const peerId of new Set([...session.bidders, ...memberIds])) {
      if (peerId === this.#o.self.toString() && !members.some(m => m.peerId === peerId) && !session.bidders.has(peerId)) continue
      this.#fireAndForget(peerId, formed)
    }
    session.bidders.clear()
    await this.#startMembers(session, members)
  }

  /** Finds, invites and records one member for one skill (used when a multi-skill member is replaced). */
  async #fillSkill (session: Session, groupId: string, skill: string, accepted: Map<string, Set<string>>, declined: Set<string>, attempt: number): Promise<boolean> {
    const req = session.body.skills.find(r => r.name === skill)
    if (req === undefined) return false
    while (true) {
      if (session.state.status !== 'ANNOUNCED' || session.state.attempt !== attempt) return false
      const next = replacementFor(req, { members: this.#membersOf(accepted) }, this.#candidates(session), [...declined])
      if (next === undefined) return false
      this.#o.audit(session.state.taskId, 'backup-chosen', { skill, backup: next })
      const result = await this.#invite(session, groupId, next, [skill])
      if (result.ok) {
        const set = accepted.get(next) ?? new Set<string>()
        set.add(skill)
        accepted.set(next, set)
        return true
      }
      declined.add(next)
      session.excluded.add(next)
      if (result.noShow) this.#o.onReputation(next, 'no-show')
    }
  }

  #membersOf (accepted: Map<string, Set<string>>): GroupMember[] {
    return [...accepted.entries()].map(([peerId, skills]) => ({ peerId, skills: [...skills] }))
  }

  #cancelAccepted (session: Session, accepted: Map<string, Set<string>>, reason: string): void {
    for (const peerId of accepted.keys()) {
      this.#fireAndForget(peerId, createMessage('TASK_CANCEL', { taskId: session.state.taskId, reason }))
    }
  }

  async #startMembers (session: Session, members: GroupMember[]): Promise<void> {
    const { taskId } = session.state
    const groupId = session.groupId
    if (groupId === undefined || session.state.status !== 'ASSIGNED') return
    // RUNNING before the first start goes out: a quick member's result can arrive before the
    // other members acknowledged their start, and results are only taken while RUNNING.
    session.startedAt = Date.now()
    this.#apply(session, { type: 'started', at: session.startedAt })
    this.#o.audit(taskId, 'task-started', { groupId, members: members.map(m => m.peerId) })
    this.#emit({ type: 'started', taskId, at: Date.now(), groupId })
    const started = await Promise.all(members.map(async m => await this.#startMember(session, m.peerId, m.skills)))
    // (#apply above changed the status: read it afresh.)
    const status = session.state.status as TaskState['status']
    if (session.groupId !== groupId || status !== 'RUNNING') return
    for (let i = 0; i < members.length; i++) {
      const m = members[i]
      if (m !== undefined && started[i] === false) void this.#replaceMember(session, m.peerId, 'did not acknowledge the task start')
    }
  }

  async #startMember (session: Session, peerId: string, skills: string[], checkpoint?: Json): Promise<boolean> {
    const groupId = session.groupId
    if (groupId === undefined) return false
    try {
      const reply = await this.#o.messenger.request(peerIdFromString(peerId), createMessage('TASK_START', {
        taskId: session.state.taskId,
        groupId,
        description: session.body.description,
        skills,
        input: session.body.input,
        deadline: session.body.deadline,
        members: session.state.members.length > 0 ? session.state.members : [{ peerId, skills }],
        ...(checkpoint !== undefined ? { checkpoint } : {})
      }), { timeoutMs: 5_000 })
      return reply.type === 'ACK'
    } catch (err) {
      this.#log.info('task start not delivered', { taskId: session.state.taskId, peerId, err })
      return false
    }
  }

  /**
   * Hands the unfinished parts of a member that went away to backups, resuming from the last
   * checkpoint seen on the group topic. Fails the attempt when no backup is left.
   */
  async #replaceMember (session: Session, peerId: string, reason: string): Promise<void> {
    const { taskId } = session.state
    if (session.replacing.has(peerId)) return
    if (session.state.status !== 'RUNNING' && session.state.status !== 'ASSIGNED') return
    const member = session.state.members.find(m => m.peerId === peerId)
    if (member === undefined) return
    session.replacing.add(peerId)
    session.excluded.add(peerId)
    this.#o.onReputation(peerId, 'no-show')
    try {
      for (const skill of member.skills) {
        if (session.state.results[skill]?.[peerId] !== undefined) continue
        const req = session.body.skills.find(r => r.name === skill)
        let replaced = false
        while (!replaced && req !== undefined) {
          if (session.state.status !== 'RUNNING' && session.state.status !== 'ASSIGNED') return
          const next = replacementFor(req, { members: session.state.members }, this.#candidates(session), [...session.excluded])
          if (next === undefined) break
          const groupId = session.groupId
          if (groupId === undefined) return
          // The backup offered earlier; it may or may not still hold a reservation.
          const invited = await this.#invite(session, groupId, next, [skill])
          if (!invited.ok) {
            session.excluded.add(next)
            continue
          }
          // While the backup was being invited, the task may have ended, or the member may have
          // delivered its part after all: then the backup is not needed.
          const stillNeeded = (session.state.status === 'RUNNING' || session.state.status === 'ASSIGNED') && session.state.results[skill]?.[peerId] === undefined &&
            session.state.members.some(m => m.peerId === peerId && m.skills.includes(skill))
          if (!stillNeeded || !this.#apply(session, { type: 'member-replaced', at: Date.now(), skill, from: peerId, to: next })) {
            this.#fireAndForget(next, createMessage('TASK_CANCEL', { taskId, reason: 'the member delivered; the backup is not needed' }))
            this.#o.audit(taskId, 'replacement-dropped', { skill, from: peerId, to: next })
            replaced = true
            break
          }
          this.#o.groups?.membersChanged(groupId, session.state.members)
          this.#o.audit(taskId, 'member-replaced', { skill, from: peerId, to: next, reason })
          this.#emit({ type: 'member-replaced', taskId, at: Date.now(), skill, from: peerId, to: next, reason })
          const started = await this.#startMember(session, next, [skill], session.checkpoints.get(skill))
          if (started) replaced = true
          else session.excluded.add(next)
        }
        if (!replaced) {
          if (session.state.status === 'RUNNING' || session.state.status === 'ASSIGNED') {
            this.#apply(session, { type: 'fail', at: Date.now(), reason: `member ${peerId} ${reason} and no backup could take over "${skill}"` })
          }
          return
        }
      }
    } finally {
      session.replacing.delete(peerId)
    }
  }

  /** A peer disconnected: members with unfinished parts get replaced after a grace period. */
  peerGone (peerId: string, stillGone: () => boolean): void {
    for (const session of this.#sessions.values()) {
      const s = session.state.status
      if (s !== 'RUNNING' && s !== 'ASSIGNED') continue
      const member = session.state.members.find(m => m.peerId === peerId)
      if (member === undefined) continue
      if (member.skills.every(skill => session.state.results[skill]?.[peerId] !== undefined)) continue
      this.#timer(session, this.#o.memberGraceMs ?? 1_500, () => {
        if (stillGone()) void this.#replaceMember(session, peerId, 'went away')
      })
    }
  }

  // -------------------------------------------------------------------------
  // Execution

  #onGroupGossip (session: Session, delivery: GossipDelivery): void {
    const { message, from } = delivery
    if (message.type === 'TASK_UPDATE') this.#onProgress(message.body, from)
  }

  #onProgress (update: MessageOf<'TASK_UPDATE'>['body'], from: PeerId): void {
    const session = this.#sessions.get(update.taskId)
    if (session === undefined || session.groupId !== update.groupId) return
    const peerId = from.toString()
    if (!session.state.members.some(m => m.peerId === peerId && m.skills.includes(update.skill))) return
    if (update.checkpoint !== undefined) session.checkpoints.set(update.skill, update.checkpoint)
    if (update.message === 'checkpoint') return
    this.#emit({ type: 'progress', taskId: update.taskId, at: Date.now(), peerId, skill: update.skill, progress: update.progress, ...(update.message !== undefined ? { message: update.message } : {}) })
  }

  #onResult (message: MessageOf<'TASK_COMPLETE'>, from: PeerId): SwarmMessage {
    const r = message.body
    const session = this.#sessions.get(r.taskId)
    const ack = createMessage('ACK', { ref: message.id })
    if (session === undefined) return createMessage('ERROR', { ref: message.id, code: 'UNKNOWN_TASK', message: 'no such task here' })
    const peerId = from.toString()
    if (session.groupId !== r.groupId || session.state.status !== 'RUNNING') return ack
    if (!session.state.members.some(m => m.peerId === peerId && m.skills.includes(r.skill))) {
      return createMessage('ERROR', { ref: message.id, code: 'NOT_A_MEMBER', message: `you are not assigned "${r.skill}" in this group` })
    }
    if (session.state.results[r.skill]?.[peerId] !== undefined) return ack
    const result = { ok: r.ok, durationMs: r.durationMs, ...(r.output !== undefined ? { output: r.output } : {}), ...(r.error !== undefined ? { error: r.error } : {}) }
    this.#o.audit(r.taskId, 'member-result', { peerId, skill: r.skill, ok: r.ok, durationMs: r.durationMs, ...(r.error !== undefined ? { error: r.error } : {}) })
    this.#emit({ type: 'member-result', taskId: r.taskId, at: Date.now(), peerId, skill: r.skill, ok: r.ok, durationMs: r.durationMs, ...(r.error !== undefined ? { error: r.error } : {}) })
    try {
      this.#apply(session, { type: 'member-result', at: Date.now(), peerId, skill: r.skill, result })
    } catch (err) {
      if (!(err instanceof InvalidTransitionError)) throw err
    }
    return ack
  }

  /**
   * Before COMPLETE becomes final, the group votes on the aggregated result: approved → VERIFIED,
   * rejected → RETRY (or FAILED with no attempt left), no quorum → ESCALATED (the group layer
   * has raised an escalation for a human).
   */
  async #verify (session: Session): Promise<void> {
    const { taskId, attempt } = session.state
    const groupId = session.groupId
    const hooks = this.#o.groups
    const policy = session.spec.verify
    if (groupId === undefined || hooks === undefined || policy === 'none') {
      this.#apply(session, { type: 'verified', at: Date.now(), approved: true, reason: 'no working group to verify with' })
      return
    }
    const timeoutMs = Math.max(100, Math.min(this.#o.verifyTimeoutMs ?? 10_000, session.body.deadline - Date.now()))
    this.#o.audit(taskId, 'verification-requested', { groupId, policy, timeoutMs })
    let decision: { outcome: GroupOutcome, proposalId?: string }
    try {
      decision = await hooks.verify({ taskId, groupId, attempt, policy, timeoutMs })
    } catch (err) {
      this.#log.warn('verification could not be asked', { taskId, err })
      decision = { outcome: 'no-quorum' }
    }
    if (session.state.status !== 'COMPLETE' || session.state.attempt !== attempt) return
    this.#o.audit(taskId, 'verification-decided', { outcome: decision.outcome, ...(decision.proposalId !== undefined ? { proposalId: decision.proposalId } : {}) })
    if (decision.outcome === 'approved') this.#apply(session, { type: 'verified', at: Date.now(), approved: true, reason: `the group approved the result (${policy})` })
    else if (decision.outcome === 'rejected') this.#apply(session, { type: 'verified', at: Date.now(), approved: false, reason: `the group rejected the result (${policy})` })
    else this.#apply(session, { type: 'escalate', at: Date.now(), reason: `the group could not verify the result (no quorum under ${policy}): escalated to a human` })
  }

  #onDeadline (session: Session): void {
    if (isFinal(session.state.status, session.state.verify)) return
    this.#apply(session, { type: 'deadline', at: Date.now() })
  }
}
