/**
 * Announcement rounds of one attempt: first straight to a few capable agents the directory
 * knows (each answers with its offer on the same stream), then to the next few, and last on the
 * skill topics with a larger offer cap. A retry starts the rounds over with the next attempt.
 */
import { createHash } from 'node:crypto'
import { peerIdFromString } from '@libp2p/peer-id'
import { LIMITS, createMessage, topics } from '@swarm/protocol'
import { chooseDirectTargets } from '../../core/offer-cap.js'
import { selectGroup } from '../../core/selection.js'
import { SwarmError } from '../../errors.js'
import { DIRECT_ANSWER_SLACK_MS, EXPLORE_BELOW_CONNECTIONS, MAX_DIRECT_ROUNDS, WIDENED_OFFER_CAP_FACTOR } from './constants.js'
import { emitEvent, notify } from './context.js'
import { apply } from './lifecycle.js'
import { afterQueuedIo, armRoundTimer, closeBidding, onOffer } from './offers.js'
import { candidatesOf, requiredOf, stillRequired } from './session.js'
import type { AnnouncerContext } from './context.js'
import type { Session } from './session.js'
import type { TaskSpec } from '../task-spec.js'
import type { MessageOf, TaskAnnounceBody, TaskInput } from '@swarm/protocol'

/** How the input travels: inline when small, else as a reference members fetch. */
function inputDescriptor (spec: TaskSpec): TaskInput {
  if (spec.input === undefined) return { kind: 'none' }
  const bytes = new TextEncoder().encode(JSON.stringify(spec.input))
  if (bytes.byteLength > LIMITS.maxFetchedInputBytes) {
    throw new SwarmError('CONFIG_INVALID', `task input is ${bytes.byteLength} bytes, the limit is ${LIMITS.maxFetchedInputBytes}`)
  }
  return bytes.byteLength <= LIMITS.maxInlineInputBytes
    ? { kind: 'inline', value: spec.input }
    : { kind: 'ref', bytes: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') }
}

/**
 * The announcement of a task's first attempt; throws CONFIG_INVALID for an input too large.
 * `dependents` (when above 0) and `workflow` go in only when the spec has them: a receiver built
 * before these fields refuses an announcement that carries them (docs/protocol.md, section 2).
 */
export function firstAnnouncement (ctx: AnnouncerContext, spec: TaskSpec, taskId: string, now: number): TaskAnnounceBody {
  const required = requiredOf(spec)
  const slots = required.reduce((n, r) => n + r.count, 0)
  return {
    taskId,
    description: spec.description,
    skills: required,
    maxGroupSize: spec.maxGroupSize ?? Math.min(LIMITS.maxGroupSize, slots),
    priority: spec.priority,
    deadline: now + spec.deadlineMs,
    bidWindowMs: spec.bidWindowMs,
    input: inputDescriptor(spec),
    announcerAddrs: ctx.addrs().slice(0, LIMITS.maxAddrs),
    attempt: 1,
    createdAt: now,
    verify: spec.verify,
    offerCap: ctx.settings.offerCap,
    ...(spec.dependents !== undefined && spec.dependents > 0 ? { dependents: spec.dependents } : {}),
    ...(spec.workflow !== undefined ? { workflow: spec.workflow } : {})
  }
}

/**
 * Announces the current attempt. Fast path: when the directory knows enough capable agents,
 * the announcement goes straight to the first few of them for this task (ranked by a hash of
 * task, attempt and peer, skipping agents that failed it before), and each answers with its
 * offer on the same stream. A skill whose agents are not known well enough, and every skill of a
 * widened round, is announced on its gossip topic instead.
 */
export async function publishAnnouncement (ctx: AnnouncerContext, session: Session): Promise<void> {
  const body = { ...session.body, attempt: session.state.attempt, offerCap: ctx.settings.offerCap }
  session.body = body
  session.offers.clear()
  session.bidders.clear()
  session.biddingOpen = true
  session.graceArmed = false
  session.announcedAt = ctx.clock.now()
  const message = createMessage('TASK_ANNOUNCE', body)
  const { targets, gossipSkills } = chooseTargets(ctx, session)
  const topicNames = gossipSkills.map(n => topics.skill(ctx.network, n))
  ctx.stats.announced++
  ctx.ledger.audit(body.taskId, 'announce', { attempt: body.attempt, topics: topicNames, direct: [...targets] })
  emitEvent(ctx, { type: 'announced', taskId: body.taskId, at: ctx.clock.now(), attempt: body.attempt, topics: topicNames })
  ctx.localBidder(body)
  session.pendingTargets = targets.size
  session.asked = new Set(targets)
  session.directRounds = targets.size > 0 ? 1 : 0
  session.gossiped = topicNames.length > 0
  for (const peerId of targets) void announceTo(ctx, session, peerId, message)
  // On a topic every capable agent that hears it may offer: the directory knew too few of them.
  await publishOnTopics(ctx, topicNames, createMessage('TASK_ANNOUNCE', { ...body, offerCap: 0 }))
  // The bid window opens when the announcement is on its way, not before: a slow publish
  // must not eat the bidders' time. (Formation latency still counts from announcedAt.)
  if (session.state.status === 'ANNOUNCED' && session.state.attempt === body.attempt) {
    armRoundTimer(ctx, session, body.bidWindowMs, body.attempt)
  }
}

/**
 * Agents to ask directly, and skills that must go to their gossip topic. With `more` (a later
 * direct round), only the skills named and only agents not asked yet; a skill with nobody left
 * to ask is then simply skipped.
 */
function chooseTargets (ctx: AnnouncerContext, session: Session, more?: { skills: ReadonlySet<string>, skip: ReadonlySet<string> }): { targets: Set<string>, gossipSkills: string[] } {
  const body = session.body
  const targets = new Set<string>()
  const gossipSkills = new Set<string>()
  const connected = ctx.connectedPeers()
  const explore = connected.size < EXPLORE_BELOW_CONNECTIONS
  for (const req of body.skills) {
    if (more !== undefined && !more.skills.has(req.name)) continue
    if (body.offerCap <= 0) {
      gossipSkills.add(req.name)
      continue
    }
    const want = body.offerCap * req.count
    let known = ctx.directory.capablePeers(req.name, req.minLevel).filter(p => p !== ctx.selfId && !session.excluded.has(p))
    if (more !== undefined) {
      known = known.filter(p => !more.skip.has(p))
    } else if (known.length < want) {
      // Too few known: the directory may be incomplete, let the topic find them.
      gossipSkills.add(req.name)
      continue
    }
    const candidates = known.filter(p => !targets.has(p)).map(peer => ({ peer, connected: connected.has(peer) }))
    for (const peer of chooseDirectTargets(body.taskId, body.attempt, candidates, want, explore)) targets.add(peer)
  }
  return { targets, gossipSkills: [...gossipSkills] }
}

/** Bidding ended without a group from the direct offers: a further direct round, or widen. */
export function nextRound (ctx: AnnouncerContext, session: Session): void {
  if (!askMore(ctx, session)) void widen(ctx, session)
}

/**
 * A further direct round of the same attempt (see MAX_DIRECT_ROUNDS): the skills that no group
 * can cover yet, to capable agents not asked before. False when there is nobody left to ask.
 */
function askMore (ctx: AnnouncerContext, session: Session): boolean {
  if (session.gossiped || session.directRounds === 0 || session.directRounds >= MAX_DIRECT_ROUNDS) return false
  const selection = selectGroup(session.body.skills, candidatesOf(session), { maxGroupSize: session.body.maxGroupSize, backupsPerSkill: 0, exclude: session.excluded })
  if (selection.ok || selection.missing.length === 0) return false
  const { targets } = chooseTargets(ctx, session, { skills: new Set(selection.missing.map(m => m.skill)), skip: session.asked })
  if (targets.size === 0) return false
  const attempt = session.state.attempt
  session.directRounds++
  for (const peer of targets) session.asked.add(peer)
  session.pendingTargets += targets.size
  ctx.ledger.audit(session.body.taskId, 'announce-more', { attempt, round: session.directRounds, direct: [...targets], offers: session.offers.size })
  const message = createMessage('TASK_ANNOUNCE', session.body)
  for (const peerId of targets) void announceTo(ctx, session, peerId, message)
  armRoundTimer(ctx, session, session.body.bidWindowMs, attempt)
  return true
}

/**
 * Last round of the same attempt: the announcement on every skill topic. The offer cap grows
 * WIDENED_OFFER_CAP_FACTOR times (agents asked directly before do not offer twice), or stays 0
 * when this node caps nothing.
 */
async function widen (ctx: AnnouncerContext, session: Session): Promise<void> {
  if (session.gossiped) return
  session.gossiped = true
  const attempt = session.state.attempt
  const body = { ...session.body, offerCap: session.body.offerCap * WIDENED_OFFER_CAP_FACTOR }
  session.body = body
  const topicNames = [...new Set(body.skills.map(s => s.name))].map(n => topics.skill(ctx.network, n))
  ctx.ledger.audit(body.taskId, 'announce-widened', { attempt, topics: topicNames, offers: session.offers.size })
  await publishOnTopics(ctx, topicNames, createMessage('TASK_ANNOUNCE', body))
  if (session.state.status === 'ANNOUNCED' && session.state.attempt === attempt) {
    armRoundTimer(ctx, session, body.bidWindowMs, attempt)
  }
}

/** Publishes an announcement on skill topics; a topic that fails is logged, not fatal. */
async function publishOnTopics (ctx: AnnouncerContext, topicNames: string[], message: MessageOf<'TASK_ANNOUNCE'>): Promise<void> {
  await Promise.all(topicNames.map(async topic => {
    try {
      await ctx.gossip.publish(topic, message)
    } catch (err) {
      ctx.logger.warn('announcement not published', { taskId: message.body.taskId, topic, err })
    }
  }))
}

/** Sends the announcement to one agent; its answer is its offer (or why it declines). */
async function announceTo (ctx: AnnouncerContext, session: Session, peerId: string, message: MessageOf<'TASK_ANNOUNCE'>): Promise<void> {
  const attempt = message.body.attempt
  try {
    const peer = peerIdFromString(peerId)
    await ctx.messenger.learnAddrs(peer, ctx.directory.addrsOf(peerId))
    // The round timer decides when to stop waiting; this timeout only bounds a dead peer, and
    // leaves room for a stall of either side (a late offer is told that bidding closed).
    const reply = await ctx.messenger.request(peer, message, { timeoutMs: message.body.bidWindowMs + DIRECT_ANSWER_SLACK_MS })
    if (reply.type === 'SKILL_OFFER') {
      const answer = await onOffer(ctx, reply, peer)
      // The offer came too late: tell the agent, or it would hold its reservation for the lease.
      if (answer.type === 'ERROR') notify(ctx, peerId, createMessage('TASK_CANCEL', { taskId: message.body.taskId, reason: 'bidding closed' }))
    }
  } catch (err) {
    ctx.logger.debug('direct announcement not answered', { taskId: message.body.taskId, peerId, err })
  } finally {
    if (session.state.attempt === attempt) {
      session.pendingTargets--
      // Everyone asked has answered and no topic was used: nothing more will come.
      if (session.pendingTargets === 0 && !session.gossiped && session.biddingOpen) {
        afterQueuedIo(() => { closeBidding(ctx, session, true, attempt) })
      }
    }
  }
}

/** The backoff after a failed attempt passed: the next attempt is announced, for the parts still missing. */
export async function retry (ctx: AnnouncerContext, session: Session): Promise<void> {
  if (session.state.status !== 'RETRY') return
  session.offers.clear()
  apply(ctx, session, { type: 'retry', at: ctx.clock.now() })
  // Parts delivered by earlier attempts are kept (see keepDeliveredParts): only the rest runs again.
  session.body = { ...session.body, skills: stillRequired(session) }
  await publishAnnouncement(ctx, session)
}
