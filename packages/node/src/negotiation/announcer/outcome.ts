import { aggregateResults } from '../../core/aggregate.js'
import type { Session } from './session.js'
import type { TaskOutcome } from '../task-handle.js'

/**
 * How a task ended, as its handle, its events and the store report it: the aggregated output
 * of its members (when it succeeded; parts kept from earlier attempts included), each member's part, and the timings of the attempt that
 * formed the group. Pure.
 */
export function outcomeOf (session: Session, now: number): TaskOutcome {
  const { state, kept } = session
  // Parts kept from earlier attempts count with those of the last group.
  const members = [...kept.members, ...state.members]
  // A cancelled task's unfinished parts were stopped, not failed: no NO_RESULT error for them.
  const stopped = state.status === 'CANCELLED' ? state.reason ?? 'the task was cancelled' : undefined
  const agg = members.length > 0 ? aggregateResults(members, { ...state.results, ...kept.results }, stopped) : undefined
  const ok = state.status === 'COMPLETE' || state.status === 'VERIFIED'
  return {
    taskId: state.taskId,
    status: state.status,
    ok,
    ...(agg !== undefined && ok ? { output: agg.outputs } : {}),
    ...(agg !== undefined ? { bySkill: agg.bySkill, errors: agg.errors } : {}),
    ...(state.reason !== undefined ? { reason: state.reason } : {}),
    attempts: state.attempt,
    ...(session.groupId !== undefined ? { groupId: session.groupId, members: state.members } : {}),
    timings: {
      createdAt: state.createdAt,
      announcedAt: session.announcedAt,
      ...(session.formedAt !== undefined ? { formedAt: session.formedAt, formationMs: session.formationMs } : {}),
      ...(session.startedAt !== undefined ? { startedAt: session.startedAt } : {}),
      finishedAt: now,
      totalMs: now - state.createdAt
    }
  }
}
