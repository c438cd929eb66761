/**
 * The inbox of a node: the parts of its `inbox` skills waiting for an external worker (an agent
 * that pulls work through the control API), who holds which under what lease, the workers
 * long-polling for a part, and the one timer of each part (its lease, or its time to be claimed).
 * The decisions are part.ts's; this service owns the timers, the events and the handlers' promises.
 */
import { newId } from '@swarm/protocol'
import { SwarmError } from '../errors.js'
import { authorize, backToWaiting, claimPart, claimView, claimable, newPart, partView, renewLease, timerAt, timerVerdict } from './part.js'
import type { Json } from '@swarm/protocol'
import type { Startable } from '@libp2p/interface'
import type { Logger } from '../logger.js'
import type { Clock, TimerHandle } from '../ports/clock.js'
import type { EventSink } from '../ports/events.js'
import type { ClaimedPart, PartRecord, PartSpec } from './part.js'
import type { ClaimRequest, CompleteRequest, FailRequest, InboxClaim, InboxEndHow, InboxEvents, InboxPartState, InboxPartView, ProgressRequest, ReleaseRequest } from './types.js'

/** How the part of an inbox handler ended, as the handler learns it. */
export type PartEnd =
  | { how: 'completed', output: Json }
  | { how: 'failed', message: string }
  /** Nobody claimed it within its claim timeout: the handler hands it back, from `checkpoint`. */
  | { how: 'unclaimed', checkpoint?: Json }

/** What the handler gives the inbox with its part: its abort signal and where the worker's reports go. */
export interface PartHooks {
  /** Aborted: the part leaves the inbox and the enqueue promise rejects with the signal's reason. */
  signal: AbortSignal
  progress: (fraction: number, message?: string) => void
  checkpoint: (state: Json) => void
}

export interface InboxComponents {
  clock: Clock
  events: EventSink<InboxEvents>
  logger: Logger
}

/** Workers long-polling at once at most (more wait no longer: they get no part at once). */
const MAX_WAITERS = 1_024

export interface InboxInit {
  /** Default {@link MAX_WAITERS}. */
  maxWaiters?: number
}

export function inboxService (init: InboxInit = {}): (components: InboxComponents) => Inbox {
  return components => new Inbox(components, init)
}

interface Entry {
  part: PartRecord
  hooks: PartHooks
  timer?: TimerHandle
  settle: (end: PartEnd) => void
  onAbort: () => void
}

interface Waiter {
  request: ClaimRequest
  resolve: (claim: InboxClaim | null) => void
  timer?: TimerHandle
  signal?: AbortSignal
  onAbort?: () => void
}

/** The parts of this node's inbox skills; shared by all of them. */
export class Inbox implements Startable {
  readonly #c: InboxComponents
  readonly #maxWaiters: number
  readonly #entries = new Map<string, Entry>()
  #waiters: Waiter[] = []
  #stopped = false

  constructor (components: InboxComponents, init: InboxInit = {}) {
    this.#c = components
    this.#maxWaiters = init.maxWaiters ?? MAX_WAITERS
  }

  start (): void {
    this.#stopped = false
  }

  /** Answers every long-polling worker with no part and disarms the timers (the handlers' aborts remove their parts). */
  stop (): void {
    this.#stopped = true
    for (const waiter of this.#waiters.splice(0)) this.#dropWaiter(waiter, null)
    for (const entry of this.#entries.values()) this.#c.clock.clearTimeout(entry.timer)
  }

  /**
   * Puts a part in the inbox and resolves with how it ended: completed or failed by its worker,
   * or unclaimed for its claim timeout. Rejects with the signal's reason when the handler is
   * stopped (the part leaves the inbox; its claim becomes stale).
   */
  async enqueue (spec: PartSpec, hooks: PartHooks): Promise<PartEnd> {
    if (hooks.signal.aborted) throw hooks.signal.reason
    const part = newPart(newId(), spec, this.#c.clock.now())
    return await new Promise<PartEnd>((resolve, reject) => {
      const entry: Entry = {
        part,
        hooks,
        settle: resolve,
        onAbort: () => {
          if (this.#end(entry, 'aborted')) reject(hooks.signal.reason)
        }
      }
      hooks.signal.addEventListener('abort', entry.onAbort, { once: true })
      this.#entries.set(part.partId, entry)
      this.#c.logger.info('part waits in the inbox', { partId: part.partId, taskId: part.taskId, skill: part.skill, claimTimeoutMs: part.claimTimeoutMs })
      this.#waiting(entry)
    })
  }

  /** The parts, oldest first: only one skill's, only waiting or only claimed ones when asked. */
  list (filter: { skill?: string, state?: InboxPartState } = {}): InboxPartView[] {
    return [...this.#entries.values()]
      .map(e => partView(e.part))
      .filter(v => (filter.skill === undefined || v.skill === filter.skill) && (filter.state === undefined || v.state === filter.state))
  }

  /**
   * Claims the oldest waiting part of the skills asked for; when none waits, waits up to
   * `waitMs` for one (first come, first served). Null when none came, or when `signal` aborts
   * first (the worker went away: no part is claimed for it).
   */
  async claim (request: ClaimRequest, signal?: AbortSignal): Promise<InboxClaim | null> {
    const waiting = [...this.#entries.values()].find(e => claimable(e.part, request.skills))
    if (waiting !== undefined) return this.#claim(waiting, request)
    const waitMs = request.waitMs ?? 0
    if (waitMs <= 0 || this.#stopped || signal?.aborted === true || this.#waiters.length >= this.#maxWaiters) return null
    return await new Promise<InboxClaim | null>(resolve => {
      const waiter: Waiter = { request, resolve }
      waiter.timer = this.#c.clock.setTimeout(() => { this.#removeWaiter(waiter, null) }, waitMs)
      if (signal !== undefined) {
        waiter.signal = signal
        waiter.onAbort = () => { this.#removeWaiter(waiter, null) }
        signal.addEventListener('abort', waiter.onAbort, { once: true })
      }
      this.#waiters.push(waiter)
    })
  }

  /** A worker's progress: renews the lease; the fraction, message and checkpoint go to the handler. */
  progress (partId: string, request: ProgressRequest): { partId: string, leaseEndsAt: number } {
    const { entry, part: claimed } = this.#authorized(partId, request.claimId, 'progress')
    const part = renewLease(claimed, this.#c.clock.now())
    const fraction = request.fraction ?? part.fraction
    entry.part = { ...part, fraction, ...(request.checkpoint !== undefined ? { checkpoint: request.checkpoint } : {}) }
    this.#arm(entry)
    this.#call('progress', () => {
      if (request.checkpoint !== undefined) entry.hooks.checkpoint(request.checkpoint)
      if (request.fraction !== undefined || request.message !== undefined) entry.hooks.progress(fraction, request.message)
    })
    return { partId, leaseEndsAt: part.claim.leaseEndsAt }
  }

  /** The worker's result: the handler resolves with `output`. */
  complete (partId: string, request: CompleteRequest): { partId: string, taskId: string, state: 'completed' } {
    const { entry, part } = this.#authorized(partId, request.claimId, 'complete')
    this.#end(entry, 'completed')
    entry.settle({ how: 'completed', output: request.output })
    return { partId, taskId: part.taskId, state: 'completed' }
  }

  /** The worker gave up: the handler fails with its message. */
  fail (partId: string, request: FailRequest): { partId: string, taskId: string, state: 'failed' } {
    const { entry, part } = this.#authorized(partId, request.claimId, 'fail')
    this.#end(entry, 'failed')
    entry.settle({ how: 'failed', message: request.message })
    return { partId, taskId: part.taskId, state: 'failed' }
  }

  /** The worker lets go: the part waits again (for another worker, from its last checkpoint). */
  release (partId: string, request: ReleaseRequest): { partId: string, taskId: string, state: 'waiting' } {
    const { entry, part } = this.#authorized(partId, request.claimId, 'release')
    this.#c.logger.info('inbox part released by its worker', { partId, taskId: part.taskId, worker: part.claim.worker, ...(request.reason !== undefined ? { reason: request.reason } : {}) })
    entry.part = backToWaiting(part, this.#c.clock.now())
    this.#waiting(entry)
    return { partId, taskId: part.taskId, state: 'waiting' }
  }

  #authorized (partId: string, claimId: string | undefined, op: 'progress' | 'complete' | 'fail' | 'release'): { entry: Entry, part: ClaimedPart } {
    const entry = this.#entries.get(partId)
    const part = authorize(entry?.part, partId, claimId, op)
    if (entry === undefined) throw new SwarmError('INBOX_PART_NOT_FOUND', `no part ${partId} in this node's inbox`, { partId })
    return { entry, part }
  }

  /** The part waits (again): a long-polling worker gets it at once, else it waits for its claim timeout. */
  #waiting (entry: Entry): void {
    const { part } = entry
    this.#c.events.emit('inbox:queued', { partId: part.partId, taskId: part.taskId, skill: part.skill })
    const waiter = this.#waiters.find(w => claimable(part, w.request.skills))
    if (waiter !== undefined) {
      this.#waiters = this.#waiters.filter(w => w !== waiter)
      this.#dropWaiter(waiter, this.#claim(entry, waiter.request))
      return
    }
    this.#arm(entry)
  }

  #claim (entry: Entry, request: ClaimRequest): InboxClaim {
    const part = claimPart(entry.part, { claimId: newId(), ...(request.worker !== undefined ? { worker: request.worker } : {}), ...(request.leaseMs !== undefined ? { leaseMs: request.leaseMs } : {}) }, this.#c.clock.now())
    entry.part = part
    this.#arm(entry)
    this.#c.logger.info('inbox part claimed', { partId: part.partId, taskId: part.taskId, worker: part.claim.worker, leaseMs: part.claim.leaseMs })
    this.#c.events.emit('inbox:claimed', { partId: part.partId, taskId: part.taskId, skill: part.skill, worker: part.claim.worker })
    return claimView(part)
  }

  /** (Re)arms the part's one timer for its lease's end or its claim timeout. */
  #arm (entry: Entry): void {
    const { clock } = this.#c
    clock.clearTimeout(entry.timer)
    if (this.#stopped) return
    entry.timer = clock.setTimeout(() => { this.#timerFired(entry) }, Math.max(0, timerAt(entry.part) - clock.now()))
  }

  #timerFired (entry: Entry): void {
    if (this.#entries.get(entry.part.partId) !== entry) return
    const now = this.#c.clock.now()
    const verdict = timerVerdict(entry.part, now)
    if (verdict === 'not-yet') {
      this.#arm(entry)
    } else if (verdict === 'lease-ended') {
      this.#c.logger.warn('inbox lease ended without progress: the part waits for another worker', { partId: entry.part.partId, taskId: entry.part.taskId, worker: entry.part.claim?.worker })
      entry.part = backToWaiting(entry.part, now)
      this.#waiting(entry)
    } else {
      this.#c.logger.warn('no inbox worker claimed the part in time: handing it back', { partId: entry.part.partId, taskId: entry.part.taskId, claimTimeoutMs: entry.part.claimTimeoutMs })
      this.#end(entry, 'handed-back')
      entry.settle({ how: 'unclaimed', ...(entry.part.checkpoint !== undefined ? { checkpoint: entry.part.checkpoint } : {}) })
    }
  }

  /** Takes the part out of the inbox; false when it already was. */
  #end (entry: Entry, how: InboxEndHow): boolean {
    const { part } = entry
    if (this.#entries.get(part.partId) !== entry) return false
    this.#entries.delete(part.partId)
    this.#c.clock.clearTimeout(entry.timer)
    entry.hooks.signal.removeEventListener('abort', entry.onAbort)
    this.#c.events.emit('inbox:ended', { partId: part.partId, taskId: part.taskId, skill: part.skill, how })
    return true
  }

  #removeWaiter (waiter: Waiter, answer: InboxClaim | null): void {
    const before = this.#waiters.length
    this.#waiters = this.#waiters.filter(w => w !== waiter)
    if (this.#waiters.length !== before) this.#dropWaiter(waiter, answer)
  }

  #dropWaiter (waiter: Waiter, answer: InboxClaim | null): void {
    this.#c.clock.clearTimeout(waiter.timer)
    if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener('abort', waiter.onAbort)
    waiter.resolve(answer)
  }

  #call (what: string, fn: () => void): void {
    try {
      fn()
    } catch (err) {
      this.#c.logger.warn(`inbox ${what} callback failed`, { err })
    }
  }
}
