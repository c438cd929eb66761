/**
 * Liveness of members. A closed connection is not the only way to lose a member: a process
 * stopped with SIGSTOP, or a peer that acknowledges its start and then says nothing, keeps its
 * connection open. So every started member is watched two ways:
 * - silence: members send a heartbeat (a TASK_UPDATE with message "heartbeat" and their
 *   progress) every `memberHeartbeatMs` while a part runs; any update from a member re-arms its
 *   timer, and one that stays silent for `memberMissedHeartbeats` beats is replaced;
 * - result due: a member must deliver within `memberResultShare` of the time that was left to
 *   the deadline when it started (a peer that beats but never delivers is replaced too), so a
 *   backup still has the rest of the time; without a backup it keeps its part (it may still
 *   deliver before the deadline).
 * The replacement itself (backups, checkpoint, no-show) is execution.ts's: it is handed in as
 * `replace`, which keeps this module free of an import cycle with it.
 */
import type { AnnouncerContext } from './context.js'
import type { Session } from './session.js'

/**
 * Hands the unfinished parts of a member to backups (execution.ts replaceMember); with
 * `onlyWithBackup`, a member whose parts could not all be taken over keeps them.
 */
export type ReplaceMember = (peerId: string, reason: string, options: { onlyWithBackup: boolean }) => void

/** The update text that marks a member's heartbeat, as members send it (no progress event for it). */
export { HEARTBEAT_MESSAGE } from '../bidder/heartbeat.js'

/** Whether `peerId` is still a member of the group `groupId` with a part it has not delivered. */
function owesWork (session: Session, groupId: string, peerId: string): boolean {
  if (session.groupId !== groupId) return false
  const status = session.state.status
  if (status !== 'RUNNING' && status !== 'ASSIGNED') return false
  const member = session.state.members.find(m => m.peerId === peerId)
  return member !== undefined && member.skills.some(skill => session.state.results[skill]?.[peerId] === undefined)
}

/** How long a member may stay silent before it is replaced. */
function silenceLimitMs (ctx: AnnouncerContext): number {
  return ctx.settings.memberHeartbeatMs * ctx.settings.memberMissedHeartbeats
}

/**
 * A member acknowledged its start: arms its silence timer and its result-due timer. This
 * node's own member is not watched for silence (it lives in this process).
 */
export function watchMember (ctx: AnnouncerContext, session: Session, peerId: string, replace: ReplaceMember): void {
  const groupId = session.groupId
  if (groupId === undefined) return
  armSilence(ctx, session, groupId, peerId, replace)
  // A share of 1 is the deadline itself, which fails the task anyway.
  if (ctx.settings.memberResultShare >= 1) return
  const dueInMs = Math.floor(ctx.settings.memberResultShare * Math.max(0, session.body.deadline - ctx.clock.now()))
  ctx.sessions.timer(session, dueInMs, () => {
    if (!owesWork(session, groupId, peerId)) return
    ctx.ledger.audit(session.state.taskId, 'member-overdue', { peerId, dueInMs })
    replace(peerId, `sent no result within ${dueInMs} ms (its share of the deadline)`, { onlyWithBackup: true })
  })
}

/** An update (heartbeat, progress or checkpoint) came from a member: its silence timer restarts. */
export function heardFrom (ctx: AnnouncerContext, session: Session, peerId: string, replace: ReplaceMember): void {
  const groupId = session.groupId
  if (groupId === undefined || !session.silence.has(peerId)) return
  armSilence(ctx, session, groupId, peerId, replace)
}

function armSilence (ctx: AnnouncerContext, session: Session, groupId: string, peerId: string, replace: ReplaceMember): void {
  if (peerId === ctx.selfId) return
  const previous = session.silence.get(peerId)
  if (previous !== undefined) ctx.sessions.clearTimer(session, previous)
  const limitMs = silenceLimitMs(ctx)
  const handle = ctx.sessions.timer(session, limitMs, () => {
    if (session.silence.get(peerId) === handle) session.silence.delete(peerId)
    if (!owesWork(session, groupId, peerId)) return
    const missed = ctx.settings.memberMissedHeartbeats
    ctx.ledger.audit(session.state.taskId, 'member-silent', { peerId, silentMs: limitMs, missedHeartbeats: missed })
    // Without a backup the silent member keeps its part: failing the attempt now would also shut
    // out a member that was only slow to beat (a stalled event loop), and the deadline decides.
    replace(peerId, `missed ${missed} heartbeats (silent for ${limitMs} ms)`, { onlyWithBackup: true })
  })
  session.silence.set(peerId, handle)
}
