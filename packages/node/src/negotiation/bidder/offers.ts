import { createMessage } from '@swarm/protocol'
import { expireReservations, nextExpiry, tryReserve } from '../../core/capacity.js'
import { scoreOwnOffer } from '../../core/scoring.js'
import { encodeSignature, offerSigningBytes } from '../../core/signed-offer.js'
import { LEASE_TIMER_SLACK_MS, OFFER_MIN_TIMEOUT_MS } from './constants.js'
import type { TimerHandle } from '../../ports/clock.js'
import type { BidderLimits } from './limits.js'
import type { Announcement, BidderState } from './state.js'
import type { BidderComponents } from './types.js'
import type { MessageOf } from '@swarm/protocol'

export type OffersComponents = Pick<BidderComponents, 'messenger' | 'clock' | 'events' | 'logger' | 'history' | 'signer' | 'awards'>

/** A slot reserved for an offer until `leaseExpiresAt`, or why none was free (or none for this announcer). */
export type Reservation = { reserved: true, leaseExpiresAt: number } | { reserved: false, reason: string }

/**
 * Offers and their leases: a slot is reserved for the bid window plus a grace (at most
 * limits.maxLeaseMs) before the offer goes out, so that this node never offers more than it
 * could take on, and never more than its share to one announcer (limits.ts); a lease that ends
 * without an invite frees its slot (the lease timer wakes the waiting queue then) and counts as
 * a lapse of its announcer, as does an offer that could not be delivered or that the announcer
 * refused for not knowing the task (limits.ts lapsed).
 */
export class Offers {
  readonly #state: BidderState
  readonly #c: OffersComponents
  readonly #limits: BidderLimits
  #leaseTimer?: TimerHandle

  constructor (state: BidderState, components: OffersComponents, limits: BidderLimits) {
    this.#state = state
    this.#c = components
    this.#limits = limits
  }

  /**
   * Drops the reservations whose lease ended; offers that lost theirs become former offers (a
   * backup invite may still come for them).
   */
  expireLeases (now: number): void {
    const state = this.#state
    state.capacity = expireReservations(state.capacity, now)
    for (const [taskId, a] of state.offered) {
      if (!state.capacity.reservations.has(taskId) && !state.capacity.committed.has(taskId)) {
        state.offered.delete(taskId)
        state.rememberFormerOffer(a, now)
        this.#limits.lapsed(a.announcer, taskId, 'the lease ran out with no invite, release or cancel')
      }
    }
  }

  /** Reserves a slot for an offer on `a` (it moves from waiting to offered), if one is free and its announcer is under its cap. */
  reserve (a: Announcement, now: number): Reservation {
    const state = this.#state
    state.capacity = expireReservations(state.capacity, now)
    const leaseMs = this.#limits.leaseMs(a.body.bidWindowMs)
    const result = tryReserve(state.capacity, a.body.taskId, now, leaseMs)
    if (!result.reserved) return { reserved: false, reason: result.reason ?? 'no free capacity' }
    // A free slot, but maybe not for this announcer (checked second: a busy node counts no cap).
    const capped = this.#limits.refusal(a)
    if (capped !== undefined) return { reserved: false, reason: capped }
    state.capacity = result.state
    state.waiting.delete(a.body.taskId)
    state.offered.set(a.body.taskId, a)
    return { reserved: true, leaseExpiresAt: now + leaseMs }
  }

  /**
   * The offer for a reserved announcement, signed by this node's key for this task and this
   * announcer (core/signed-offer.ts), kept for the award's check, counted and reported (work:offered).
   */
  async offer (a: Announcement, leaseExpiresAt: number): Promise<MessageOf<'SKILL_OFFER'>> {
    const { body } = a
    const capacity = this.#state.capacity.capacity
    // The reservation for this task is already counted in the load: report the load without it.
    const load = Math.max(0, this.#state.load() - 1)
    const unsigned = {
      taskId: body.taskId,
      attempt: body.attempt,
      skills: a.covered.map(s => ({ name: s.name, level: s.level, successRate: s.successRate, avgCompletionMs: s.avgCompletionMs })),
      score: scoreOwnOffer(a.covered, body.skills, load, capacity),
      estimateMs: Math.max(...a.covered.map(s => s.avgCompletionMs)),
      load,
      capacity,
      leaseExpiresAt
    }
    const signature = encodeSignature(await this.#c.signer.sign(offerSigningBytes(a.announcer.toString(), unsigned)))
    const offer = createMessage('SKILL_OFFER', { ...unsigned, signature })
    this.#c.awards.offered(a.announcer.toString(), offer.body)
    this.#state.stats.offersSent++
    this.#c.events.emit('work:offered', { taskId: body.taskId, announcer: a.announcer.toString(), skills: a.covered.map(s => s.name), score: offer.body.score })
    this.#c.history.offered({
      taskId: body.taskId,
      announcer: a.announcer.toString(),
      attempt: body.attempt,
      description: body.description,
      priority: body.priority,
      deadline: body.deadline,
      skills: a.covered.map(s => s.name),
      at: this.#c.clock.now()
    })
    return offer
  }

  /**
   * Sends the offer on an announcement heard on gossip to its announcer. A refusal or a failed
   * delivery gives the reservation up at once rather than at the lease's end.
   */
  async send (a: Announcement, leaseExpiresAt: number): Promise<void> {
    const { body } = a
    try {
      const offer = await this.offer(a, leaseExpiresAt)
      // The announcer may be a peer we have no connection to (the announcement came through
      // the mesh): its addresses from the announcement let us dial it.
      await this.#c.messenger.learnAddrs(a.announcer, body.announcerAddrs)
      const reply = await this.#c.messenger.request(a.announcer, offer, { timeoutMs: Math.max(OFFER_MIN_TIMEOUT_MS, body.bidWindowMs + OFFER_MIN_TIMEOUT_MS) })
      if (reply.type === 'ERROR') {
        this.#state.stats.offersRefused++
        // An announcer that does not know the task it just announced: made up to make us offer.
        if (reply.body.code === 'UNKNOWN_TASK') this.#limits.lapsed(a.announcer, body.taskId, 'the announcer did not know the task it announced')
        this.#state.release(body.taskId, `offer refused: ${reply.body.code}`)
      }
    } catch (err) {
      this.#state.stats.offersRefused++
      this.#c.logger.debug('offer not delivered', { taskId: body.taskId, err })
      // Only if the reservation was still ours to give up (not already ended by the announcer).
      if (this.#state.offered.get(body.taskId) === a) this.#limits.lapsed(a.announcer, body.taskId, 'the offer could not be delivered')
      this.#state.release(body.taskId, 'offer not delivered')
    }
  }

  /** Wakes the waiting queue when the next lease ends (its slot is then free). */
  armLeaseTimer (): void {
    const { clock } = this.#c
    clock.clearTimeout(this.#leaseTimer)
    const next = nextExpiry(this.#state.capacity)
    if (next === undefined || this.#state.stopped) return
    this.#leaseTimer = clock.setTimeout(() => { this.#state.requestDrain() }, Math.max(0, next - clock.now()) + LEASE_TIMER_SLACK_MS)
  }

  stop (): void {
    this.#c.clock.clearTimeout(this.#leaseTimer)
  }
}
