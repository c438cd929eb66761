/**
 * The announcer side of negotiation: announces tasks (directly to a few capable agents, then on
 * the topics of their skills), collects offers until the bid window ends or the skills are
 * covered well, selects and invites a group (replacing decliners and silent invitees with
 * backups), starts the members, replaces members that go away, aggregates and verifies their
 * results, retries failed attempts with backoff, and dissolves the group.
 *
 * The parts, one job each, work on one shared context (context.ts) over the registry of live
 * tasks (session.ts): rounds.ts → offers.ts → formation.ts → execution.ts, verification.ts,
 * all applying events through lifecycle.ts. This class is the coordinator: the public methods,
 * the direct message types it answers, start and stop.
 */
import { LIMITS, createMessage, encodeMessage, newId } from '@swarm/protocol'
import { createTask, isFinal } from '../../core/task-machine.js'
import { SwarmError } from '../../errors.js'
import { TaskSpecSchema } from '../task-spec.js'
import { TaskHandle } from '../task-handle.js'
import { STOP_NOTICE_WAIT_MS, STOPPED_REASON } from './constants.js'
import { newStats } from './context.js'
import { onProgress, peerGone } from './execution.js'
import { onHandoff } from './handoff.js'
import { apply } from './lifecycle.js'
import { onOffer } from './offers.js'
import { AnnouncerQueue } from './queue.js'
import { firstAnnouncement, nextRound, publishAnnouncement, retry } from './rounds.js'
import { restoreSessions, resumeSessions } from './resume.js'
import { TaskSessions, newSession, requiredOf } from './session.js'
import { onDeadline, onResult, verify } from './verification.js'
import type { AnnouncerContext } from './context.js'
import type { Session } from './session.js'
import type { AnnouncerComponents, AnnouncerInit, AnnouncerStats } from './types.js'
import type { TaskState } from '../../core/task-machine.js'
import type { TimerHandle } from '../../ports/clock.js'
import type { DirectHandler } from '../../ports/messenger.js'
import type { TaskSpec, TaskSpecInput } from '../task-spec.js'
import type { PeerId, Startable } from '@libp2p/interface'
import type { Json, MessageOf } from '@swarm/protocol'

export type { AnnouncedTask, AnnouncerComponents, AnnouncerEvents, AnnouncerGroupHooks, AnnouncerInit, AnnouncerSettings, AnnouncerStats, GroupOutcome } from './types.js'

/** Validates what a user asked for; the error names every field that is wrong. */
function parseSpec (input: TaskSpecInput): TaskSpec {
  const parsed = TaskSpecSchema.safeParse(input)
  if (!parsed.success) {
    throw new SwarmError('CONFIG_INVALID', `invalid task: ${parsed.error.issues.map(i => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`)
  }
  return parsed.data
}

export class Announcer implements Startable {
  readonly #ctx: AnnouncerContext
  readonly #onOffer: DirectHandler<MessageOf<'SKILL_OFFER'>>
  readonly #onResult: DirectHandler<MessageOf<'TASK_COMPLETE'>>
  readonly #onUpdate: DirectHandler<MessageOf<'TASK_UPDATE'>>
  /** Tasks waiting for a busy agent (queue.ts), and the unsubscribe of the directory's capacity hook. */
  readonly #queue: AnnouncerQueue
  readonly #offCapacity: () => void
  /** Tasks restored at start, resumed once the node is up. */
  #restored: Session[] = []

  constructor (components: AnnouncerComponents, init: AnnouncerInit) {
    const ctx: AnnouncerContext = {
      ...components,
      network: init.network,
      self: init.self,
      selfId: init.self.toString(),
      settings: init.negotiation,
      sessions: new TaskSessions(components.clock, init.negotiation.retainFinished),
      stats: newStats(),
      notices: new Set(),
      flow: {
        verify: async session => { await verify(ctx, session) },
        retry: async session => { await retry(ctx, session) },
        nextRound: session => { nextRound(ctx, session) },
        queue: (session, reason) => { queue.enqueue(session, reason) },
        ended: session => { queue.ended(session) },
        capacityFreed: (peerId, why) => { queue.capacityFreed(peerId, why) },
        adoptQueued: session => { queue.adopt(session) }
      }
    }
    const queue = new AnnouncerQueue(ctx)
    this.#queue = queue
    this.#offCapacity = components.directory.onCapacityFreed?.(peerId => { queue.capacityFreed(peerId, 'its card shows a free slot') }) ?? (() => {})
    this.#ctx = ctx
    this.#onOffer = (message, from) => onOffer(ctx, message, from)
    this.#onResult = (message, from) => onResult(ctx, message, from)
    this.#onUpdate = (message, from) => {
      onProgress(ctx, message.body, from)
      return createMessage('ACK', { ref: message.id })
    }
    components.direct.handle('SKILL_OFFER', this.#onOffer)
    components.direct.handle('TASK_COMPLETE', this.#onResult)
    components.direct.handle('TASK_UPDATE', this.#onUpdate)
    components.direct.handle('HANDOFF', async (message, from) => await onHandoff(ctx, message, from))
  }

  /** Counters of what this announcer did. */
  get stats (): Readonly<AnnouncerStats> {
    return this.#ctx.stats
  }

  /** What was limited since the start: offers over their bidder's rate (`swarm_limited_total{kind}`). */
  limited (): Record<string, number> {
    return { offer: this.#ctx.offerLimiter?.limited ?? 0 }
  }

  /**
   * Takes up the tasks an earlier run of this node left unfinished (resume.ts), before the node
   * answers anyone: a member's result that arrives at once finds its task. Direct handlers are
   * registered at construction, group topics per task.
   */
  start (): void {
    this.#restored = restoreSessions(this.#ctx, taskId => this.#handle(taskId))
  }

  /** Once the node is up: the restored tasks go on from where they were. */
  afterStart (): void {
    const restored = this.#restored
    this.#restored = []
    if (restored.length > 0) void resumeSessions(this.#ctx, restored)
  }

  #handle (taskId: string): TaskHandle {
    return new TaskHandle(taskId, async reason => { await this.cancel(taskId, reason) })
  }

  /**
   * Cancels the tasks that are not final (their members are told to stop) and waits up to
   * `noticeWaitMs` for the notices to be delivered, so that members do not go on working for
   * an announcer that is gone.
   */
  async stop (noticeWaitMs = STOP_NOTICE_WAIT_MS): Promise<void> {
    const ctx = this.#ctx
    this.#offCapacity()
    this.#queue.stop()
    ctx.sessions.stop()
    for (const session of ctx.sessions.values()) {
      if (!isFinal(session.state.status, session.state.verify)) {
        try {
          apply(ctx, session, { type: 'cancel', at: ctx.clock.now(), reason: STOPPED_REASON })
        } catch { /* already final */ }
      }
      if (session.groupTopic !== undefined) ctx.gossip.unsubscribe(session.groupTopic)
    }
    if (ctx.notices.size === 0) return
    let timer: TimerHandle | undefined
    await Promise.race([
      Promise.allSettled([...ctx.notices]),
      new Promise<void>(resolve => { timer = ctx.clock.setTimeout(resolve, noticeWaitMs) })
    ])
    ctx.clock.clearTimeout(timer)
  }

  get (taskId: string): TaskHandle | undefined {
    return this.#ctx.sessions.get(taskId)?.handle
  }

  state (taskId: string): TaskState | undefined {
    return this.#ctx.sessions.get(taskId)?.state
  }

  /** Tasks that are not final yet. */
  active (): number {
    let n = 0
    for (const s of this.#ctx.sessions.values()) if (!isFinal(s.state.status, s.state.verify)) n++
    return n
  }

  /** Validates the spec, checks that someone can hear it, and announces it. */
  async announce (input: TaskSpecInput): Promise<TaskHandle> {
    const ctx = this.#ctx
    if (ctx.sessions.stopped) throw new SwarmError('NOT_STARTED', 'the node is stopped')
    const spec = parseSpec(input)
    const taskId = spec.taskId ?? newId()
    if (ctx.sessions.has(taskId)) throw new SwarmError('TASK_STATE', `task ${taskId} was already announced`)
    await ctx.ensureReachable(requiredOf(spec))

    const now = ctx.clock.now()
    const body = firstAnnouncement(ctx, spec, taskId, now)
    // Fail early (before anyone hears it) if the announcement would not fit on gossip.
    encodeMessage(createMessage('TASK_ANNOUNCE', body), LIMITS.maxGossipMessageBytes)

    const handle = this.#handle(taskId)
    const state = createTask({ taskId, maxAttempts: spec.maxAttempts, verify: spec.verify !== 'none', now })
    const session = newSession({ spec, state, handle, body, now })
    ctx.sessions.add(session)
    ctx.ledger.audit(taskId, 'task-created', { description: spec.description, skills: body.skills, priority: spec.priority, deadline: body.deadline, input: body.input.kind })
    ctx.sessions.timer(session, Math.max(0, body.deadline - now), () => { onDeadline(ctx, session) })
    apply(ctx, session, { type: 'announce', at: now, attempt: 1 })
    await publishAnnouncement(ctx, session)
    return handle
  }

  async cancel (taskId: string, reason: string): Promise<TaskState> {
    const session = this.#ctx.sessions.get(taskId)
    if (session === undefined) throw new SwarmError('TASK_NOT_FOUND', `no active task ${taskId} on this node`)
    if (isFinal(session.state.status, session.state.verify)) {
      throw new SwarmError('TASK_STATE', `task ${taskId} is already ${session.state.status}`)
    }
    apply(this.#ctx, session, { type: 'cancel', at: this.#ctx.clock.now(), reason })
    return session.state
  }

  /** The input of a task, for members that fetch it (and this node's own member). */
  inputFor (taskId: string, from: PeerId): Json | undefined {
    const session = this.#ctx.sessions.get(taskId)
    if (session === undefined) return undefined
    const peer = from.toString()
    if (!session.state.members.some(m => m.peerId === peer) && !from.equals(this.#ctx.self)) return undefined
    return session.inputValue ?? null
  }

  /** A peer disconnected: members with unfinished parts get replaced after a grace period. */
  peerGone (peerId: string, stillGone: () => boolean): void {
    peerGone(this.#ctx, peerId, stillGone)
  }

}

/** The announcer as a js-libp2p style service: `announcer(init)(components)`. */
export function announcer (init: AnnouncerInit): (components: AnnouncerComponents) => Announcer {
  return (components) => new Announcer(components, init)
}
