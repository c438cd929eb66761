import { LIMITS, createMessage } from '@swarm/protocol'
import { runHandler } from '../../executor/run-handler.js'
import { HANDED_OFF, HandlerError, isHandoff } from '../../executor/types.js'
import { ANNOUNCER_LOST_AFTER_BEATS, PROGRESS_MESSAGE_MAX_CHARS, PROGRESS_MIN_INTERVAL_MS } from './constants.js'
import { HANDOFF_TIMEOUT_MS, SHUTDOWN_REASON, requestHandoff } from './handoff.js'
import { deliverResult } from './deliver.js'
import { startHeartbeats } from './heartbeat.js'
import type { RunningPart } from './handoff.js'
import type { Heartbeats } from './heartbeat.js'
import type { HandlerOutcome, HandoffOutcome, HandoffRequest, SkillHandler } from '../../executor/types.js'
import type { TimerHandle } from '../../ports/clock.js'
import type { Assignment, BidderState } from './state.js'
import type { BidderComponents, BidderInit } from './types.js'
import type { PeerId } from '@libp2p/interface'
import type { BodyOf, Json, MessageOf } from '@swarm/protocol'

export type WorkComponents = Pick<BidderComponents, 'messenger' | 'clock' | 'skills' | 'fetchInput' | 'events' | 'audit' | 'onOutcome' | 'groups' | 'logger' | 'history'>

/** Sends a progress or checkpoint update of this member to the group's announcer. */
export type UpdateSender = (update: MessageOf<'TASK_UPDATE'>) => void

/** The task input, or why it could not be fetched (every part then fails with that). */
type FetchedInput = { ok: true, value: Json } | { ok: false, error: string }

/**
 * Running this member's parts of a started task: fetches the input, runs one handler per
 * assigned skill side by side (a handler that fails fails only its own part), reports progress
 * and checkpoints, sends heartbeats while parts run (heartbeat.ts), and delivers each part's
 * result to the announcer — or hands the part to a backup through the announcer, when its
 * handler asks (ctx.handoff) or the node drains (handoff.ts). The slot is freed when the last
 * part ended.
 */
export class Work {
  readonly #state: BidderState
  readonly #c: WorkComponents
  readonly #init: Pick<BidderInit, 'memberHeartbeatMs' | 'self'>
  /** The heartbeats of each task being run, by task id. */
  readonly #beats = new Map<string, Heartbeats>()
  /** The parts whose handlers run, by `taskId skill` (for drain). */
  readonly #running = new Map<string, RunningPart>()

  constructor (state: BidderState, components: WorkComponents, init: Pick<BidderInit, 'memberHeartbeatMs' | 'self'>) {
    this.#state = state
    this.#c = components
    this.#init = init
  }

  async run (a: Assignment, start: BodyOf<'TASK_START'>, announcer: PeerId, sendUpdate: UpdateSender): Promise<void> {
    const { taskId, groupId } = start
    this.#state.stats.tasksRun++
    this.#c.audit(taskId, 'work-started', { groupId, skills: a.skills })
    this.#c.events.emit('work:started', { taskId, groupId, skills: a.skills })
    this.#c.history.started({ taskId, groupId, skills: a.skills, members: start.members, at: this.#c.clock.now() })
    // Beats start before the input is fetched: a slow fetch is work too.
    const beats = startHeartbeats({
      messenger: this.#c.messenger, clock: this.#c.clock, announcer, taskId, groupId, skills: a.skills, intervalMs: this.#init.memberHeartbeatMs,
      lostAfter: ANNOUNCER_LOST_AFTER_BEATS,
      onAnnouncer: change => { this.#c.audit(taskId, change.lost ? 'announcer-lost' : 'announcer-back', { announcer: announcer.toString(), ...change }) }
    })
    this.#beats.set(taskId, beats)
    try {
      const input = await this.#fetchInput(announcer, start)
      await Promise.all(a.skills.map(async skill => { await this.#runPart(a, start, announcer, skill, input, sendUpdate) }))
    } finally {
      beats.stop()
      if (this.#beats.get(taskId) === beats) this.#beats.delete(taskId)
    }
    a.running = false
    this.#c.history.finished({ taskId, at: this.#c.clock.now() })
    this.#state.finishAssignment(taskId, a)
  }

  async #fetchInput (announcer: PeerId, start: BodyOf<'TASK_START'>): Promise<FetchedInput> {
    try {
      return { ok: true, value: await this.#c.fetchInput(announcer, start.taskId, start.input) }
    } catch (err) {
      return { ok: false, error: `could not fetch the task input: ${(err as Error).message}` }
    }
  }

  /** One part: its handler's outcome goes to the statistics, the group, the audit and the announcer — or, handed off, to a backup. */
  async #runPart (a: Assignment, start: BodyOf<'TASK_START'>, announcer: PeerId, skillName: string, input: FetchedInput, sendUpdate: UpdateSender): Promise<void> {
    const { taskId, groupId } = start
    const skill = this.#c.skills.get(skillName)
    let ended = (): void => {}
    const part: RunningPart = { taskId, groupId, skill: skillName, announcer, stop: new AbortController(), ended: new Promise(resolve => { ended = resolve }) }
    const key = `${taskId} ${skillName}`
    this.#running.set(key, part)
    try {
      let outcome: HandlerOutcome
      if (!input.ok) {
        outcome = { ok: false, error: { code: 'INPUT_FETCH_FAILED', message: input.error }, durationMs: 0 }
      } else if (skill?.handler === undefined) {
        outcome = { ok: false, error: { code: 'HANDLER_NOT_FOUND', message: `no handler for skill "${skillName}" on this node` }, durationMs: 0 }
      } else {
        outcome = await this.#runHandler(a, start, part, { handler: skill.handler, timeoutMs: skill.timeoutMs }, input.value, sendUpdate)
      }
      outcome = await this.#settleHandoff(a, part, outcome)
      if (isHandoff(outcome)) {
        this.#handedOff(a, part, outcome)
        return
      }
      this.#c.onOutcome(skillName, outcome)
      this.#c.groups.result(groupId, skillName, outcome.ok)
      a.finished.add(skillName)
      this.#c.audit(taskId, 'work-finished', { groupId, skill: skillName, ok: outcome.ok, durationMs: outcome.durationMs, ...(outcome.ok ? {} : { error: outcome.error }) })
      this.#c.events.emit('work:finished', { taskId, groupId, skill: skillName, ok: outcome.ok, durationMs: outcome.durationMs, ...(outcome.ok ? {} : { error: outcome.error }) })
      this.#c.history.partFinished({ taskId, groupId, skill: skillName, ok: outcome.ok, durationMs: outcome.durationMs, ...(outcome.ok ? {} : { error: outcome.error }), at: this.#c.clock.now() })
      // Cancelled (or this node stops): the announcer no longer waits for this part.
      if (a.abort.signal.aborted) return
      await this.#sendResult(announcer, createMessage('TASK_COMPLETE', {
        taskId,
        groupId,
        skill: skillName,
        ok: outcome.ok,
        durationMs: outcome.durationMs,
        ...(outcome.ok ? { output: outcome.output } : { error: outcome.error })
      }))
      // Beats for this part go on until its result is delivered: the member is alive meanwhile.
      this.#beats.get(taskId)?.done(skillName)
    } finally {
      if (this.#running.get(key) === part) this.#running.delete(key)
      ended()
    }
  }

  /**
   * A handler that asked to hand its part off, or a part the node drains: asks the announcer (or
   * takes the drain's answer). Accepted, the outcome is the handoff; refused, the part fails
   * (HANDLER_HANDOFF_REFUSED for the handler's own request; a drained part keeps the failure its
   * abort gave it) and its result goes to the announcer as usual. A result is never held back.
   */
  async #settleHandoff (a: Assignment, part: RunningPart, outcome: HandlerOutcome): Promise<HandlerOutcome> {
    if (outcome.ok || a.abort.signal.aborted) return outcome
    const own = isHandoff(outcome) ? outcome.handoff : undefined
    if (part.drain === undefined && own === undefined) return outcome
    const state = own?.state ?? part.checkpoint
    const request: HandoffRequest = { reason: part.drain !== undefined || own === undefined ? SHUTDOWN_REASON : own.reason, ...(state !== undefined ? { state } : {}) }
    const answer = await (part.drain ?? requestHandoff(this.#c.messenger, this.#init.self, part, request, HANDOFF_TIMEOUT_MS))
    if (answer.ok) {
      return { ok: false, error: { code: HANDED_OFF, message: `handed off${answer.to !== undefined ? ` to ${answer.to}` : ''}: ${request.reason}` }, handoff: { ...request, ...(answer.to !== undefined ? { to: answer.to } : {}) }, durationMs: outcome.durationMs }
    }
    this.#c.logger.info('handoff refused by the announcer', { taskId: part.taskId, skill: part.skill, why: answer.why })
    this.#c.audit(part.taskId, 'handoff-refused', { groupId: part.groupId, skill: part.skill, reason: request.reason, why: answer.why })
    if (own === undefined) return outcome
    const message = `handoff (${request.reason}) refused: ${answer.why}`.slice(0, LIMITS.maxDescriptionChars)
    return { ok: false, error: { code: 'HANDLER_HANDOFF_REFUSED', message }, durationMs: outcome.durationMs }
  }

  /** A part that moved to a backup: no result is sent; the audit, the events and the history say so. */
  #handedOff (a: Assignment, part: RunningPart, outcome: HandoffOutcome): void {
    const { taskId, groupId, skill } = part
    const { reason, to } = outcome.handoff
    a.finished.add(skill)
    this.#c.audit(taskId, 'work-handed-off', { groupId, skill, reason, ...(to !== undefined ? { to } : {}), durationMs: outcome.durationMs })
    this.#c.events.emit('work:handed-off', { taskId, groupId, skill, reason, ...(to !== undefined ? { to } : {}) })
    this.#c.events.emit('work:finished', { taskId, groupId, skill, ok: false, durationMs: outcome.durationMs, error: outcome.error })
    this.#c.history.partFinished({ taskId, groupId, skill, ok: false, durationMs: outcome.durationMs, error: outcome.error, handedOff: { reason, ...(to !== undefined ? { to } : {}) }, at: this.#c.clock.now() })
    this.#beats.get(taskId)?.done(skill)
  }

  /**
   * Graceful drain (the node stops): asks the announcer of every running part — of tasks this
   * node did not announce itself — to hand it to a backup ("shutting down", from the part's last
   * checkpoint), then stops its handler. A part whose handoff is refused fails (its result says
   * so, and the announcer retries). Resolves when every such part ended, or after `timeoutMs`.
   */
  async drain (timeoutMs: number): Promise<void> {
    const { clock } = this.#c
    const parts = [...this.#running.values()].filter(p => p.drain === undefined && !p.announcer.equals(this.#init.self))
    if (parts.length === 0 || timeoutMs <= 0) return
    const until = clock.now() + timeoutMs
    let timer: TimerHandle | undefined
    await Promise.race([
      Promise.all(parts.map(async part => { await this.#drainPart(part, until) })),
      new Promise<void>(resolve => { timer = clock.setTimeout(resolve, timeoutMs) })
    ])
    clock.clearTimeout(timer)
  }

  async #drainPart (part: RunningPart, until: number): Promise<void> {
    const request = { reason: SHUTDOWN_REASON, ...(part.checkpoint !== undefined ? { state: part.checkpoint } : {}) }
    part.drain = requestHandoff(this.#c.messenger, this.#init.self, part, request, Math.min(HANDOFF_TIMEOUT_MS, until - this.#c.clock.now()))
    const answer = await part.drain
    const why = answer.ok ? `handed off: ${SHUTDOWN_REASON}` : `${SHUTDOWN_REASON} (handoff refused: ${answer.why})`
    part.stop.abort(new HandlerError('HANDLER_ABORTED', `handler aborted: ${why}`.slice(0, LIMITS.maxDescriptionChars)))
    await part.ended
  }

  /** Runs a handler until it ends, the assignment is aborted, or its time (capped by the deadline) is up. */
  async #runHandler (a: Assignment, start: BodyOf<'TASK_START'>, part: RunningPart, skill: { handler: SkillHandler, timeoutMs: number }, input: Json, sendUpdate: UpdateSender): Promise<HandlerOutcome> {
    const { taskId, groupId } = start
    const skillName = part.skill
    const { clock, events } = this.#c
    const timeoutMs = Math.max(1, Math.min(skill.timeoutMs, start.deadline - clock.now()))
    let lastProgressAt = 0
    return await runHandler(skill.handler, input, {
      taskId,
      groupId,
      skill: skillName,
      description: start.description,
      members: start.members,
      deadline: start.deadline,
      attempt: a.announcement.body.attempt,
      signal: AbortSignal.any([a.abort.signal, part.stop.signal]),
      ...(start.checkpoint !== undefined ? { checkpoint: start.checkpoint } : {}),
      // The announcement carries the workflow tag (TASK_START does not repeat it).
      ...(a.announcement.body.workflow !== undefined ? { workflow: a.announcement.body.workflow } : {}),
      progress: (fraction, text) => {
        const now = clock.now()
        if (now - lastProgressAt < PROGRESS_MIN_INTERVAL_MS && fraction < 1) return
        lastProgressAt = now
        const progress = Math.min(1, Math.max(0, fraction))
        this.#beats.get(taskId)?.progress(skillName, progress)
        events.emit('work:progress', { taskId, skill: skillName, progress, ...(text !== undefined ? { message: text } : {}) })
        sendUpdate(createMessage('TASK_UPDATE', { taskId, groupId, skill: skillName, progress, ...(text !== undefined ? { message: text.slice(0, PROGRESS_MESSAGE_MAX_CHARS) } : {}) }))
      },
      saveCheckpoint: state => {
        part.checkpoint = state
        sendUpdate(createMessage('TASK_UPDATE', { taskId, groupId, skill: skillName, progress: 0, message: 'checkpoint', checkpoint: state }))
      },
      log: this.#c.logger.child('handler', { taskId, skill: skillName }),
      ...this.#c.groups.handlerContext(taskId, groupId)
    }, timeoutMs)
  }

  /** Delivers a result until the announcer takes it or the deadline passes (deliver.ts). */
  async #sendResult (announcer: PeerId, message: MessageOf<'TASK_COMPLETE'>): Promise<void> {
    const a = this.#state.assigned.get(message.body.taskId)
    const deadline = a?.announcement.body.deadline ?? this.#c.clock.now()
    await deliverResult({ messenger: this.#c.messenger, clock: this.#c.clock, logger: this.#c.logger, audit: this.#c.audit }, announcer, message, {
      deadline,
      abandoned: () => this.#state.stopped || a?.abort.signal.aborted === true
    })
  }
}
