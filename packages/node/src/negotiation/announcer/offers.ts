/**
 * Offers and the bid window: taking offers, closing bidding early once the skills are covered
 * well enough (or at the end of the window), and selecting the group that is invited.
 */
import { createMessage, levelRank } from '@swarm/protocol'
import { coveredWell, selectGroup } from '../../core/selection.js'
import { SELECTION_BACKUPS_PER_SKILL } from './constants.js'
import { emitEvent } from './context.js'
import { formGroup } from './formation.js'
import { decodeSignature, offerSigningBytes } from '../../core/signed-offer.js'
import { apply } from './lifecycle.js'
import { candidatesOf } from './session.js'
import type { AnnouncerContext } from './context.js'
import type { Session } from './session.js'
import type { GroupNotSelected } from '../../core/selection.js'
import type { PeerId } from '@libp2p/interface'
import type { DirectErrorCode, MessageOf, SwarmMessage } from '@swarm/protocol'

/**
 * Runs `fn` once the I/O already queued was read. After the event loop was stuck (a long GC
 * pause on a busy host), expired timers run before the sockets are read, and the offers that
 * arrived in time would be missed, turning one stall into a round of failed tasks.
 */
export function afterQueuedIo (fn: () => void): void {
  setImmediate(fn)
}

/** How long before the first lease among the offers ends bidding closes (the invites need time to arrive). */
const LEASE_CLOSE_MARGIN_MS = 1_000

/** The earliest close armed for a session's attempt because of a lease (see closeBeforeLease). */
const leaseCloses = new WeakMap<Session, { attempt: number, at: number }>()

/**
 * An offer (direct, or as the answer to a direct announcement): recorded, or refused with why.
 * Its signature must be the bidder's, for this task and this announcer (BAD_SIGNATURE, a severe
 * penalty, otherwise): the signed offer is kept for the award (formation.ts).
 */
export async function onOffer (ctx: AnnouncerContext, message: MessageOf<'SKILL_OFFER'>, from: PeerId): Promise<SwarmMessage> {
  const offer = message.body
  const refuse = (code: DirectErrorCode, text: string): SwarmMessage => createMessage('ERROR', { ref: message.id, code, message: text })
  if (ctx.offerLimiter !== undefined && !ctx.offerLimiter.allow(from.toString(), ctx.clock.now())) {
    ctx.logger.debug('offer over its bidder\'s rate, refused', { taskId: offer.taskId, peerId: from.toString() })
    return refuse('RATE_LIMITED', 'too many offers from this bidder')
  }
  const closed = refusal(ctx, message, from)
  if (closed !== undefined) return closed
  if (!await ctx.signer.verify(from.toString(), offerSigningBytes(ctx.selfId, offer), decodeSignature(offer.signature))) {
    ctx.logger.debug('offer with a bad signature, refused', { taskId: offer.taskId, peerId: from.toString() })
    return refuse('BAD_SIGNATURE', 'the offer\'s signature does not verify for this task, this announcer and its sender')
  }
  // Bidding may have closed while the signature was checked.
  return refusal(ctx, message, from) ?? record(ctx, message, from)
}

/** Why an offer cannot be taken now (unknown task, queued, bidding closed, no match), if so. */
function refusal (ctx: AnnouncerContext, message: MessageOf<'SKILL_OFFER'>, from: PeerId): SwarmMessage | undefined {
  const offer = message.body
  const session = ctx.sessions.get(offer.taskId)
  const refuse = (code: DirectErrorCode, text: string): SwarmMessage => createMessage('ERROR', { ref: message.id, code, message: text })
  if (session === undefined) return refuse('UNKNOWN_TASK', 'no such task here')
  if (session.state.status === 'QUEUED' && offer.attempt === session.state.attempt) {
    // A busy agent freed a slot and offers on an earlier ask: refused (it releases its
    // reservation), and the most urgent queued task it can take is asked again at once.
    ctx.flow.capacityFreed(from.toString(), 'it offered on a queued task')
    return refuse('BIDDING_CLOSED', 'the task is queued: it is asked again')
  }
  if (session.state.status !== 'ANNOUNCED' || !session.biddingOpen || offer.attempt !== session.state.attempt) {
    return refuse('BIDDING_CLOSED', 'bidding on this task is closed')
  }
  if (!offer.skills.some(s => session.body.skills.some(r => r.name === s.name))) return refuse('NO_MATCH', 'the offer covers none of the required skills')
  return undefined
}

/** Records an offer that may be taken (see {@link refusal}), with its signed body. */
function record (ctx: AnnouncerContext, message: MessageOf<'SKILL_OFFER'>, from: PeerId): SwarmMessage {
  const offer = message.body
  const session = ctx.sessions.get(offer.taskId)
  if (session === undefined) return createMessage('ERROR', { ref: message.id, code: 'UNKNOWN_TASK', message: 'no such task here' })
  const peerId = from.toString()
  const skills = offer.skills.filter(s => session.body.skills.some(r => r.name === s.name))
  ctx.stats.offersReceived++
  session.bidders.add(peerId)
  session.offers.set(peerId, {
    candidate: { peerId, skills, load: offer.load, capacity: offer.capacity, reputation: ctx.reputation.of(peerId), observed: ctx.reputation.observed(peerId), estimateMs: offer.estimateMs },
    at: ctx.clock.now(),
    signed: offer
  })
  ctx.ledger.audit(offer.taskId, 'offer-received', { peerId, skills: skills.map(s => `${s.name}:${s.level}`), score: offer.score, load: offer.load, capacity: offer.capacity })
  emitEvent(ctx, { type: 'offer', taskId: offer.taskId, at: ctx.clock.now(), peerId, skills: skills.map(s => s.name), score: offer.score })
  closeBeforeLease(ctx, session, offer.leaseExpiresAt, offer.attempt)
  checkEarlyClose(ctx, session, offer.attempt)
  return createMessage('ACK', { ref: message.id })
}

/**
 * Closes bidding at once when every slot has a good offer and the backups wanted; without the
 * backups, once the grace fraction of the bid window passed since the announcement.
 */
function checkEarlyClose (ctx: AnnouncerContext, session: Session, attempt: number): void {
  const { earlyCloseMinScore: minScore, earlyCloseBackupsPerSkill, earlyCloseGraceFraction } = ctx.settings
  const covered = (backupsPerSkill: number): boolean => coveredWell(session.body.skills, candidatesOf(session), { minScore, backupsPerSkill, maxGroupSize: session.body.maxGroupSize, exclude: session.excluded })
  if (covered(earlyCloseBackupsPerSkill)) {
    afterQueuedIo(() => { closeBidding(ctx, session, true, attempt) })
  } else if (!session.graceArmed && covered(0)) {
    session.graceArmed = true
    const graceMs = Math.round(session.body.bidWindowMs * earlyCloseGraceFraction)
    const wait = Math.max(0, session.announcedAt + graceMs - ctx.clock.now())
    ctx.sessions.timer(session, wait, () => { closeBidding(ctx, session, true, attempt) })
  }
}

/**
 * A bidder holds its slot for an offer until the offer's `leaseExpiresAt`, which may come before
 * the bid window ends (bidders cap leases at limits.maxLeaseMs, however long the window). Then
 * bidding closes a little before the first such lease ends, if the offers so far make a group,
 * so that the invites reach bidders that still hold their slot; otherwise the window runs on.
 */
function closeBeforeLease (ctx: AnnouncerContext, session: Session, leaseExpiresAt: number, attempt: number): void {
  const at = leaseExpiresAt - LEASE_CLOSE_MARGIN_MS
  if (at >= session.announcedAt + session.body.bidWindowMs) return
  const armed = leaseCloses.get(session)
  if (armed !== undefined && armed.attempt === attempt && armed.at <= at) return
  leaseCloses.set(session, { attempt, at })
  ctx.sessions.timer(session, Math.max(0, at - ctx.clock.now()), () => {
    if (selectable(session)) afterQueuedIo(() => { closeBidding(ctx, session, true, attempt) })
  })
}

/** Ends the current round's bid window after `ms` (replacing the previous round's timer). */
export function armRoundTimer (ctx: AnnouncerContext, session: Session, ms: number, attempt: number): void {
  if (session.roundTimer !== undefined) ctx.sessions.clearTimer(session, session.roundTimer)
  // The decision waits for the I/O already queued (see afterQueuedIo).
  session.roundTimer = ctx.sessions.timer(session, ms, () => { afterQueuedIo(() => { closeBidding(ctx, session, false, attempt) }) })
}

/** Whether the offers so far make a group (with peers that failed before, if need be). */
function selectable (session: Session): boolean {
  const candidates = candidatesOf(session)
  const { skills, maxGroupSize } = session.body
  return selectGroup(skills, candidates, { maxGroupSize, backupsPerSkill: 0, exclude: session.excluded }).ok ||
    (session.excluded.size > 0 && selectGroup(skills, candidates, { maxGroupSize, backupsPerSkill: 0 }).ok)
}

/** Ends the bidding of `attempt` (the bid-window timer of an attempt that closed early must not end the next one's). */
export function closeBidding (ctx: AnnouncerContext, session: Session, early: boolean, attempt: number): void {
  if (!session.biddingOpen || session.state.status !== 'ANNOUNCED' || session.state.attempt !== attempt) return
  const { taskId } = session.state
  if (!session.gossiped && !selectable(session)) {
    // Only a few agents were asked and no group can come of their offers: ask the next few
    // the directory knows, or, with nobody left (or after MAX_DIRECT_ROUNDS), the skill
    // topics with a larger offer cap, with a whole bid window each time.
    ctx.flow.nextRound(session)
    return
  }
  session.biddingOpen = false
  const candidates = candidatesOf(session)
  const { skills, maxGroupSize } = session.body
  ctx.ledger.audit(taskId, 'bidding-closed', { offers: candidates.length, early })
  emitEvent(ctx, { type: 'bidding-closed', taskId, at: ctx.clock.now(), offers: candidates.length, early })
  // What the rule was run with goes into the award (formation.ts), so that bidders can re-run it.
  const excluded = [...session.excluded]
  let selection = selectGroup(skills, candidates, { maxGroupSize, backupsPerSkill: SELECTION_BACKUPS_PER_SKILL, exclude: session.excluded })
  if (!selection.ok && session.excluded.size > 0) {
    // Peers that failed before are better than nobody.
    selection = selectGroup(skills, candidates, { maxGroupSize, backupsPerSkill: SELECTION_BACKUPS_PER_SKILL })
  }
  if (!selection.ok) {
    selectionFailed(ctx, session, selection, candidates.length)
    return
  }
  ctx.ledger.audit(taskId, 'group-selected', { members: selection.members, backups: selection.backups, score: selection.score })
  void formGroup(ctx, session, selection.members, excluded)
}

/**
 * No group. When the agents this node knows could make one but are busy, the task waits in the
 * queue; otherwise (nobody can ever do it) a first attempt is rejected and a later one fails
 * (the task machine decides on a retry).
 */
function selectionFailed (ctx: AnnouncerContext, session: Session, selection: GroupNotSelected, offers: number): void {
  const reason = offers === 0
    ? `no capable agent offered within the bid window (${session.body.bidWindowMs} ms)`
    : selection.reason
  ctx.ledger.audit(session.state.taskId, 'selection-failed', { reason, missing: selection.missing.map(m => ({ skill: m.skill, needed: m.needed, available: m.available })) })
  const busy = busyCapableAgents(ctx, session, selection)
  if (busy !== undefined) {
    ctx.flow.queue(session, `waiting for a free agent: ${busy} (${reason})`)
    return
  }
  if (session.state.attempt === 1) apply(ctx, session, { type: 'bidding-closed-empty', at: ctx.clock.now(), reason })
  else apply(ctx, session, { type: 'fail', at: ctx.clock.now(), reason })
}

/**
 * Whether the task can wait for capacity: every skill that lacks members has at least as many
 * capable agents as it needs among those this node knows (the directory, this bidding's
 * offers, this node itself), agents that advertise no capacity left out. Returns why it waits
 * (`every capable agent is busy (1 agent with "sum" known)`), or undefined when some skill has
 * too few to ever make the group, or the group size limit was the problem.
 */
function busyCapableAgents (ctx: AnnouncerContext, session: Session, selection: GroupNotSelected): string | undefined {
  if (selection.missing.length === 0) return undefined
  const parts: string[] = []
  for (const missing of selection.missing) {
    const minLevel = session.body.skills.find(r => r.name === missing.skill)?.minLevel ?? 'novice'
    const able = new Set(ctx.directory.capablePeers(missing.skill, minLevel).filter(p => (ctx.directory.capacityOf?.(p) ?? 1) > 0))
    for (const { candidate } of session.offers.values()) {
      if (candidate.capacity > 0 && candidate.skills.some(s => s.name === missing.skill && levelRank(s.level) >= levelRank(minLevel))) able.add(candidate.peerId)
    }
    if (ctx.selfCapable?.(missing.skill, minLevel) === true) able.add(ctx.selfId)
    if (able.size < missing.needed) return undefined
    parts.push(`${able.size} agent${able.size === 1 ? '' : 's'} with "${missing.skill}"`)
  }
  return `every capable agent is busy (${parts.join(', ')} known)`
}
