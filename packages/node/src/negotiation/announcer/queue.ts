/**
 * The announcer's queue: a task whose capable agents are all busy waits here (QUEUED) instead of
 * being rejected, until it is taken or its deadline passes. It is asked again (same attempt, a
 * fresh bid window, the next `ask` number) most urgent first (core/queue.ts):
 * - when an agent frees a slot (its card or heartbeat says so, a task of ours it worked on
 *   ended, or it offers on a queued task): the one most urgent task it can take, so that a
 *   freed slot does not bring every queued task back at once;
 * - on a backoff timer as a fallback (queueRetryBaseMs doubling to queueRetryMaxMs per task),
 *   the most urgent due task of each set of skills.
 */
import { LIMITS, createMessage } from '@swarm/protocol'
import { backoffPass, nextForFreedSlot, nextReaskAt, rankQueue } from '../../core/queue.js'
import { notify } from './context.js'
import { apply } from './lifecycle.js'
import { publishAnnouncement } from './rounds.js'
import type { AnnouncerContext } from './context.js'
import type { Session } from './session.js'
import type { QueueBackoff, QueuedTask } from '../../core/queue.js'
import type { TimerHandle } from '../../ports/clock.js'

/** A queued session with what the ordering reads. */
type Entry = QueuedTask & { session: Session }

export class AnnouncerQueue {
  readonly #ctx: AnnouncerContext
  readonly #queued = new Map<string, Session>()
  /** Tasks asked again whose bidding may still be open: they hold up less urgent ones of their skills. */
  readonly #asking = new Map<string, Session>()
  #timer?: TimerHandle
  #timerAt?: number
  #stopped = false

  constructor (ctx: AnnouncerContext) {
    this.#ctx = ctx
  }

  /** Queued tasks, most urgent first (for status views). */
  list (): string[] {
    return rankQueue(this.#entries(), this.#ctx.clock.now()).map(e => e.taskId)
  }

  get size (): number {
    return this.#entries().length
  }

  /**
   * Bidding ended without a group while capable agents exist: the task waits (QUEUED with the
   * reason); bidders that offered are released, and the backoff timer is armed.
   */
  enqueue (session: Session, reason: string): void {
    const ctx = this.#ctx
    const at = ctx.clock.now()
    session.biddingOpen = false
    if (!apply(ctx, session, { type: 'queue', at, reason: reason.slice(0, LIMITS.maxDescriptionChars) })) return
    session.queuedSince = at
    this.#queued.set(session.state.taskId, session)
    ctx.stats.queued++
    releaseOffers(ctx, session)
    const position = this.list().indexOf(session.state.taskId) + 1
    ctx.ledger.audit(session.state.taskId, 'queued', { reason, asks: session.reasks ?? 0, position })
    this.#arm()
  }

  /**
   * A task restored QUEUED after a restart (resume.ts): it waits in the queue again, asked again
   * on the backoff or when an agent frees a slot.
   */
  adopt (session: Session): void {
    if (session.state.status !== 'QUEUED' || this.#stopped) return
    session.queuedSince = this.#ctx.clock.now()
    // The re-asks before the restart (bidders remember their `ask` numbers): go on from there.
    session.reasks = reasksIn(session)
    this.#queued.set(session.state.taskId, session)
    this.#arm()
  }

  /**
   * `peerId` has a free slot: the most urgent queued task it can take is asked again (one
   * task). `why` goes to the audit trail.
   */
  capacityFreed (peerId: string, why: string): void {
    if (this.#stopped) return
    const entries = this.#entries()
    if (entries.length === 0) return
    const next = nextForFreedSlot(entries, this.#ctx.clock.now(), e => this.#canTake(peerId, e.session))
    if (next !== undefined) void this.#reask(next.session, { trigger: 'capacity-freed', peerId, why })
  }

  /** A task ended: the agents that worked on it free their slots. */
  ended (session: Session): void {
    this.#queued.delete(session.state.taskId)
    for (const member of session.state.members) this.capacityFreed(member.peerId, `task ${session.state.taskId} ended`)
  }

  stop (): void {
    this.#stopped = true
    this.#ctx.clock.clearTimeout(this.#timer)
    this.#timer = undefined
    this.#queued.clear()
    this.#asking.clear()
  }

  get #backoff (): QueueBackoff {
    const { queueRetryBaseMs: baseMs, queueRetryMaxMs } = this.#ctx.settings
    return { baseMs, maxMs: Math.max(baseMs, queueRetryMaxMs) }
  }

  /** The tasks still QUEUED (others, cancelled or past their deadline, leave the queue). */
  #entries (): Entry[] {
    return entriesOf(this.#queued, 'QUEUED')
  }

  /** The tasks asked again that are still bidding. */
  #askingEntries (): Entry[] {
    return entriesOf(this.#asking, 'ANNOUNCED')
  }

  /** Whether `peerId` can do one of the skills the task still needs. */
  #canTake (peerId: string, session: Session): boolean {
    const ctx = this.#ctx
    return session.body.skills.some(r => peerId === ctx.selfId
      ? ctx.selfCapable?.(r.name, r.minLevel) === true
      : ctx.directory.capablePeers(r.name, r.minLevel).includes(peerId))
  }

  /** Arms the backoff timer for the earliest due task (a pass at most every MIN_PASS_GAP_MS). */
  #arm (): void {
    if (this.#stopped || this.#ctx.sessions.stopped) return
    const ctx = this.#ctx
    const next = nextReaskAt(this.#entries(), ctx.clock.now(), this.#backoff)
    if (next === undefined) {
      ctx.clock.clearTimeout(this.#timer)
      this.#timer = undefined
      this.#timerAt = undefined
      return
    }
    const at = Math.max(next, ctx.clock.now() + MIN_PASS_GAP_MS)
    if (this.#timer !== undefined && this.#timerAt !== undefined && this.#timerAt <= at) return
    ctx.clock.clearTimeout(this.#timer)
    this.#timerAt = at
    this.#timer = ctx.clock.setTimeout(() => {
      this.#timer = undefined
      this.#timerAt = undefined
      this.#pass()
    }, at - ctx.clock.now())
  }

  /** The backoff timer: the most urgent due task of each set of skills is asked again. */
  #pass (): void {
    if (this.#stopped || this.#ctx.sessions.stopped) return
    for (const entry of backoffPass(this.#entries(), this.#ctx.clock.now(), this.#backoff, {}, this.#askingEntries())) {
      void this.#reask(entry.session, { trigger: 'backoff' })
    }
    this.#arm()
  }

  /** Asks a queued task again: ANNOUNCED, same attempt, the next `ask`, a fresh bid window. */
  async #reask (session: Session, detail: { trigger: 'capacity-freed' | 'backoff', peerId?: string, why?: string }): Promise<void> {
    const ctx = this.#ctx
    if (session.state.status !== 'QUEUED') return
    const { taskId } = session.state
    const at = ctx.clock.now()
    this.#queued.delete(taskId)
    if (!apply(ctx, session, { type: 'reask', at })) return
    const asks = Math.max((session.reasks ?? 0) + 1, reasksIn(session))
    session.reasks = asks
    ctx.stats.reasked++
    ctx.ledger.audit(taskId, 'dequeued', { ...detail, asks, waitedMs: at - (session.queuedSince ?? at) })
    delete session.queuedSince
    session.body = { ...session.body, ask: asks }
    this.#asking.set(taskId, session)
    try {
      await publishAnnouncement(ctx, session)
    } catch (err) {
      ctx.logger.warn('queued task not announced again', { taskId, err })
      apply(ctx, session, { type: 'fail', at: ctx.clock.now(), reason: `could not announce the task again: ${(err as Error).message}` })
    }
    this.#arm()
  }
}

/** How many times the task's history says it was asked again from the queue. */
function reasksIn (session: Session): number {
  return session.state.history.filter(h => h.event === 'reask').length
}

/** The sessions of `map` in `status`, as the ordering reads them; the others leave the map. */
function entriesOf (map: Map<string, Session>, status: 'QUEUED' | 'ANNOUNCED'): Entry[] {
  const entries: Entry[] = []
  for (const [taskId, session] of map) {
    if (session.state.status !== status) {
      map.delete(taskId)
      continue
    }
    const { body } = session
    entries.push({
      taskId,
      priority: body.priority,
      deadline: body.deadline,
      createdAt: body.createdAt,
      dependents: session.dependents ?? 0,
      skills: body.skills.map(s => s.name),
      queuedAt: session.queuedSince ?? session.state.updatedAt,
      asks: session.reasks ?? 0,
      session
    })
  }
  return entries
}

/**
 * Shortest time between two backoff passes: a due task that a more urgent one holds up (same
 * skill) is looked at again this soon, not in a loop.
 */
const MIN_PASS_GAP_MS = 100

/** Tells the agents that offered on the attempt (no group came of it) to release their reservations. */
function releaseOffers (ctx: AnnouncerContext, session: Session): void {
  const { taskId } = session.state
  for (const peerId of session.bidders) {
    notify(ctx, peerId, createMessage('TASK_CANCEL', { taskId, reason: 'queued: no group yet' }))
  }
  session.bidders.clear()
}
