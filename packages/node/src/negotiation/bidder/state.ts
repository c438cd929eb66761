import { currentLoad, emptyCapacity, finishTask, releaseReservation } from '../../core/capacity.js'
import { MAX_FORMER_OFFERS } from './constants.js'
import type { CapacityState } from '../../core/capacity.js'
import type { CandidateSkill } from '../../core/scoring.js'
import type { Clock, TimerHandle } from '../../ports/clock.js'
import type { PeerId } from '@libp2p/interface'
import type { TaskAnnounceBody } from '@swarm/protocol'

/** An announcement this node heard and could work on. */
export interface Announcement {
  body: TaskAnnounceBody
  announcer: PeerId
  receivedAt: number
  /** Required skills this node covers, with its own figures. */
  covered: CandidateSkill[]
  /** Set once an offer on it was held back for its announcer's cap on reserved slots (counted once). */
  capped?: boolean
}

/** A task this node accepted an invite for (committed capacity). */
export interface Assignment {
  announcement: Announcement
  groupId: string
  skills: string[]
  abort: AbortController
  running: boolean
  finished: Set<string>
  /** Cleared when the group dissolves or the deadline passes. */
  groupTimer?: TimerHandle
}

export interface BidderStats {
  announcementsHeard: number
  offersSkipped: number
  offersSent: number
  offersRefused: number
  invitesAccepted: number
  invitesDeclined: number
  tasksRun: number
}

/** What the state tells the bidder's other parts. */
export interface BidderStateHooks {
  /** Capacity may have come free: offer on waiting announcements again (soon, batched). */
  requestDrain: () => void
  /** A reservation was given up. */
  released: (taskId: string, reason: string) => void
  /** An accepted assignment was let go (its running parts, if any, are aborted). */
  assignmentReleased: (taskId: string, reason: string) => void
}

/**
 * What the bidder holds per task, shared by its parts: the capacity ledger and the four stages
 * an announcement goes through here (waiting for a slot, offered with a reservation, assigned
 * with a commitment, or a former offer that may still bring a backup invite). Every way of
 * letting go of a task (release, finish) is here, so that the ledger and the stages agree.
 */
export class BidderState {
  capacity: CapacityState
  /** Announcements waiting for a free slot, by task id. */
  readonly waiting = new Map<string, Announcement>()
  /** Announcements we offered on and hold a reservation for. */
  readonly offered = new Map<string, Announcement>()
  /** Tasks we accepted (committed capacity), by task id. */
  readonly assigned = new Map<string, Assignment>()
  /**
   * Announcements we offered on and no longer hold a reservation for (not chosen, or the lease
   * ended), by task id: the announcer may still invite us as a backup, to replace a member that
   * declined or went away. Such an invite is accepted when a slot is free.
   */
  readonly formerOffers = new Map<string, Announcement>()
  readonly stats: BidderStats = { announcementsHeard: 0, offersSkipped: 0, offersSent: 0, offersRefused: 0, invitesAccepted: 0, invitesDeclined: 0, tasksRun: 0 }
  stopped = false
  readonly #clock: Clock
  readonly #hooks: BidderStateHooks

  constructor (capacity: number, clock: Clock, hooks: BidderStateHooks) {
    this.capacity = emptyCapacity(capacity)
    this.#clock = clock
    this.#hooks = hooks
  }

  /** Asks for a pass over the waiting queue (batched): capacity may have come free. */
  requestDrain (): void {
    this.#hooks.requestDrain()
  }

  /** Reserved plus running tasks now. */
  load (now = this.#clock.now()): number {
    return currentLoad(this.capacity, now)
  }

  /** The announcement of a task waiting, offered on or assigned (not a former offer). */
  held (taskId: string): Announcement | undefined {
    return this.waiting.get(taskId) ?? this.offered.get(taskId) ?? this.assigned.get(taskId)?.announcement
  }

  /** The announcement of a task offered on or assigned, when `from` is its announcer. */
  fromAnnouncer (taskId: string, from: PeerId): Announcement | undefined {
    const a = this.offered.get(taskId) ?? this.assigned.get(taskId)?.announcement
    return a !== undefined && a.announcer.equals(from) ? a : undefined
  }

  /** The attempt of a task this node waits on, offered on or works on (for log lines). */
  attemptOf (taskId: string): number | undefined {
    const a = this.assigned.get(taskId)?.announcement ?? this.offered.get(taskId) ?? this.waiting.get(taskId) ?? this.formerOffers.get(taskId)
    return a?.body.attempt
  }

  /** Frees whatever this node holds for `taskId` that is not running (a running one is aborted). */
  release (taskId: string, reason: string): void {
    this.waiting.delete(taskId)
    const assigned = this.assigned.get(taskId)
    if (assigned !== undefined) {
      this.#hooks.assignmentReleased(taskId, reason)
      assigned.abort.abort()
      if (!assigned.running) this.finishAssignment(taskId, assigned)
      return
    }
    const offered = this.offered.get(taskId)
    if (offered !== undefined) this.rememberFormerOffer(offered, this.#clock.now())
    if (this.offered.delete(taskId) || this.capacity.reservations.has(taskId)) {
      this.capacity = releaseReservation(this.capacity, taskId)
      this.#hooks.released(taskId, reason)
      this.requestDrain()
    }
  }

  /** Ends an assignment (if it is still the current one for the task) and frees its slot. */
  finishAssignment (taskId: string, a: Assignment): void {
    if (this.assigned.get(taskId) !== a) return
    this.assigned.delete(taskId)
    this.offered.delete(taskId)
    this.capacity = finishTask(releaseReservation(this.capacity, taskId), taskId)
    this.requestDrain()
  }

  /** Keeps an offer that lost its reservation, for a backup invite (bounded; past deadlines dropped). */
  rememberFormerOffer (a: Announcement, now: number): void {
    for (const [taskId, former] of this.formerOffers) {
      if (former.body.deadline <= now) this.formerOffers.delete(taskId)
    }
    this.formerOffers.delete(a.body.taskId)
    this.formerOffers.set(a.body.taskId, a)
    if (this.formerOffers.size > MAX_FORMER_OFFERS) {
      const oldest = this.formerOffers.keys().next().value
      if (oldest !== undefined) this.formerOffers.delete(oldest)
    }
  }
}
