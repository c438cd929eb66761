import { Announcements } from './announcements.js'
import { Assignments } from './assignments.js'
import { BidderLimits } from './limits.js'
import { Offers } from './offers.js'
import { BidderState } from './state.js'
import { Work } from './work.js'
import type { BidderLimited } from './limits.js'
import type { BidderStats } from './state.js'
import type { BidderComponents, BidderInit } from './types.js'
import type { PeerId, Startable } from '@libp2p/interface'
import type { TaskAnnounceBody } from '@swarm/protocol'

export type { BidderComponents, BidderEvents, BidderInit } from './types.js'
export type { BidderStats } from './state.js'

/**
 * The bidder side of negotiation. Hears announcements on the topics of its skills, ranks those
 * waiting for capacity by effective priority, reserves capacity for a lease before offering
 * (never more reservations plus running tasks than its capacity), accepts invites by turning a
 * reservation into a commitment, runs the skill handlers and sends results to the announcer.
 *
 * Its parts share one {@link BidderState}: announcements.ts (hearing, the waiting queue),
 * offers.ts (reservations, leases, offers), assignments.ts (invites, start, cancel, group
 * timers) and work.ts (handlers, progress, results).
 */
export class Bidder implements Startable {
  readonly stats: BidderStats
  readonly #state: BidderState
  readonly #announcements: Announcements
  readonly #assignments: Assignments
  readonly #offers: Offers
  readonly #work: Work
  readonly #limits: BidderLimits

  constructor (components: BidderComponents, init: BidderInit) {
    this.#state = new BidderState(init.capacity, components.clock, {
      requestDrain: () => { this.#announcements.scheduleDrain() },
      released: (taskId, reason) => { components.events.emit('work:released', { taskId, reason }) },
      assignmentReleased: (taskId, reason) => { components.history.released({ taskId, reason, at: components.clock.now() }) }
    })
    this.stats = this.#state.stats
    this.#limits = new BidderLimits(this.#state, components, init)
    const offers = new Offers(this.#state, components, this.#limits)
    this.#announcements = new Announcements(this.#state, offers, this.#limits, components, init)
    this.#work = new Work(this.#state, components, init)
    this.#assignments = new Assignments(this.#state, this.#work, components, init)
    this.#offers = offers
    const { direct } = components
    direct.handle('TASK_ANNOUNCE', (message, from) => this.#announcements.hearDirect(message, from))
    direct.handle('GROUP_INVITE', (message, from) => this.#assignments.onInvite(message, from))
    direct.handle('GROUP_FORMED', (message, from) => this.#assignments.onFormed(message, from))
    direct.handle('OFFER_RELEASE', (message, from) => this.#assignments.onRelease(message, from))
    direct.handle('TASK_START', (message, from) => this.#assignments.onStart(message, from))
    direct.handle('TASK_CANCEL', (message, from) => this.#assignments.onCancel(message, from))
    direct.handle('GROUP_KEY', (message, from) => this.#assignments.onGroupKey(message, from))
  }

  start (): void {
    this.#announcements.start()
  }

  /**
   * Graceful drain, before stop(): hands every running part of a task announced by another
   * node to a backup through its announcer ("shutting down", from the part's last checkpoint)
   * and stops its handler; a part whose handoff is refused fails, so that its announcer retries.
   * Parts of tasks this node announced are left to stop() (the announcer cancels them). From
   * the call on, the bidder offers on nothing and declines invites. Resolves when those parts
   * ended, or after `timeoutMs`.
   */
  async drain (timeoutMs: number): Promise<void> {
    // Stopping from here on: no new offers, and no invites accepted (a backup that would only
    // be aborted a moment later).
    this.#state.stopped = true
    await this.#work.drain(timeoutMs)
  }

  stop (): void {
    this.#state.stopped = true
    this.#offers.stop()
    this.#announcements.stop()
    this.#assignments.stop()
  }

  /** Reserved plus running tasks now. */
  load (now?: number): number {
    return this.#state.load(now)
  }

  /** What was limited since the start (announcements over their rate, offers held back for an announcer's share). */
  get limited (): Readonly<BidderLimited> {
    return this.#limits.counts
  }

  get capacity (): number {
    return this.#state.capacity.capacity
  }

  /** Tasks this node is working on, for status views. */
  assignments (): Array<{ taskId: string, groupId: string, skills: string[], announcer: string, running: boolean }> {
    return [...this.#state.assigned.entries()].map(([taskId, a]) => ({ taskId, groupId: a.groupId, skills: a.skills, announcer: a.announcement.announcer.toString(), running: a.running }))
  }

  /** The attempt of a task this node waits on, offered on or works on (for log lines). */
  attemptOf (taskId: string): number | undefined {
    return this.#state.attemptOf(taskId)
  }

  /** An announcement heard on gossip — or handed over by this node's own announcer. */
  hear (body: TaskAnnounceBody, announcer: PeerId): void {
    this.#announcements.hear(body, announcer)
  }
}

/** The bidder as a service: `bidder(init)(components)`. */
export function bidder (init: BidderInit): (components: BidderComponents) => Bidder {
  return (components) => new Bidder(components, init)
}
