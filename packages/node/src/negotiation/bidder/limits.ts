import { distrusted, lapse, leaseDuration, mayReserveFor, trustedPriority } from '../../core/announcer-limits.js'
import { RateLimiter } from '../../core/token-bucket.js'
import type { LapseRecord } from '../../core/announcer-limits.js'
import type { Announcement, BidderState } from './state.js'
import type { BidderComponents, BidderInit } from './types.js'
import type { PeerId } from '@libp2p/interface'
import type { Priority } from '@swarm/protocol'

export type LimitsComponents = Pick<BidderComponents, 'clock' | 'logger' | 'announcerKnown'>

/** What the bidder counts as limited (`swarm_limited_total{kind}`). */
export interface BidderLimited {
  /** Announcements over their announcer's rate, dropped. */
  announcement: number
  /** Announcements not offered on because their announcer held its share of reserved slots. */
  'reserved-slots': number
  /** Reservations an unknown announcer let lapse (or whose offer could not be delivered, or that it refused for not knowing its own task). */
  lapsed: number
  /** Announcements not offered on (or, on a topic, not taken) because their announcer let too many reservations lapse. */
  distrusted: number
}

/** What an announcement waiting for a slot is ranked by (see {@link BidderLimits.rankedAs}). */
export interface RankedAs {
  priority: Priority
  createdAt: number
  /** Tasks waiting for it, as believed (0 when absent or not believed). */
  dependents: number
}

/** Announcers whose lapses are remembered at most (beyond, the one heard of longest ago is forgotten). */
const MAX_LAPSE_RECORDS = 10_000

/**
 * What one announcer can make this bidder spend (docs/operations.md, "Limits"): announcements
 * taken at its rate (token bucket per announcer), leases no longer than `maxLeaseMs`, at most a
 * few slots reserved for it at once (fewer for an announcer with no successful outcome here),
 * and the priority it claims believed only once it is known. This node's own announcer is
 * trusted. Without `init.limits` nothing is limited.
 */
export class BidderLimits {
  readonly counts: BidderLimited = { announcement: 0, 'reserved-slots': 0, lapsed: 0, distrusted: 0 }
  /** Per announcer: the reservations it let lapse, and until when it is distrusted. */
  readonly #lapses = new Map<string, LapseRecord>()
  readonly #state: BidderState
  readonly #c: LimitsComponents
  readonly #init: Pick<BidderInit, 'self' | 'leaseGraceMs' | 'limits'>
  readonly #rate?: RateLimiter

  constructor (state: BidderState, components: LimitsComponents, init: Pick<BidderInit, 'self' | 'leaseGraceMs' | 'limits'>) {
    this.#state = state
    this.#c = components
    this.#init = init
    if (init.limits !== undefined) this.#rate = new RateLimiter(init.limits.rates.announcements)
  }

  /** Whether one more announcement from `announcer` is taken now; counted (and logged at debug) when not. */
  allowAnnouncement (announcer: PeerId, taskId: string): boolean {
    if (this.#rate === undefined || announcer.equals(this.#init.self)) return true
    if (this.#rate.allow(announcer.toString(), this.#c.clock.now())) return true
    this.counts.announcement++
    this.#c.logger.debug('announcement over its announcer\'s rate, dropped', { taskId, announcer: announcer.toString() })
    return false
  }

  /** How long a slot is reserved for an offer on an announcement with this bid window. */
  leaseMs (bidWindowMs: number): number {
    return leaseDuration(bidWindowMs, this.#init.leaseGraceMs, this.#init.limits?.maxLeaseMs)
  }

  /**
   * Why no slot may be reserved for `a` now (its announcer holds its share of reserved slots
   * already, or is distrusted for letting reservations lapse), or undefined when one may. The
   * first refusal of each announcement is counted.
   */
  refusal (a: Announcement): string | undefined {
    const limits = this.#init.limits
    if (limits === undefined || a.announcer.equals(this.#init.self)) return undefined
    const now = this.#c.clock.now()
    const record = this.#lapses.get(a.announcer.toString())
    if (distrusted(record, now)) {
      this.#countOnce(a, 'distrusted', 'announcer let too many reservations lapse, no offer')
      return `this announcer let ${limits.lapsesToDistrust} reservation${limits.lapsesToDistrust === 1 ? '' : 's'} here lapse without an invite or a release: no reserved slot for it until ${new Date(record?.distrustedUntil ?? now).toISOString()}`
    }
    const decision = mayReserveFor(this.#heldBy(a), this.known(a.announcer), limits)
    if (decision.allowed) return undefined
    this.#countOnce(a, 'reserved-slots', 'announcer holds its share of reserved slots, no offer')
    return decision.reason
  }

  /**
   * A reservation for `announcer`'s task ended without the announcer ending it (the lease ran
   * out with no invite, release or cancel), or its offer could not be delivered: counted toward
   * distrusting the announcer (limits.lapsesToDistrust), unless it is known (this node had a
   * successful outcome with it; itself included).
   */
  lapsed (announcer: PeerId, taskId: string, why: string): void {
    const limits = this.#init.limits
    if (limits === undefined || this.known(announcer)) return
    const key = announcer.toString()
    const before = this.#lapses.get(key)
    const now = this.#c.clock.now()
    const after = lapse(before, now, limits)
    this.#lapses.delete(key)
    this.#lapses.set(key, after)
    if (this.#lapses.size > MAX_LAPSE_RECORDS) {
      const oldest = this.#lapses.keys().next()
      if (oldest.done !== true) this.#lapses.delete(oldest.value)
    }
    this.counts.lapsed++
    if (!distrusted(before, now) && distrusted(after, now)) {
      this.#c.logger.info('announcer distrusted: it let reservations lapse', { announcer: key, taskId, why, untilMs: limits.distrustMs })
    } else {
      this.#c.logger.debug('reservation lapsed', { announcer: key, taskId, why })
    }
  }

  /**
   * Whether announcements heard on a topic from `announcer` are taken now: within its rate
   * (limits.rates.announcements) and not distrusted. Otherwise counted: the topic's admission
   * makes them LIMITED (not passed on).
   */
  admitAnnouncement (announcer: PeerId, taskId: string): boolean {
    if (this.#init.limits !== undefined && !announcer.equals(this.#init.self) && distrusted(this.#lapses.get(announcer.toString()), this.#c.clock.now())) {
      this.counts.distrusted++
      return false
    }
    return this.allowAnnouncement(announcer, taskId)
  }

  #countOnce (a: Announcement, kind: 'reserved-slots' | 'distrusted', log: string): void {
    if (a.capped === true) return
    a.capped = true
    this.counts[kind]++
    this.#c.logger.debug(log, { taskId: a.body.taskId, announcer: a.announcer.toString() })
  }

  /**
   * The priority, creation time and dependents `a` is ranked by in the waiting queue: as claimed
   * from a known announcer (the dependents boost is capped by core/priority.ts anyway); from an
   * unknown one the priority at most limits.unknownAnnouncerMaxPriority (core/announcer-limits.ts
   * trustedPriority), its age counted from when it was heard at the earliest (a made-up old
   * `createdAt` earns no aging boost), and no dependents (a made-up count earns no boost above
   * that priority).
   */
  rankedAs (a: Announcement): RankedAs {
    const limits = this.#init.limits
    const claimed = { priority: a.body.priority, createdAt: a.body.createdAt, dependents: a.body.dependents ?? 0 }
    if (limits === undefined || this.known(a.announcer)) return claimed
    return { priority: trustedPriority(a.body.priority, false, limits.unknownAnnouncerMaxPriority), createdAt: Math.max(a.body.createdAt, a.receivedAt), dependents: 0 }
  }

  /** Whether this node had a successful outcome with `announcer` (itself always). */
  known (announcer: PeerId): boolean {
    if (announcer.equals(this.#init.self)) return true
    return this.#c.announcerKnown?.(announcer.toString()) ?? true
  }

  /** Slots reserved (offered on, not yet committed) for the announcer of `a`, other than for `a`'s task. */
  #heldBy (a: Announcement): number {
    const { offered, capacity } = this.#state
    let held = 0
    for (const [taskId, other] of offered) {
      if (taskId !== a.body.taskId && other.announcer.equals(a.announcer) && capacity.reservations.has(taskId)) held++
    }
    return held
  }
}
