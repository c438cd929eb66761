import { createMessage, levelRank, topics } from '@swarm/protocol'
import { commitReservation, currentLoad, emptyCapacity, expireReservations, finishTask, freeSlots, nextExpiry, releaseReservation, tryReserve } from '../core/capacity.js'
import { effectivePriority } from '../core/priority.js'
import { scoreOwnOffer } from '../core/scoring.js'
import { withinOfferCap } from '../core/offer-cap.js'
import { runHandler } from '../executor/run-handler.js'
import type { CapacityState } from '../core/capacity.js'
import type { CandidateSkill } from '../core/scoring.js'
import type { HandlerContext, HandlerOutcome } from '../executor/types.js'
import type { Logger } from '../logger.js'
import type { DirectMessenger } from '../net/direct.js'
import type { GossipDelivery, GossipRouter } from '../net/gossip.js'
import type { SkillRegistry } from './skill-registry.js'
import type { PeerId } from '@libp2p/interface'
import type { BodyOf, GroupMember, Level, Json, MessageOf, SwarmMessage, TaskAnnounceBody, TaskInput } from '@swarm/protocol'

/** Events of the bidder side, for library users and the control API. */
export interface BidderEvents {
  'work:offered': { taskId: string, announcer: string, skills: string[], score: number }
  'work:accepted': { taskId: string, groupId: string, skills: string[] }
  'work:started': { taskId: string, groupId: string, skills: string[] }
  'work:progress': { taskId: string, skill: string, progress: number, message?: string }
  'work:finished': { taskId: string, groupId: string, skill: string, ok: boolean, durationMs: number, error?: { code: string, message: string } }
  'work:released': { taskId: string, reason: string }
}

export interface BidderOptions {
  self: PeerId
  network: string
  capacity: number
  skills: SkillRegistry
  gossip: GossipRouter
  messenger: DirectMessenger
  /** Fetches a task input that did not travel inline (from the announcer). */
  fetchInput: (announcer: PeerId, taskId: string, input: TaskInput) => Promise<Json>
  logger: Logger
  audit: (taskId: string, action: string, detail?: Json) => void
  emit: <K extends keyof BidderEvents>(event: K, payload: BidderEvents[K]) => void
  /** Called whenever the load (reservations + running work) changes. */
  onLoad: (load: number) => void
  /** Called after a handler run with its outcome, to update skill statistics. */
  onOutcome: (skill: string, outcome: HandlerOutcome) => void
  /** How long past the bid window an offer's reservation is held waiting for an invite. */
  leaseGraceMs?: number
  /** Announcements remembered to drop duplicates (a task on two skill topics). */
  dedupeSize?: number
  /** Peer ids of the agents this node knows that can do `skill` at `minLevel` (itself included). */
  capablePeers?: (skill: string, minLevel: Level) => string[]
  /** The working-group layer: told when this member joins and leaves a group, and what its parts gave. */
  groups?: BidderGroupHooks
}

/** How the bidder tells the group layer about the groups this node works in. */
export interface BidderGroupHooks {
  /** This member starts work in a group (before its handlers run). */
  joined: (info: { taskId: string, groupId: string, announcer: string, members: GroupMember[] }) => void
  /** This member left the group's topic (dissolved, or its deadline passed). */
  left: (topic: string) => void
  /** One of this member's parts ended. */
  result: (groupId: string, skill: string, ok: boolean) => void
  /** The group functions of the handler context (post findings, propose, vote, escalate). */
  handlerContext: (taskId: string, groupId: string) => Partial<HandlerContext>
}

interface Announcement {
  body: TaskAnnounceBody
  announcer: PeerId
  receivedAt: number
  /** Required skills this node covers, with its own figures. */
  covered: CandidateSkill[]
}

interface Assignment {
  announcement: Announcement
  groupId: string
  skills: string[]
  abort: AbortController
  running: boolean
  finished: Set<string>
  /** Cleared when the group dissolves or the deadline passes. */
  groupTimer?: NodeJS.Timeout
}

/**
 * The bidder side of negotiation. Hears announcements on the topics of its skills, ranks those
 * waiting for capacity by effective priority, reserves capacity for a lease before offering
 * (never more reservations plus running tasks than its capacity), accepts invites by turning a
 * reservation into a commitment, runs the skill handlers and sends results to the announcer.
 */
export class Bidder {
  readonly #o: BidderOptions
  readonly #log: Logger
  #capacity: CapacityState
  /** Announcements waiting for a free slot, by task id. */
  readonly #waiting = new Map<string, Announcement>()
  /** Announcements we offered on and hold a reservation for. */
  readonly #offered = new Map<string, Announcement>()
  /** Tasks we accepted (committed capacity), by task id. */
  readonly #assigned = new Map<string, Assignment>()
  /**
   * Announcements we offered on and no longer hold a reservation for (not chosen, or the lease
   * ended), by task id: the announcer may still invite us as a backup, to replace a member that
   * declined or went away. Such an invite is accepted when a slot is free.
   */
  readonly #formerOffers = new Map<string, Announcement>()
  readonly #seen = new Set<string>()
  #drainScheduled = false
  #leaseTimer?: NodeJS.Timeout
  #stopped = false
  readonly stats = { announcementsHeard: 0, offersSkipped: 0, offersSent: 0, offersRefused: 0, invitesAccepted: 0, invitesDeclined: 0, tasksRun: 0 }

  constructor (options: BidderOptions) {
    this.#o = options
    this.#log = options.logger
    this.#capacity = emptyCapacity(options.capacity)
  }

  start (): void {
    for (const skill of this.#o.skills.workable()) {
      this.#o.gossip.subscribe(topics.skill(this.#o.network, skill.name), 'skill', this.#onSkillGossip)
    }
  }

  stop (): void {
    this.#stopped = true
    clearTimeout(this.#leaseTimer)
    for (const skill of this.#o.skills.workable()) this.#o.gossip.unsubscribe(topics.skill(this.#o.network, skill.name))
    for (const a of this.#assigned.values()) {
      a.abort.abort()
      clearTimeout(a.groupTimer)
    }
  }

  /** Reserved plus running tasks now. */
  load (now = Date.now()): number {
    return currentLoad(this.#capacity, now)
  }

  get capacity (): number {
    return this.#capacity.capacity
  }

  /** Tasks this node is working on, for status views. */
  assignments (): Array<{ taskId: string, groupId: string, skills: string[], announcer: string, running: boolean }> {
    return [...this.#assigned.entries()].map(([taskId, a]) => ({ taskId, groupId: a.groupId, skills: a.skills, announcer: a.announcement.announcer.toString(), running: a.running }))
  }

  /** The attempt of a task this node waits on, offered on or works on (for log lines). */
  attemptOf (taskId: string): number | undefined {
    const a = this.#assigned.get(taskId)?.announcement ?? this.#offered.get(taskId) ?? this.#waiting.get(taskId) ?? this.#formerOffers.get(taskId)
    return a?.body.attempt
  }

  /** An announcement heard on gossip — or handed over by this node's own announcer. */
  hear (body: TaskAnnounceBody, announcer: PeerId): void {
    if (this.#stopped) return
    const key = `${body.taskId}#${body.attempt}`
    // The same copy again (both skill topics, or direct and topic): once is enough. A widened
    // round repeats the announcement with another offer cap: heard again unless we already hold
    // something for the task (e.g. we declined the direct copy for lack of capacity).
    const copy = `${key}#${body.offerCap}`
    if (this.#seen.has(copy)) return
    if (this.#seen.has(key) && (this.#offered.has(body.taskId) || this.#waiting.has(body.taskId) || this.#assigned.has(body.taskId))) return
    this.#remember(key)
    this.#remember(copy)
    this.stats.announcementsHeard++
    const covered = this.#covered(body)
    if (covered.length === 0) return
    if (Date.now() > body.deadline) return
    if (body.offerCap > 0 && this.#o.capablePeers !== undefined) {
      const self = this.#o.self.toString()
      const capable = covered.map(c => {
        const req = body.skills.find(r => r.name === c.name)
        return { peers: this.#o.capablePeers?.(c.name, req?.minLevel ?? 'novice') ?? [], count: req?.count ?? 1 }
      })
      if (!withinOfferCap(body.taskId, body.attempt, self, body.offerCap, capable)) {
        this.stats.offersSkipped++
        return
      }
    }
    // A retry supersedes anything we still hold for an earlier attempt.
    this.#waiting.set(body.taskId, { body, announcer, receivedAt: Date.now(), covered })
    this.#scheduleDrain()
  }

  /** The required skills this node can do, with its own figures. */
  #covered (body: TaskAnnounceBody): CandidateSkill[] {
    const covered: CandidateSkill[] = []
    for (const req of body.skills) {
      const skill = this.#o.skills.get(req.name)
      if (skill?.handler === undefined || levelRank(skill.level) < levelRank(req.minLevel)) continue
      covered.push({ name: skill.name, level: skill.level, successRate: skill.stats.successRate, avgCompletionMs: skill.stats.avgCompletionMs })
    }
    return covered
  }

  #offerMessage (a: Announcement, leaseExpiresAt: number): MessageOf<'SKILL_OFFER'> {
    const { body } = a
    // The reservation for this task is already counted in the load: report the load without it.
    const load = Math.max(0, this.load() - 1)
    return createMessage('SKILL_OFFER', {
      taskId: body.taskId,
      attempt: body.attempt,
      skills: a.covered,
      score: scoreOwnOffer(a.covered, body.skills, load, this.capacity),
      estimateMs: Math.max(...a.covered.map(s => s.avgCompletionMs)),
      load,
      capacity: this.capacity,
      leaseExpiresAt
    })
  }

  #remember (key: string): void {
    this.#seen.add(key)
    if (this.#seen.size > (this.#o.dedupeSize ?? 20_000)) {
      const oldest = this.#seen.values().next().value
      if (oldest !== undefined) this.#seen.delete(oldest)
    }
  }

  readonly #onSkillGossip = (delivery: GossipDelivery): void => {
    const { message, from } = delivery
    if (message.type === 'TASK_ANNOUNCE') this.hear(message.body, from)
    else if (message.type === 'TASK_CANCEL') {
      // Only the task's own announcer may call it off.
      const known = this.#waiting.get(message.body.taskId) ?? this.#offered.get(message.body.taskId) ?? this.#assigned.get(message.body.taskId)?.announcement
      if (known !== undefined && known.announcer.equals(from)) this.#release(message.body.taskId, message.body.reason)
    }
  }

  #scheduleDrain (): void {
    if (this.#drainScheduled || this.#stopped) return
    this.#drainScheduled = true
    setImmediate(() => {
      this.#drainScheduled = false
      this.#drain()
    })
  }

  /** Offers on waiting announcements, highest effective priority first, while slots are free. */
  #drain (): void {
    const now = Date.now()
    this.#capacity = expireReservations(this.#capacity, now)
    for (const [taskId, a] of this.#offered) {
      if (!this.#capacity.reservations.has(taskId) && !this.#capacity.committed.has(taskId)) {
        this.#offered.delete(taskId)
        this.#rememberFormerOffer(a, now)
      }
    }
    const ranked = [...this.#waiting.values()]
      .filter(a => {
        const open = a.body.bidWindowMs === 0 ? a.receivedAt + 1000 : a.receivedAt + a.body.bidWindowMs
        const keep = now <= open && now < a.body.deadline
        if (!keep) this.#waiting.delete(a.body.taskId)
        return keep
      })
      .sort((x, y) => effectivePriority({ priority: y.body.priority, deadline: y.body.deadline, createdAt: y.body.createdAt }, now) -
        effectivePriority({ priority: x.body.priority, deadline: x.body.deadline, createdAt: x.body.createdAt }, now) ||
        x.body.createdAt - y.body.createdAt)
    for (const a of ranked) {
      if (freeSlots(this.#capacity, now) <= 0) break
      const leaseMs = a.body.bidWindowMs + (this.#o.leaseGraceMs ?? 5_000)
      const result = tryReserve(this.#capacity, a.body.taskId, now, leaseMs)
      if (!result.reserved) continue
      this.#capacity = result.state
      this.#waiting.delete(a.body.taskId)
      this.#offered.set(a.body.taskId, a)
      void this.#offer(a, now + leaseMs)
    }
    this.#armLeaseTimer()
    this.#o.onLoad(this.load(now))
  }

  #armLeaseTimer (): void {
    clearTimeout(this.#leaseTimer)
    const next = nextExpiry(this.#capacity)
    if (next === undefined || this.#stopped) return
    this.#leaseTimer = setTimeout(() => { this.#scheduleDrain() }, Math.max(0, next - Date.now()) + 5)
    this.#leaseTimer.unref()
  }

  async #offer (a: Announcement, leaseExpiresAt: number): Promise<void> {
    const { body } = a
    const offer = this.#offerMessage(a, leaseExpiresAt)
    const score = offer.body.score
    this.stats.offersSent++
    this.#o.emit('work:offered', { taskId: body.taskId, announcer: a.announcer.toString(), skills: a.covered.map(s => s.name), score })
    try {
      // The announcer may be a peer we have no connection to (the announcement came through
      // the mesh): its addresses from the announcement let us dial it.
      await this.#o.messenger.learnAddrs(a.announcer, body.announcerAddrs)
      const reply = await this.#o.messenger.request(a.announcer, offer, { timeoutMs: Math.max(2_000, body.bidWindowMs + 2_000) })
      if (reply.type === 'ERROR') {
        this.stats.offersRefused++
        this.#release(body.taskId, `offer refused: ${reply.body.code}`)
      }
    } catch (err) {
      this.stats.offersRefused++
      this.#log.debug('offer not delivered', { taskId: body.taskId, err })
      this.#release(body.taskId, 'offer not delivered')
    }
  }

  /** Frees whatever this node holds for `taskId` that is not running. */
  #release (taskId: string, reason: string): void {
    this.#waiting.delete(taskId)
    const assigned = this.#assigned.get(taskId)
    if (assigned !== undefined) {
      assigned.abort.abort()
      if (!assigned.running) this.#finishAssignment(taskId, assigned)
      return
    }
    const offered = this.#offered.get(taskId)
    if (offered !== undefined) this.#rememberFormerOffer(offered, Date.now())
    if (this.#offered.delete(taskId) || this.#capacity.reservations.has(taskId)) {
      this.#capacity = releaseReservation(this.#capacity, taskId)
      this.#o.emit('work:released', { taskId, reason })
      this.#scheduleDrain()
    }
  }

  #rememberFormerOffer (a: Announcement, now: number): void {
    for (const [taskId, former] of this.#formerOffers) {
      if (former.body.deadline <= now) this.#formerOffers.delete(taskId)
    }
    this.#formerOffers.delete(a.body.taskId)
    this.#formerOffers.set(a.body.taskId, a)
    if (this.#formerOffers.size > 1_000) {
      const oldest = this.#formerOffers.keys().next().value
      if (oldest !== undefined) this.#formerOffers.delete(oldest)
    }
  }

  #finishAssignment (taskId: string, a: Assignment): void {
    if (this.#assigned.get(taskId) !== a) return
    this.#assigned.delete(taskId)
    this.#offered.delete(taskId)
    this.#capacity = finishTask(releaseReservation(this.#capacity, taskId), taskId)
    this.#scheduleDrain()
  }

  /** Direct messages addressed to the bidder side. */
  async handleDirect (message: SwarmMessage, from: PeerId): Promise<SwarmMessage> {
    switch (message.type) {
      case 'TASK_ANNOUNCE': return this.#onDirectAnnounce(message, from)
      case 'GROUP_INVITE': return this.#onInvite(message, from)
      case 'GROUP_FORMED': return this.#onFormed(message, from)
      case 'TASK_START': return this.#onStart(message, from)
      case 'TASK_CANCEL': return this.#onCancel(message, from)
      default: return createMessage('ERROR', { ref: message.id, code: 'UNEXPECTED', message: `${message.type} is not for the bidder side` })
    }
  }

  /**
   * An announcement sent to this node directly: answer at once with an offer (reserving a slot
   * for the lease) or with why not. The announcer asked only a few agents, so answering
   * quickly matters more than ranking against other waiting announcements.
   */
  #onDirectAnnounce (message: MessageOf<'TASK_ANNOUNCE'>, from: PeerId): SwarmMessage {
    const body = message.body
    const decline = (code: string, text: string): SwarmMessage => createMessage('ERROR', { ref: message.id, code, message: text })
    if (this.#stopped) return decline('STOPPING', 'this node is stopping')
    const key = `${body.taskId}#${body.attempt}`
    if (this.#seen.has(key) && !this.#offered.has(body.taskId)) return decline('DUPLICATE', 'already heard this announcement')
    this.#remember(key)
    this.stats.announcementsHeard++
    const covered = this.#covered(body)
    if (covered.length === 0) return decline('NOT_CAPABLE', 'this node has none of the required skills at the required level')
    const now = Date.now()
    if (now > body.deadline) return decline('TOO_LATE', 'the deadline has passed')
    this.#capacity = expireReservations(this.#capacity, now)
    const leaseMs = body.bidWindowMs + (this.#o.leaseGraceMs ?? 5_000)
    const result = tryReserve(this.#capacity, body.taskId, now, leaseMs)
    if (!result.reserved) return decline('NO_CAPACITY', result.reason ?? 'no free capacity')
    this.#capacity = result.state
    const a: Announcement = { body, announcer: from, receivedAt: now, covered }
    this.#waiting.delete(body.taskId)
    this.#offered.set(body.taskId, a)
    this.#armLeaseTimer()
    this.#o.onLoad(this.load(now))
    const offer = this.#offerMessage(a, now + leaseMs)
    this.stats.offersSent++
    this.#o.emit('work:offered', { taskId: body.taskId, announcer: from.toString(), skills: covered.map(s => s.name), score: offer.body.score })
    return offer
  }

  #fromAnnouncer (taskId: string, from: PeerId): Announcement | undefined {
    const a = this.#offered.get(taskId) ?? this.#assigned.get(taskId)?.announcement
    return a !== undefined && a.announcer.equals(from) ? a : undefined
  }

  #onInvite (message: MessageOf<'GROUP_INVITE'>, from: PeerId): SwarmMessage {
    const { taskId, groupId, skills } = message.body
    const decline = (reason: string): SwarmMessage => {
      this.stats.invitesDeclined++
      this.#o.audit(taskId, 'invite-declined', { groupId, reason })
      return createMessage('GROUP_REJECT', { taskId, groupId, reason })
    }
    const former = this.#formerOffers.get(taskId)
    const a = this.#fromAnnouncer(taskId, from) ?? (former !== undefined && former.announcer.equals(from) && Date.now() < former.body.deadline ? former : undefined)
    if (a === undefined) return decline('no offer of ours for this task from this announcer')
    if (a.body.attempt !== message.body.attempt) return decline('the invite is for another attempt')
    if (this.#assigned.has(taskId)) {
      const current = this.#assigned.get(taskId)
      if (current?.groupId === groupId) return createMessage('GROUP_ACCEPT', { taskId, groupId })
      return decline('already working on this task')
    }
    const cannot = skills.find(s => !this.#o.skills.canDo(s, a.body.skills.find(r => r.name === s)?.minLevel ?? 'novice'))
    if (cannot !== undefined) return decline(`cannot do skill "${cannot}"`)
    const result = commitReservation(this.#capacity, taskId, Date.now())
    if (!result.committed) {
      this.#offered.delete(taskId)
      return decline(result.reason ?? 'no free capacity')
    }
    this.#capacity = result.state
    this.#offered.delete(taskId)
    this.#formerOffers.delete(taskId)
    const assignment: Assignment = { announcement: a, groupId, skills, abort: new AbortController(), running: false, finished: new Set() }
    this.#assigned.set(taskId, assignment)
    // Without a start before the deadline the commitment lapses.
    assignment.groupTimer = setTimeout(() => { this.#release(taskId, 'no start before the deadline') }, Math.max(0, a.body.deadline - Date.now()) + 1_000)
    assignment.groupTimer.unref()
    this.stats.invitesAccepted++
    this.#o.audit(taskId, 'invite-accepted', { groupId, skills, announcer: from.toString() })
    this.#o.emit('work:accepted', { taskId, groupId, skills })
    this.#o.onLoad(this.load())
    return createMessage('GROUP_ACCEPT', { taskId, groupId })
  }

  #onFormed (message: MessageOf<'GROUP_FORMED'>, from: PeerId): SwarmMessage {
    const { taskId, groupId, members } = message.body
    const self = this.#o.self.toString()
    const a = this.#fromAnnouncer(taskId, from)
    if (a !== undefined && !members.some(m => m.peerId === self)) {
      this.#release(taskId, 'group formed without us')
    } else if (a !== undefined) {
      const assignment = this.#assigned.get(taskId)
      if (assignment !== undefined && assignment.groupId !== groupId) this.#release(taskId, 'group formed without us')
    }
    return createMessage('ACK', { ref: message.id })
  }

  #onCancel (message: MessageOf<'TASK_CANCEL'>, from: PeerId): SwarmMessage {
    const { taskId, reason } = message.body
    if (this.#fromAnnouncer(taskId, from) !== undefined) {
      this.#o.audit(taskId, 'cancelled-by-announcer', { reason })
      this.#release(taskId, reason)
    }
    return createMessage('ACK', { ref: message.id })
  }

  #onStart (message: MessageOf<'TASK_START'>, from: PeerId): SwarmMessage {
    const { taskId, groupId } = message.body
    const a = this.#assigned.get(taskId)
    if (a === undefined || !a.announcement.announcer.equals(from) || a.groupId !== groupId) {
      return createMessage('ERROR', { ref: message.id, code: 'NOT_ASSIGNED', message: 'this node did not accept an invite to that group' })
    }
    if (a.running) return createMessage('ACK', { ref: message.id })
    a.running = true
    const assigned = message.body.members.find(m => m.peerId === this.#o.self.toString())?.skills ?? a.skills
    a.skills = assigned
    void this.#run(a, message.body, from)
    return createMessage('ACK', { ref: message.id })
  }

  async #run (a: Assignment, start: BodyOf<'TASK_START'>, announcer: PeerId): Promise<void> {
    const { taskId, groupId } = start
    const groupTopic = topics.group(this.#o.network, groupId)
    const memberIds = new Set([...start.members.map(m => m.peerId), announcer.toString()])
    // A task this node announced itself: its announcer side follows the group topic already (a
    // topic has one handler here), and gossip does not deliver our own messages to us, so
    // updates go to the announcer side directly.
    const local = announcer.equals(this.#o.self)
    if (!local) {
      this.#o.gossip.subscribe(groupTopic, 'group', delivery => {
        const m = delivery.message
        if (m.type === 'DISSOLVE' && delivery.from.equals(announcer)) this.#leaveGroup(taskId, groupTopic)
      }, (m, signer) =>
        // The announcer may say anything; progress may also come from a member that replaced
        // another after this one started (members do not act on progress, so it is harmless).
        signer.equals(announcer) || memberIds.has(signer.toString()) || m.type === 'TASK_UPDATE' || m.type === 'HEARTBEAT')
    }
    this.#o.groups?.joined({ taskId, groupId, announcer: announcer.toString(), members: start.members })
    const sendUpdate = (update: MessageOf<'TASK_UPDATE'>): void => {
      if (local) this.#o.messenger.request(announcer, update).catch(() => {})
      else this.#o.gossip.publish(groupTopic, update).catch(() => {})
    }
    clearTimeout(a.groupTimer)
    a.groupTimer = setTimeout(() => { if (!local) this.#leaveGroup(taskId, groupTopic) }, Math.max(0, start.deadline - Date.now()) + 5_000)
    a.groupTimer.unref()
    this.stats.tasksRun++
    this.#o.audit(taskId, 'work-started', { groupId, skills: a.skills })
    this.#o.emit('work:started', { taskId, groupId, skills: a.skills })

    let input: Json = null
    let inputError: string | undefined
    try {
      input = await this.#o.fetchInput(announcer, taskId, start.input)
    } catch (err) {
      inputError = `could not fetch the task input: ${(err as Error).message}`
    }

    await Promise.all(a.skills.map(async skillName => {
      const skill = this.#o.skills.get(skillName)
      let outcome: HandlerOutcome
      if (inputError !== undefined) {
        outcome = { ok: false, error: { code: 'HANDLER_NOT_FOUND', message: inputError }, durationMs: 0 }
      } else if (skill?.handler === undefined) {
        outcome = { ok: false, error: { code: 'HANDLER_NOT_FOUND', message: `no handler for skill "${skillName}" on this node` }, durationMs: 0 }
      } else {
        let lastProgressAt = 0
        const timeoutMs = Math.max(1, Math.min(skill.timeoutMs, start.deadline - Date.now()))
        outcome = await runHandler(skill.handler, input, {
          taskId,
          groupId,
          skill: skillName,
          description: start.description,
          members: start.members,
          deadline: start.deadline,
          attempt: a.announcement.body.attempt,
          signal: a.abort.signal,
          ...(start.checkpoint !== undefined ? { checkpoint: start.checkpoint } : {}),
          progress: (fraction, text) => {
            const now = Date.now()
            if (now - lastProgressAt < 200 && fraction < 1) return
            lastProgressAt = now
            const progress = Math.min(1, Math.max(0, fraction))
            this.#o.emit('work:progress', { taskId, skill: skillName, progress, ...(text !== undefined ? { message: text } : {}) })
            sendUpdate(createMessage('TASK_UPDATE', { taskId, groupId, skill: skillName, progress, ...(text !== undefined ? { message: text.slice(0, 256) } : {}) }))
          },
          saveCheckpoint: state => {
            sendUpdate(createMessage('TASK_UPDATE', { taskId, groupId, skill: skillName, progress: 0, message: 'checkpoint', checkpoint: state }))
          },
          log: this.#log.child('handler', { taskId, skill: skillName }),
          ...(this.#o.groups?.handlerContext(taskId, groupId) ?? {})
        }, timeoutMs)
      }
      this.#o.onOutcome(skillName, outcome)
      this.#o.groups?.result(groupId, skillName, outcome.ok)
      a.finished.add(skillName)
      this.#o.audit(taskId, 'work-finished', { groupId, skill: skillName, ok: outcome.ok, durationMs: outcome.durationMs, ...(outcome.ok ? {} : { error: outcome.error }) })
      this.#o.emit('work:finished', { taskId, groupId, skill: skillName, ok: outcome.ok, durationMs: outcome.durationMs, ...(outcome.ok ? {} : { error: outcome.error }) })
      if (a.abort.signal.aborted) return
      await this.#sendResult(announcer, createMessage('TASK_COMPLETE', {
        taskId,
        groupId,
        skill: skillName,
        ok: outcome.ok,
        durationMs: outcome.durationMs,
        ...(outcome.ok ? { output: outcome.output } : { error: outcome.error })
      }))
    }))
    a.running = false
    this.#finishAssignment(taskId, a)
  }

  /** Delivers a result, trying a few times: results are what the whole group worked for. */
  async #sendResult (announcer: PeerId, message: MessageOf<'TASK_COMPLETE'>): Promise<void> {
    for (let attempt = 1; attempt <= 4; attempt++) {
      try {
        const reply = await this.#o.messenger.request(announcer, message, { timeoutMs: 10_000 })
        if (reply.type === 'ERROR') this.#log.info('result refused by the announcer', { taskId: message.body.taskId, code: reply.body.code })
        return
      } catch (err) {
        this.#log.warn('result not delivered, retrying', { taskId: message.body.taskId, attempt, err })
        await new Promise(resolve => setTimeout(resolve, 250 * 2 ** attempt))
        if (this.#stopped) return
      }
    }
  }

  #leaveGroup (taskId: string, topic: string): void {
    const a = this.#assigned.get(taskId)
    if (a !== undefined) clearTimeout(a.groupTimer)
    this.#o.groups?.left(topic)
    this.#o.gossip.unsubscribe(topic)
  }
}
