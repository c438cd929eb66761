/**
 * Results and their verdict: members' results, the group's vote on the aggregated result, and
 * the deadline that fails a task still open.
 */
import { createMessage } from '@swarm/protocol'
import { InvalidTransitionError, isFinal } from '../../core/task-machine.js'
import { MIN_VERIFY_TIMEOUT_MS } from './constants.js'
import { emitEvent } from './context.js'
import { apply } from './lifecycle.js'
import type { AnnouncerContext } from './context.js'
import type { Session } from './session.js'
import type { GroupOutcome } from './types.js'
import type { PeerId } from '@libp2p/interface'
import type { Json, MessageOf, SwarmMessage } from '@swarm/protocol'

/** A member's result for one skill: taken while RUNNING, from the member assigned that skill. */
export function onResult (ctx: AnnouncerContext, message: MessageOf<'TASK_COMPLETE'>, from: PeerId): SwarmMessage {
  const r = message.body
  const session = ctx.sessions.get(r.taskId)
  const ack = createMessage('ACK', { ref: message.id })
  if (session === undefined) return createMessage('ERROR', { ref: message.id, code: 'UNKNOWN_TASK', message: 'no such task here' })
  const peerId = from.toString()
  if (session.groupId !== r.groupId || session.state.status !== 'RUNNING') return ack
  if (!session.state.members.some(m => m.peerId === peerId && m.skills.includes(r.skill))) {
    return createMessage('ERROR', { ref: message.id, code: 'NOT_A_MEMBER', message: `you are not assigned "${r.skill}" in this group` })
  }
  if (session.state.results[r.skill]?.[peerId] !== undefined) return ack
  const result = { ok: r.ok, durationMs: r.durationMs, ...(r.output !== undefined ? { output: r.output } : {}), ...(r.error !== undefined ? { error: r.error } : {}) }
  ctx.ledger.audit(r.taskId, 'member-result', { peerId, skill: r.skill, ok: r.ok, durationMs: r.durationMs, ...(r.error !== undefined ? { error: r.error } : {}) })
  emitEvent(ctx, { type: 'member-result', taskId: r.taskId, at: ctx.clock.now(), peerId, skill: r.skill, ok: r.ok, durationMs: r.durationMs, ...(r.error !== undefined ? { error: r.error } : {}) })
  try {
    apply(ctx, session, { type: 'member-result', at: ctx.clock.now(), peerId, skill: r.skill, result })
  } catch (err) {
    if (!(err instanceof InvalidTransitionError)) throw err
  }
  return ack
}

/**
 * Before COMPLETE becomes final, the group votes on the aggregated result: approved → VERIFIED,
 * rejected → RETRY (or FAILED with no attempt left), no quorum → ESCALATED (the group layer
 * has raised an escalation for a human).
 */
export async function verify (ctx: AnnouncerContext, session: Session): Promise<void> {
  const { taskId, attempt } = session.state
  const groupId = session.groupId
  const policy = session.spec.verify
  if (groupId === undefined || policy === 'none') {
    apply(ctx, session, { type: 'verified', at: ctx.clock.now(), approved: true, reason: 'no working group to verify with' })
    return
  }
  const timeoutMs = Math.max(MIN_VERIFY_TIMEOUT_MS, Math.min(ctx.settings.verifyTimeoutMs, session.body.deadline - ctx.clock.now()))
  ctx.ledger.audit(taskId, 'verification-requested', { groupId, policy, timeoutMs })
  let decision: { outcome: GroupOutcome, proposalId?: string }
  try {
    decision = await ctx.groups.verify({ taskId, groupId, attempt, policy, timeoutMs, results: resultsToVerify(session) })
  } catch (err) {
    ctx.logger.warn('verification could not be asked', { taskId, err })
    decision = { outcome: 'no-quorum' }
  }
  if (session.state.status !== 'COMPLETE' || session.state.attempt !== attempt) return
  ctx.ledger.audit(taskId, 'verification-decided', { outcome: decision.outcome, ...(decision.proposalId !== undefined ? { proposalId: decision.proposalId } : {}) })
  const at = ctx.clock.now()
  if (decision.outcome === 'approved') apply(ctx, session, { type: 'verified', at, approved: true, reason: `the group approved the result (${policy})` })
  else if (decision.outcome === 'rejected') apply(ctx, session, { type: 'verified', at, approved: false, reason: `the group rejected the result (${policy})` })
  else apply(ctx, session, { type: 'escalate', at, reason: `the group could not verify the result (no quorum under ${policy}): escalated to a human` })
}

/** Characters of one part's result shown to the voters, and parts shown at most (a proposal is one gossip message). */
const VERIFY_PART_CHARS = 4_000
const VERIFY_PARTS = 12

/**
 * The results the group votes on, as the members' deciders see them (a model asked to judge
 * them): per skill, each part's `text` (an llm part's answer) or its JSON, cut to a few KiB.
 */
function resultsToVerify (session: Session): Json {
  const out: Record<string, Json> = {}
  let parts = 0
  for (const [skill, byPeer] of Object.entries(session.state.results)) {
    const list: Json[] = []
    for (const [peerId, r] of Object.entries(byPeer)) {
      if (parts++ >= VERIFY_PARTS) break
      const output = r.output
      const text = typeof output === 'object' && output !== null && !Array.isArray(output) && typeof output.text === 'string' ? output.text : JSON.stringify(output ?? null)
      list.push({ peerId, ok: r.ok, text: text.slice(0, VERIFY_PART_CHARS) })
    }
    out[skill] = list
  }
  return out
}

/** The deadline of a task passed: one still open fails (no retry). */
export function onDeadline (ctx: AnnouncerContext, session: Session): void {
  if (isFinal(session.state.status, session.state.verify)) return
  apply(ctx, session, { type: 'deadline', at: ctx.clock.now() })
}
