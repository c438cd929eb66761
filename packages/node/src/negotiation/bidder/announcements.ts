import { createMessage, levelRank, topics } from '@swarm/protocol'
import { freeSlots } from '../../core/capacity.js'
import { effectivePriority } from '../../core/priority.js'
import { withinOfferCap } from '../../core/offer-cap.js'
import { NO_BID_WINDOW_OPEN_MS } from './constants.js'
import type { CandidateSkill } from '../../core/scoring.js'
import type { TimerHandle } from '../../ports/clock.js'
import type { GossipDelivery } from '../../ports/gossip.js'
import type { BidderLimits, RankedAs } from './limits.js'
import type { Offers } from './offers.js'
import type { Announcement, BidderState } from './state.js'
import type { BidderComponents, BidderInit } from './types.js'
import type { PeerId } from '@libp2p/interface'
import type { DirectErrorCode, MessageOf, SwarmMessage, TaskAnnounceBody } from '@swarm/protocol'

export type AnnouncementsComponents = Pick<BidderComponents, 'gossip' | 'clock' | 'skills' | 'capablePeers' | 'onLoad'>

/**
 * Hearing announcements: on the topics of this node's skills (or handed over by its own
 * announcer), each copy once; those this node can do wait for a free slot, and whenever slots
 * free up the waiting ones are offered on by effective priority (priority raised by the
 * deadline, by age and by the tasks waiting for it).
 * An announcement sent directly is answered at once with an offer or why not. Announcements
 * over their announcer's rate are dropped, and its priority and share of slots are limited
 * (limits.ts).
 */
export class Announcements {
  readonly #state: BidderState
  readonly #offers: Offers
  readonly #limits: BidderLimits
  readonly #c: AnnouncementsComponents
  readonly #init: Pick<BidderInit, 'self' | 'network' | 'dedupeSize'>
  /** Announcement keys heard lately (task#attempt, and task#attempt#offerCap), oldest first. */
  readonly #seen = new Set<string>()
  #drainTimer?: TimerHandle

  constructor (state: BidderState, offers: Offers, limits: BidderLimits, components: AnnouncementsComponents, init: Pick<BidderInit, 'self' | 'network' | 'dedupeSize'>) {
    this.#state = state
    this.#offers = offers
    this.#limits = limits
    this.#c = components
    this.#init = init
  }

  start (): void {
    for (const skill of this.#c.skills.workable()) {
      this.#c.gossip.subscribe(topics.skill(this.#init.network, skill.name), 'skill', this.#onSkillGossip, { admit: this.#admit })
    }
  }

  stop (): void {
    this.#c.clock.clearTimeout(this.#drainTimer)
    this.#drainTimer = undefined
    for (const skill of this.#c.skills.workable()) this.#c.gossip.unsubscribe(topics.skill(this.#init.network, skill.name))
  }

  /**
   * An announcement heard on gossip (already within its announcer's rate: see #admit) — or
   * handed over by this node's own announcer.
   */
  hear (body: TaskAnnounceBody, announcer: PeerId): void {
    const state = this.#state
    if (state.stopped) return
    const key = announcementKey(body)
    // The same copy again (both skill topics, or direct and topic): once is enough. A widened
    // round repeats the announcement with another offer cap: heard again unless we already hold
    // something for the task (e.g. we declined the direct copy for lack of capacity).
    const copy = `${key}#${body.offerCap}`
    if (this.#seen.has(copy)) return
    if (this.#seen.has(key) && (state.offered.has(body.taskId) || state.waiting.has(body.taskId) || state.assigned.has(body.taskId))) return
    this.#remember(key)
    this.#remember(copy)
    state.stats.announcementsHeard++
    const covered = this.#covered(body)
    if (covered.length === 0) return
    if (this.#c.clock.now() > body.deadline) return
    if (!this.#withinOfferCap(body, covered)) {
      state.stats.offersSkipped++
      return
    }
    // A retry supersedes anything we still hold for an earlier attempt.
    state.waiting.set(body.taskId, { body, announcer, receivedAt: this.#c.clock.now(), covered })
    this.scheduleDrain()
  }

  /**
   * An announcement sent to this node directly: answer at once with an offer (reserving a slot
   * for the lease) or with why not. The announcer asked only a few agents, so answering
   * quickly matters more than ranking against other waiting announcements.
   */
  async hearDirect (message: MessageOf<'TASK_ANNOUNCE'>, from: PeerId): Promise<SwarmMessage> {
    const state = this.#state
    const body = message.body
    const decline = (code: DirectErrorCode, text: string): SwarmMessage => createMessage('ERROR', { ref: message.id, code, message: text })
    if (state.stopped) return decline('STOPPING', 'this node is stopping')
    if (!this.#limits.allowAnnouncement(from, body.taskId)) return decline('RATE_LIMITED', 'too many announcements from this announcer')
    const key = announcementKey(body)
    if (this.#seen.has(key) && !state.offered.has(body.taskId)) return decline('DUPLICATE', 'already heard this announcement')
    this.#remember(key)
    state.stats.announcementsHeard++
    const covered = this.#covered(body)
    if (covered.length === 0) return decline('NOT_CAPABLE', 'this node has none of the required skills at the required level')
    const now = this.#c.clock.now()
    if (now > body.deadline) return decline('TOO_LATE', 'the deadline has passed')
    const a: Announcement = { body, announcer: from, receivedAt: now, covered }
    const reservation = this.#offers.reserve(a, now)
    if (!reservation.reserved) {
      // Busy: the announcer hears so at once (it queues the task while every capable agent is
      // busy, and asks again as capacity frees). A re-ask of a queued task waits here like one
      // heard on gossip: if a slot frees within its bid window, the offer goes out then. A
      // first ask does not: its bidding mostly closes within milliseconds on other offers, and
      // a late offer would only cost a refusal and a cancel on the wire (and, held back for the
      // announcer's share of slots, would take that share up with stale offers).
      if (body.ask !== undefined && state.capacity.capacity > 0 && !state.assigned.has(body.taskId)) {
        state.waiting.set(body.taskId, a)
        this.#offers.armLeaseTimer()
      }
      return decline('NO_CAPACITY', reservation.reason)
    }
    this.#offers.armLeaseTimer()
    this.#c.onLoad(state.load(now))
    return await this.#offers.offer(a, reservation.leaseExpiresAt)
  }

  /** Offers on the waiting announcements soon, once for everything heard meanwhile. */
  scheduleDrain (): void {
    if (this.#drainTimer !== undefined || this.#state.stopped) return
    this.#drainTimer = this.#c.clock.setTimeout(() => {
      this.#drainTimer = undefined
      this.#drain()
    }, 0)
  }

  /** Offers on waiting announcements, highest effective priority first, while slots are free. */
  #drain (): void {
    const state = this.#state
    const now = this.#c.clock.now()
    this.#offers.expireLeases(now)
    for (const a of rankWaiting(state.waiting, now, a => this.#limits.rankedAs(a))) {
      if (freeSlots(state.capacity, now) <= 0) break
      const reservation = this.#offers.reserve(a, now)
      if (!reservation.reserved) continue
      void this.#offers.send(a, reservation.leaseExpiresAt)
    }
    this.#offers.armLeaseTimer()
    this.#c.onLoad(state.load(now))
  }

  /** The required skills this node can do, with its own figures. */
  #covered (body: TaskAnnounceBody): CandidateSkill[] {
    const covered: CandidateSkill[] = []
    for (const req of body.skills) {
      const skill = this.#c.skills.get(req.name)
      if (skill?.handler === undefined || levelRank(skill.level) < levelRank(req.minLevel)) continue
      covered.push({ name: skill.name, level: skill.level, successRate: skill.stats.successRate, avgCompletionMs: skill.stats.avgCompletionMs })
    }
    return covered
  }

  /** Whether this node is among the few capable agents asked to offer (see core/offer-cap.ts). */
  #withinOfferCap (body: TaskAnnounceBody, covered: CandidateSkill[]): boolean {
    if (body.offerCap <= 0) return true
    const capable = covered.map(c => {
      const req = body.skills.find(r => r.name === c.name)
      return { peers: this.#c.capablePeers(c.name, req?.minLevel ?? 'novice'), count: req?.count ?? 1 }
    })
    return withinOfferCap(body.taskId, body.attempt, this.#init.self.toString(), body.offerCap, capable)
  }

  #remember (key: string): void {
    this.#seen.add(key)
    if (this.#seen.size > this.#init.dedupeSize) {
      const oldest = this.#seen.values().next().value
      if (oldest !== undefined) this.#seen.delete(oldest)
    }
  }

  /**
   * The skill topics' admission, at validation: an announcement over its announcer's rate, or
   * from an announcer distrusted for letting reservations lapse, is LIMITED (neither heard nor
   * passed on: a flood of announcements stops at its first hop).
   */
  readonly #admit = (message: SwarmMessage, from: PeerId): boolean => {
    return message.type !== 'TASK_ANNOUNCE' || this.#limits.admitAnnouncement(from, message.body.taskId)
  }

  readonly #onSkillGossip = (delivery: GossipDelivery): void => {
    const { message, from } = delivery
    if (message.type === 'TASK_ANNOUNCE') this.hear(message.body, from)
    else if (message.type === 'TASK_CANCEL') {
      // Only the task's own announcer may call it off.
      const known = this.#state.held(message.body.taskId)
      if (known !== undefined && known.announcer.equals(from)) this.#state.release(message.body.taskId, message.body.reason)
    }
  }
}

/**
 * What identifies one announcement for deduplication: task and attempt, and the re-ask of a
 * queued task (a re-ask is a new announcement, not a copy of the first).
 */
function announcementKey (body: TaskAnnounceBody): string {
  return body.ask === undefined ? `${body.taskId}#${body.attempt}` : `${body.taskId}#${body.attempt}#ask${body.ask}`
}

/**
 * The waiting announcements still worth an offer (bid window open, deadline ahead), highest
 * effective priority first (from the priority, age and dependents `rankedAs` believes, and the
 * deadline), older first among equals; the others leave the queue. Pure apart from pruning `waiting`.
 */
function rankWaiting (waiting: Map<string, Announcement>, now: number, rankedAs: (a: Announcement) => RankedAs): Announcement[] {
  const live = [...waiting.values()].filter(a => {
    const open = a.body.bidWindowMs === 0 ? a.receivedAt + NO_BID_WINDOW_OPEN_MS : a.receivedAt + a.body.bidWindowMs
    const keep = now <= open && now < a.body.deadline
    if (!keep) waiting.delete(a.body.taskId)
    return keep
  })
  return live
    .map(a => {
      const as = rankedAs(a)
      return { a, rank: effectivePriority({ ...as, deadline: a.body.deadline }, now), createdAt: as.createdAt }
    })
    .sort((x, y) => y.rank - x.rank || x.createdAt - y.createdAt)
    .map(r => r.a)
}
