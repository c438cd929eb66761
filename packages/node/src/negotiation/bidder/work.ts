import { createMessage } from '@swarm/protocol'
import { runHandler } from '../../executor/run-handler.js'
import { PROGRESS_MESSAGE_MAX_CHARS, PROGRESS_MIN_INTERVAL_MS, RESULT_ATTEMPTS, RESULT_RETRY_BASE_MS, RESULT_TIMEOUT_MS } from './constants.js'
import { startHeartbeats } from './heartbeat.js'
import type { Heartbeats } from './heartbeat.js'
import type { HandlerOutcome, SkillHandler } from '../../executor/types.js'
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
 * result to the announcer. The slot is freed when the last part ended.
 */
export class Work {
  readonly #state: BidderState
  readonly #c: WorkComponents
  readonly #init: Pick<BidderInit, 'memberHeartbeatMs'>
  /** The heartbeats of each task being run, by task id. */
  readonly #beats = new Map<string, Heartbeats>()

  constructor (state: BidderState, components: WorkComponents, init: Pick<BidderInit, 'memberHeartbeatMs'>) {
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
    const beats = startHeartbeats({ messenger: this.#c.messenger, clock: this.#c.clock, announcer, taskId, groupId, skills: a.skills, intervalMs: this.#init.memberHeartbeatMs })
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

  /** One part: its handler's outcome goes to the statistics, the group, the audit and the announcer. */
  async #runPart (a: Assignment, start: BodyOf<'TASK_START'>, announcer: PeerId, skillName: string, input: FetchedInput, sendUpdate: UpdateSender): Promise<void> {
    const { taskId, groupId } = start
    const skill = this.#c.skills.get(skillName)
    let outcome: HandlerOutcome
    if (!input.ok) {
      outcome = { ok: false, error: { code: 'INPUT_FETCH_FAILED', message: input.error }, durationMs: 0 }
    } else if (skill?.handler === undefined) {
      outcome = { ok: false, error: { code: 'HANDLER_NOT_FOUND', message: `no handler for skill "${skillName}" on this node` }, durationMs: 0 }
    } else {
      outcome = await this.#runHandler(a, start, skillName, { handler: skill.handler, timeoutMs: skill.timeoutMs }, input.value, sendUpdate)
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
  }

  /** Runs a handler until it ends, the assignment is aborted, or its time (capped by the deadline) is up. */
  async #runHandler (a: Assignment, start: BodyOf<'TASK_START'>, skillName: string, skill: { handler: SkillHandler, timeoutMs: number }, input: Json, sendUpdate: UpdateSender): Promise<HandlerOutcome> {
    const { taskId, groupId } = start
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
      signal: a.abort.signal,
      ...(start.checkpoint !== undefined ? { checkpoint: start.checkpoint } : {}),
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
        sendUpdate(createMessage('TASK_UPDATE', { taskId, groupId, skill: skillName, progress: 0, message: 'checkpoint', checkpoint: state }))
      },
      log: this.#c.logger.child('handler', { taskId, skill: skillName }),
      ...this.#c.groups.handlerContext(taskId, groupId)
    }, timeoutMs)
  }

  /** Delivers a result, trying a few times: results are what the whole group worked for. */
  async #sendResult (announcer: PeerId, message: MessageOf<'TASK_COMPLETE'>): Promise<void> {
    const log = this.#c.logger
    for (let attempt = 1; attempt <= RESULT_ATTEMPTS; attempt++) {
      try {
        const reply = await this.#c.messenger.request(announcer, message, { timeoutMs: RESULT_TIMEOUT_MS })
        if (reply.type === 'ERROR') log.info('result refused by the announcer', { taskId: message.body.taskId, code: reply.body.code })
        return
      } catch (err) {
        log.warn('result not delivered, retrying', { taskId: message.body.taskId, attempt, err })
        await this.#c.clock.sleep(RESULT_RETRY_BASE_MS * 2 ** attempt)
        if (this.#state.stopped) return
      }
    }
  }
}
