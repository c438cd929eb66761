/**
 * Offers and the bid window: taking offers, closing bidding early once the skills are covered
 * well enough (or at the end of the window), and selecting the group that is invited.
 */
import { createMessage, levelRank } from '@swarm/protocol'
import { coveredWell, selectGroup } from '../../core/selection.js'
import { SELECTION_BACKUPS_PER_SKILL } from './constants.js'
import { emitEvent } from './context.js'
import { formGroup } from './formation.js'
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

/** An offer (direct, or as the answer to a direct announcement): recorded, or refused with why. */
export function onOffer (ctx: AnnouncerContext, message: MessageOf<'SKILL_OFFER'>, from: PeerId): SwarmMessage {
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
  const peerId = from.toString()
  const skills = offer.skills.filter(s => session.body.skills.some(r => r.name === s.name))
  if (skills.length === 0) return refuse('NO_MATCH', 'the offer covers none of the required skills')
  ctx.stats.offersReceived++
  session.bidders.add(peerId)
  session.offers.set(peerId, {
    candidate: { peerId, skills, load: offer.load, capacity: offer.capacity, reputation: ctx.reputation.of(peerId), observed: ctx.reputation.observed(peerId), estimateMs: offer.estimateMs },
    at: ctx.clock.now()
  })
  ctx.ledger.audit(offer.taskId, 'offer-received', { peerId, skills: skills.map(s => `${s.name}:${s.level}`), score: offer.score, load: offer.load, capacity: offer.capacity })
  emitEvent(ctx, { type: 'offer', taskId: offer.taskId, at: ctx.clock.now(), peerId, skills: skills.map(s => s.name), score: offer.score })
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
  void formGroup(ctx, session, selection.members)
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
