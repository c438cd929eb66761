import { peerIdFromString } from '@libp2p/peer-id'
import { createMessage } from '@swarm/protocol'
import type { AnnouncerContext } from './context.js'
import type { Session } from './session.js'

/** An invitee's answer: it joined, or why not (`noShow`: it did not answer at all). */
export type InviteResult = { ok: true } | { ok: false, reason: string, noShow: boolean }

/**
 * Invites one peer into the group for some skills and waits for its answer (at most
 * `inviteTimeoutMs`). Used when forming a group and when replacing a member.
 */
export async function invite (ctx: AnnouncerContext, session: Session, groupId: string, peerId: string, skills: string[]): Promise<InviteResult> {
  const { taskId } = session.state
  const timeoutMs = ctx.settings.inviteTimeoutMs
  ctx.ledger.audit(taskId, 'invite-sent', { peerId, skills, groupId })
  try {
    const reply = await ctx.messenger.request(peerIdFromString(peerId), createMessage('GROUP_INVITE', {
      taskId, attempt: session.state.attempt, groupId, skills, answerBy: ctx.clock.now() + timeoutMs
    }), { timeoutMs })
    if (reply.type === 'GROUP_ACCEPT' && reply.body.groupId === groupId) {
      ctx.ledger.audit(taskId, 'invite-accepted', { peerId, skills })
      return { ok: true }
    }
    const reason = reply.type === 'GROUP_REJECT' ? reply.body.reason : reply.type === 'ERROR' ? reply.body.message : `unexpected ${reply.type}`
    ctx.ledger.audit(taskId, 'invite-declined', { peerId, reason })
    return { ok: false, reason, noShow: false }
  } catch (err) {
    const reason = `no answer: ${(err as Error).message}`
    ctx.ledger.audit(taskId, 'invite-unanswered', { peerId, reason })
    return { ok: false, reason, noShow: true }
  }
}
