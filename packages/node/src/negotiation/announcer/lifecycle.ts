/**
 * A task's state machine applied: every event goes through {@link apply}, which persists, audits
 * and reacts to the new status (retry with backoff, verification, the end of the task with its
 * notices to members and bidders, the group dissolved).
 */
import { LIMITS, createMessage } from '@swarm/protocol'
import { InvalidTransitionError, isFinal, reduceTask, retryDelayMs } from '../../core/task-machine.js'
import { MAX_ATTEMPTED_RESOLUTIONS } from './constants.js'
import { emitEvent, notify } from './context.js'
import { outcomeOf } from './outcome.js'
import { keepDeliveredParts, resumeDataOf } from './session.js'
import type { AnnouncerContext } from './context.js'
import type { Session } from './session.js'
import type { TaskEvent } from '../../core/task-machine.js'
import type { TaskOutcome } from '../task-handle.js'

/** What a restart needs of the session besides its state (see resume.ts). */
function resumeOf (ctx: AnnouncerContext, session: Session): ReturnType<typeof resumeDataOf> {
  return resumeDataOf(session, peer => ctx.directory.addrsOf(peer), LIMITS.maxAddrs)
}

/** Why a group dissolves, as DISSOLVE says. */
type DissolveReason = 'completed' | 'verified' | 'failed' | 'cancelled' | 'deadline'

/**
 * Applies an event to a task's state machine, persists, audits and reacts to final states. An
 * event the machine refuses (a race between a network event and a decision taken across an
 * await) is logged and changes nothing: one task's bookkeeping must never bring the node down.
 * Returns whether it was applied.
 */
export function apply (ctx: AnnouncerContext, session: Session, event: TaskEvent): boolean {
  const before = session.state
  try {
    session.state = reduceTask(before, event)
  } catch (err) {
    if (!(err instanceof InvalidTransitionError)) throw err
    ctx.stats.invalidTransitions++
    ctx.logger.error('task event refused by the state machine', { taskId: before.taskId, status: before.status, event: event.type, err: err.message })
    return false
  }
  const after = session.state
  if (before.status !== after.status) {
    ctx.ledger.audit(after.taskId, `state:${before.status}->${after.status}`, { event: event.type, ...(after.reason !== undefined ? { reason: after.reason } : {}) })
    emitEvent(ctx, { type: 'state', taskId: after.taskId, at: event.at, from: before.status, to: after.status, ...(after.reason !== undefined ? { reason: after.reason } : {}) })
  }
  const final = isFinal(after.status, after.verify)
  const outcome = final ? outcomeOf(session, ctx.clock.now()) : undefined
  ctx.ledger.save({ spec: session.spec, state: after, ...(outcome !== undefined ? { outcome } : { resume: resumeOf(ctx, session) }) })
  if (before.status !== after.status) onStatus(ctx, session, outcome)
  return true
}

/** What follows a new status (`outcome` is set when the status is final). */
function onStatus (ctx: AnnouncerContext, session: Session, outcome: TaskOutcome | undefined): void {
  const { state } = session
  const at = ctx.clock.now()
  const reason = state.reason
  const ended = (): TaskOutcome => outcome ?? outcomeOf(session, at)
  switch (state.status) {
    case 'COMPLETE':
    case 'VERIFIED':
      if (outcome === undefined) {
        // COMPLETE awaiting the group's verification.
        void ctx.flow.verify(session)
        return
      }
      if (state.status === 'VERIFIED') ctx.stats.verified++
      ctx.stats.completed++
      for (const m of state.members) ctx.reputation.record(m.peerId, 'success')
      finish(ctx, session, state.status === 'VERIFIED' ? 'verified' : 'completed')
      emitEvent(ctx, { type: 'completed', taskId: state.taskId, at, outcome })
      break
    case 'REJECTED':
      ctx.stats.rejected++
      releaseBidders(ctx, session, reason ?? 'rejected')
      finish(ctx, session, 'failed')
      emitEvent(ctx, { type: 'rejected', taskId: state.taskId, at, outcome: ended() })
      break
    case 'ESCALATED':
      ctx.stats.escalated++
      finish(ctx, session, 'failed')
      emitEvent(ctx, { type: 'failed', taskId: state.taskId, at, outcome: ended() })
      break
    case 'FAILED':
      onFailed(ctx, session)
      emitEvent(ctx, { type: 'failed', taskId: state.taskId, at, outcome: ended() })
      break
    case 'CANCELLED':
      ctx.stats.cancelled++
      cancelMembers(ctx, session, reason ?? 'cancelled')
      releaseBidders(ctx, session, reason ?? 'cancelled')
      finish(ctx, session, 'cancelled')
      emitEvent(ctx, { type: 'cancelled', taskId: state.taskId, at, outcome: ended() })
      break
    case 'RETRY':
      scheduleRetry(ctx, session, at)
      break
    default:
  }
}

/**
 * The task failed for good: a task that failed all its attempts (not its deadline) is escalated
 * to a human; members that failed lose reputation; everyone still holding capacity is told.
 */
function onFailed (ctx: AnnouncerContext, session: Session): void {
  const { state } = session
  ctx.stats.failed++
  if (state.maxAttempts > 1 && state.attempt >= state.maxAttempts && state.reason !== 'deadline passed') {
    ctx.groups.escalate({
      taskId: state.taskId,
      ...(session.groupId !== undefined ? { groupId: session.groupId } : {}),
      issue: `task failed all ${state.attempt} attempts: ${state.reason ?? 'failed'}`.slice(0, LIMITS.maxDescriptionChars),
      attemptedResolutions: state.history.filter(h => h.to === 'RETRY').map(h => `retried after: ${h.reason ?? 'a failure'}`.slice(0, LIMITS.maxDescriptionChars)).slice(0, MAX_ATTEMPTED_RESOLUTIONS),
      context: { description: session.spec.description, attempts: state.attempt }
    })
  }
  penaliseFailures(ctx, session)
  cancelMembers(ctx, session, state.reason ?? 'failed')
  releaseBidders(ctx, session, state.reason ?? 'failed')
  finish(ctx, session, state.reason === 'deadline passed' ? 'deadline' : 'failed')
}

/** The attempt failed with attempts left: its group goes, and the next attempt waits a backoff. */
function scheduleRetry (ctx: AnnouncerContext, session: Session, at: number): void {
  const { state } = session
  penaliseFailures(ctx, session)
  keepDeliveredParts(session)
  if (session.kept.members.length > 0) {
    ctx.ledger.audit(state.taskId, 'parts-kept', { skills: Object.keys(session.kept.results) })
    // Stored at once: a restart during the backoff must not run the kept parts again.
    ctx.ledger.save({ spec: session.spec, state, resume: resumeOf(ctx, session) })
  }
  cancelMembers(ctx, session, 'retrying')
  releaseBidders(ctx, session, 'retrying')
  dissolve(ctx, session, 'failed')
  ctx.stats.retries++
  const delayMs = retryDelayMs(state.attempt, {}, Math.random())
  ctx.ledger.audit(state.taskId, 'retry-scheduled', { attempt: state.attempt + 1, delayMs, reason: state.reason ?? '' })
  emitEvent(ctx, { type: 'retry', taskId: state.taskId, at, attempt: state.attempt + 1, delayMs, reason: state.reason ?? '' })
  ctx.sessions.timer(session, delayMs, () => { void ctx.flow.retry(session) })
}

/** Members whose result failed are not chosen again in this task and lose reputation. */
function penaliseFailures (ctx: AnnouncerContext, session: Session): void {
  for (const [skill, byPeer] of Object.entries(session.state.results)) {
    for (const [peerId, result] of Object.entries(byPeer)) {
      if (!result.ok) {
        session.excluded.add(peerId)
        ctx.reputation.record(peerId, 'failure')
        ctx.ledger.audit(session.state.taskId, 'member-failed', { skill, peerId, error: result.error ?? null })
      }
    }
  }
}

/** The task is final: its timers stop, its group dissolves, and it is retired from memory. */
function finish (ctx: AnnouncerContext, session: Session, reason: DissolveReason): void {
  ctx.sessions.clearTimers(session)
  session.biddingOpen = false
  dissolve(ctx, session, reason)
  ctx.sessions.retire(session.state.taskId)
}

/** Tells the group it dissolves (on its topic, which this node then leaves). */
function dissolve (ctx: AnnouncerContext, session: Session, reason: DissolveReason): void {
  const { groupId, groupTopic } = session
  if (groupId === undefined || groupTopic === undefined) return
  ctx.groups.dissolved(session.state.taskId, groupId)
  ctx.gossip.publish(groupTopic, createMessage('DISSOLVE', { taskId: session.state.taskId, groupId, reason }))
    .catch(() => {})
    .finally(() => { ctx.gossip.unsubscribe(groupTopic) })
  ctx.ledger.audit(session.state.taskId, 'group-dissolved', { groupId, reason })
  delete session.groupId
  delete session.groupTopic
}

/** Tells members of the current group to stop (their capacity is freed). */
function cancelMembers (ctx: AnnouncerContext, session: Session, reason: string): void {
  const { taskId } = session.state
  for (const m of session.state.members) {
    const done = m.skills.every(skill => session.state.results[skill]?.[m.peerId] !== undefined)
    if (done) continue
    notify(ctx, m.peerId, createMessage('TASK_CANCEL', { taskId, ...(session.groupId !== undefined ? { groupId: session.groupId } : {}), reason: reason.slice(0, LIMITS.maxShortTextChars) }))
  }
}

/** Tells bidders that were not chosen (or all, when the task ends) to release their leases. */
function releaseBidders (ctx: AnnouncerContext, session: Session, reason: string): void {
  const members = new Set(session.state.members.map(m => m.peerId))
  for (const peerId of session.bidders) {
    if (members.has(peerId)) continue
    notify(ctx, peerId, createMessage('TASK_CANCEL', { taskId: session.state.taskId, reason: reason.slice(0, LIMITS.maxShortTextChars) }))
  }
  session.bidders.clear()
}
