/**
 * Handoff: a member passes one of its parts to another capable agent on its own initiative (its
 * handler called `ctx.handoff`, or its node is shutting down and drains its work). The member
 * sends HANDOFF direct to the announcer, which picks a backup from the offers left (like a
 * replacement, execution.ts), starts it with the state the member passed (else the part's last
 * checkpoint), records the reason, and answers: ACK (`data.to` names the backup) once the backup
 * acknowledged its start, or ERROR when no backup could take the part (the member keeps it).
 * A search that takes longer than {@link HANDOFF_ANSWER_MS} is answered ACK (`data.pending`)
 * and finished afterwards; should it then find no backup, the attempt fails (and is retried).
 * Unlike a replacement, a handoff costs the member no reputation: it is not a no-show.
 */
import { LIMITS, createMessage } from '@swarm/protocol'
import { delivered, replaceSkill, working } from './execution.js'
import { apply } from './lifecycle.js'
import type { AnnouncerContext } from './context.js'
import type { TimerHandle } from '../../ports/clock.js'
import type { Session } from './session.js'
import type { PeerId } from '@libp2p/interface'
import type { DirectErrorCode, MessageOf, SwarmMessage } from '@swarm/protocol'

/**
 * How long the announcer looks for a backup before it answers anyway (ACK `data.pending`): less
 * than the time a direct request may take (10 s), while a backup that does not answer its invite
 * and its start may take 8 s.
 */
export const HANDOFF_ANSWER_MS = 6_000

/** Handoffs being carried out, per session: `peerId skill` keys (a repeated request waits for nothing). */
const inProgress = new WeakMap<Session, Set<string>>()

/** Whether `peerId` is assigned `skill` in the current group of the session. */
function assigned (session: Session, peerId: string, skill: string): boolean {
  return session.state.members.some(m => m.peerId === peerId && m.skills.includes(skill))
}

/**
 * Answers a member's HANDOFF (see the module comment). Refused with ERROR `UNKNOWN_TASK` (no
 * such task here, another group, or the task is not at work any more), `NOT_A_MEMBER` (the
 * sender is not `from`, or not assigned that skill, or delivered it already) or `NO_CAPACITY`
 * (no backup could take the part: every offer left declined, did not answer, or there is none).
 */
export async function onHandoff (ctx: AnnouncerContext, message: MessageOf<'HANDOFF'>, from: PeerId): Promise<SwarmMessage> {
  const { taskId, groupId, skill, reason, checkpoint } = message.body
  const peerId = from.toString()
  const refuse = (code: DirectErrorCode, text: string): SwarmMessage => createMessage('ERROR', { ref: message.id, code, message: text })
  if (message.body.from !== peerId) return refuse('NOT_A_MEMBER', 'a member hands off only its own parts')
  const session = ctx.sessions.get(taskId)
  if (session === undefined || session.groupId !== groupId) return refuse('UNKNOWN_TASK', `no group ${groupId} of task ${taskId} here`)
  if (!working(session)) return refuse('UNKNOWN_TASK', `task ${taskId} is ${session.state.status}: nothing to hand off`)
  if (!assigned(session, peerId, skill) || delivered(session, skill, peerId)) return refuse('NOT_A_MEMBER', `not assigned an unfinished part "${skill}" in group ${groupId}`)

  const key = `${peerId} ${skill}`
  const running = inProgress.get(session) ?? new Set<string>()
  inProgress.set(session, running)
  if (running.has(key)) return refuse('NO_CAPACITY', 'this handoff is already being carried out')
  running.add(key)
  ctx.ledger.audit(taskId, 'handoff-requested', { skill, from: peerId, reason, ...(checkpoint !== undefined ? { checkpoint: true } : {}) })
  if (checkpoint !== undefined) {
    session.checkpoints.set(skill, checkpoint)
    ctx.ledger.saveCheckpoint(taskId, Object.fromEntries(session.checkpoints))
  }
  // Not this peer again for this task: it gave the part up.
  const wasExcluded = session.excluded.has(peerId)
  session.excluded.add(peerId)
  const moving = replaceSkill(ctx, session, peerId, skill, `handoff: ${reason}`.slice(0, LIMITS.maxShortTextChars), 'member-handoff')
    .finally(() => { running.delete(key) })
  let answeredPending = false
  let timer: TimerHandle | undefined
  // Long searches (backups that do not answer) are finished after the answer, within the time a
  // direct request may take: the member is then told the part is being moved.
  const late = new Promise<'late'>(resolve => { timer = ctx.clock.setTimeout(() => { resolve('late') }, HANDOFF_ANSWER_MS) })
  void moving.then(result => {
    if (!answeredPending || result.kind !== 'no-backup' || !working(session)) return
    // The member was told the part is being moved and ended it: the attempt fails as when a
    // gone member has no backup.
    apply(ctx, session, { type: 'fail', at: ctx.clock.now(), reason: `member ${peerId} handed off "${skill}" (${reason}) and no backup could take it over` })
  }, (err: unknown) => { ctx.logger.warn('handoff failed', { taskId, skill, err }) })
  const result = await Promise.race([moving, late])
  ctx.clock.clearTimeout(timer)
  if (result === 'late') {
    answeredPending = true
    return createMessage('ACK', { ref: message.id, data: { pending: true } })
  }
  if (result.kind === 'replaced') return createMessage('ACK', { ref: message.id, ...(result.to !== undefined ? { data: { to: result.to } } : {}) })
  if (result.kind === 'task-moved-on') return refuse('UNKNOWN_TASK', `task ${taskId} is ${session.state.status}: nothing to hand off`)
  // The member keeps its part (and may still deliver or fail it): it may be chosen again.
  if (!wasExcluded) session.excluded.delete(peerId)
  ctx.ledger.audit(taskId, 'handoff-refused', { skill, from: peerId, reason: 'no backup could take over the part' })
  return refuse('NO_CAPACITY', `no backup could take over "${skill}"`)
}
