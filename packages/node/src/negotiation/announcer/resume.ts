/**
 * Resuming after a restart. An announcer that was killed (kill -9, a crash, the machine going
 * down) left its unfinished tasks in the store; the next start takes them up again in two steps:
 * - {@link restoreSessions}, before the node answers anyone: every unfinished task becomes a
 *   session again (spec, state, the parts kept from earlier attempts, the peers excluded, the
 *   checkpoints), so that a member's result that arrives in the first instant is taken. A task
 *   whose deadline passed meanwhile fails with that reason.
 * - {@link resumeSessions}, once the node is up: a task that was still bidding is announced
 *   again; a task with a group rejoins its group topic and sends TASK_START again to every
 *   member that has not delivered (every member gets a new group key: GROUP_KEY). A member
 *   that still holds its part acknowledges (and delivers its result, which it kept while the
 *   announcer was away); one that lost it is replaced by a backup, or the attempt fails and the
 *   next attempt runs the missing parts only.
 * The audit trail of each task says what happened (`task-resumed`).
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { topics } from '@swarm/protocol'
import { z } from 'zod'
import { isFinal } from '../../core/task-machine.js'
import { TaskSpecSchema } from '../task-spec.js'
import { joinGroupTopic } from './formation.js'
import { replaceMember, rotateGroupKey, startMember, startMembers } from './execution.js'
import { apply } from './lifecycle.js'
import { firstAnnouncement, publishAnnouncement } from './rounds.js'
import { newSession, stillRequired } from './session.js'
import { onDeadline } from './verification.js'
import type { AnnouncerContext } from './context.js'
import type { Session } from './session.js'
import type { UnfinishedTask } from './types.js'
import type { TaskState } from '../../core/task-machine.js'
import type { TaskHandle } from '../task-handle.js'
import type { Json } from '@swarm/protocol'

/** Tries of TASK_START to each member of a resumed task, RESTART_RETRY_MS apart, before it is replaced. */
const RESTART_TRIES = 3
const RESTART_RETRY_MS = 1_000

/** What the announcer stores with a task besides its state, to resume it (session.ts resumeDataOf). */
const ResumeDataSchema = z.object({
  kept: z.object({
    members: z.array(z.object({ peerId: z.string(), skills: z.array(z.string()) })),
    results: z.record(z.string(), z.record(z.string(), z.looseObject({ ok: z.boolean(), durationMs: z.number() })))
  }),
  excluded: z.array(z.string()),
  addrs: z.record(z.string(), z.array(z.string())).default({})
})

/** The last checkpoint of each skill, as stored (skill → checkpoint). */
function checkpointsOf (stored: Json | undefined): Map<string, Json> {
  if (typeof stored !== 'object' || stored === null || Array.isArray(stored)) return new Map()
  return new Map(Object.entries(stored))
}

/** When the group of the current attempt formed and started, from the task's history. */
function timesOf (state: TaskState): { formedAt?: number, startedAt?: number, announcedAt: number } {
  const last = (to: string): number | undefined => state.history.findLast(h => h.to === to)?.at
  const formedAt = last('ASSIGNED')
  const startedAt = last('RUNNING')
  return { announcedAt: last('ANNOUNCED') ?? state.createdAt, ...(formedAt !== undefined ? { formedAt } : {}), ...(startedAt !== undefined ? { startedAt } : {}) }
}

/** One stored task as a live session again, or why it cannot be. */
function restoreOne (ctx: AnnouncerContext, stored: UnfinishedTask, handleFor: (taskId: string) => TaskHandle): Session | string {
  const spec = TaskSpecSchema.safeParse(stored.spec)
  if (!spec.success) return 'its stored spec cannot be read'
  const resume = stored.resume === undefined ? undefined : ResumeDataSchema.safeParse(stored.resume)
  if (resume?.success === false) return 'its stored resume data cannot be read'
  const state = stored.state
  const { taskId } = state
  const body = { ...firstAnnouncement(ctx, spec.data, taskId, state.createdAt), attempt: Math.max(1, state.attempt) }
  const times = timesOf(state)
  const session = newSession({ spec: spec.data, state, handle: handleFor(taskId), body, now: times.announcedAt })
  if (resume?.data !== undefined) {
    session.kept = resume.data.kept
    for (const peer of resume.data.excluded) session.excluded.add(peer)
    session.memberAddrs = resume.data.addrs
  }
  session.checkpoints = checkpointsOf(stored.checkpoint)
  // The parts this attempt runs: those no earlier attempt delivered (see stillRequired).
  if (Object.keys(session.kept.results).length > 0) session.body = { ...session.body, skills: stillRequired(session) }
  if (state.groupId !== undefined) {
    session.groupId = state.groupId
    session.groupTopic = topics.group(ctx.network, state.groupId)
  }
  if (times.formedAt !== undefined) {
    session.formedAt = times.formedAt
    session.formationMs = times.formedAt - times.announcedAt
  }
  if (times.startedAt !== undefined) session.startedAt = times.startedAt
  return session
}

/**
 * Takes up the tasks an earlier run of this node left unfinished, as sessions (no network yet:
 * see {@link resumeSessions}). Tasks past their deadline fail; tasks that cannot be read are
 * cancelled with the reason. Returns the sessions to resume.
 */
export function restoreSessions (ctx: AnnouncerContext, handleFor: (taskId: string) => TaskHandle): Session[] {
  const unreadable: Array<{ task: UnfinishedTask, reason: string }> = []
  const live: Session[] = []
  for (const stored of ctx.ledger.unfinished()) {
    if (ctx.sessions.has(stored.state.taskId)) continue
    const session = restoreOne(ctx, stored, handleFor)
    if (typeof session === 'string') {
      unreadable.push({ task: stored, reason: session })
      continue
    }
    ctx.sessions.add(session)
    const now = ctx.clock.now()
    ctx.ledger.audit(session.state.taskId, 'task-resumed', { status: session.state.status, attempt: session.state.attempt, ...(session.groupId !== undefined ? { groupId: session.groupId } : {}), deadlineInMs: session.body.deadline - now })
    if (session.body.deadline <= now) {
      onDeadline(ctx, session)
      continue
    }
    ctx.sessions.timer(session, session.body.deadline - now, () => { onDeadline(ctx, session) })
    live.push(session)
  }
  for (const { task, reason } of unreadable) ctx.ledger.abandon(task, `the announcer restarted and could not resume the task: ${reason}`)
  return live
}

/** Goes on with restored tasks, each from where it was (see the module comment). */
export async function resumeSessions (ctx: AnnouncerContext, sessions: Session[]): Promise<void> {
  await Promise.all(sessions.map(async session => {
    try {
      await resumeOne(ctx, session)
    } catch (err) {
      ctx.logger.error('task not resumed', { taskId: session.state.taskId, err })
    }
  }))
}

async function resumeOne (ctx: AnnouncerContext, session: Session): Promise<void> {
  const { state } = session
  if (isFinal(state.status, state.verify)) return
  switch (state.status) {
    case 'PENDING':
      apply(ctx, session, { type: 'announce', at: ctx.clock.now(), attempt: 1 })
      await publishAnnouncement(ctx, session)
      return
    case 'ANNOUNCED':
      // The offers were in memory only: the attempt is announced again, with a fresh bid window.
      await publishAnnouncement(ctx, session)
      return
    case 'RETRY':
      await ctx.flow.retry(session)
      return
    case 'QUEUED':
      // Waiting for a free agent: back in the queue, asked again as capacity frees (queue.ts).
      ctx.flow.adoptQueued(session)
      return
    default:
  }
  if (session.groupId === undefined) return
  joinGroupTopic(ctx, session, state.members)
  ctx.groups.formed({ taskId: state.taskId, groupId: session.groupId, members: state.members, resumed: true, deadline: session.body.deadline })
  if (state.status === 'ASSIGNED') {
    await startMembers(ctx, session, state.members)
    return
  }
  // The group's key was in memory only: every member gets a new one (those restarted below get
  // it in their TASK_START too), so that the group's topic can be read again.
  if (state.status === 'RUNNING' || state.status === 'COMPLETE') rotateGroupKey(ctx, session)
  if (state.status === 'RUNNING') {
    await restartMembers(ctx, session)
  } else if (state.status === 'COMPLETE') {
    await ctx.flow.verify(session)
  }
}

/**
 * TASK_START again to every member with a part it has not delivered: one that still holds the
 * part acknowledges (it goes on, or delivers the result it kept), one that lost it is replaced.
 */
async function restartMembers (ctx: AnnouncerContext, session: Session): Promise<void> {
  const { state } = session
  const owing = state.members.filter(m => m.skills.some(skill => state.results[skill]?.[m.peerId] === undefined))
  ctx.ledger.audit(state.taskId, 'members-restarted', { members: owing.map(m => m.peerId) })
  await Promise.all(owing.map(async m => {
    const skills = m.skills.filter(skill => state.results[skill]?.[m.peerId] === undefined)
    const addrs = session.memberAddrs?.[m.peerId] ?? []
    if (addrs.length > 0) await ctx.messenger.learnAddrs(peerIdFromString(m.peerId), addrs).catch(() => {})
    let held = false
    // A member may be unreachable for a moment (this node's connections are all new).
    for (let attempt = 1; attempt <= RESTART_TRIES && !held && session.state.status === 'RUNNING'; attempt++) {
      if (attempt > 1) await ctx.clock.sleep(RESTART_RETRY_MS)
      held = await startMember(ctx, session, m.peerId, skills)
    }
    if (!held && session.state.status === 'RUNNING') await replaceMember(ctx, session, m.peerId, 'no longer held its part after the announcer restarted')
  }))
}
