/**
 * Forming the group: inviting the chosen members, filling a skill with the next backup when an
 * invitee declines or stays silent, then the group topic, GROUP_FORMED to the members and
 * OFFER_RELEASE to the other bidders (both with the award, core/award.ts) and the start of the
 * members.
 */
import { createMessage, newId, topics } from '@swarm/protocol'
import { buildAward } from '../../core/award.js'
import { replacementFor } from '../../core/selection.js'
import { offerDigest } from '../../core/signed-offer.js'
import { emitEvent, notify } from './context.js'
import { onGroupGossip, startMembers } from './execution.js'
import { invite } from './invite.js'
import { apply } from './lifecycle.js'
import { candidatesOf } from './session.js'
import type { AnnouncerContext } from './context.js'
import type { Session } from './session.js'
import type { Award, GroupMember } from '@swarm/protocol'

/** Who accepted so far: peer id → the skills it accepted. */
type Accepted = Map<string, Set<string>>

/** A group being formed for one attempt. */
interface Forming {
  session: Session
  groupId: string
  attempt: number
  accepted: Accepted
  /** Invitees that declined or did not answer (not invited again in this group). */
  declined: Set<string>
  /**
   * Every peer chosen or invited in this group, whatever its answer so far: a backup is never
   * one of them, so that a member still answering its own invite is not booked twice (one agent
   * in both places of a skill with count 2).
   */
  invited: Set<string>
  /** What the award records: the members the rule selected, who it excluded, the backups invited in order. */
  selected: GroupMember[]
  excluded: string[]
  replacements: Array<{ skill: string, by: string }>
}

function stillForming (f: Forming): boolean {
  return f.session.state.status === 'ANNOUNCED' && f.session.state.attempt === f.attempt
}

function accept (accepted: Accepted, peerId: string, skills: string[]): void {
  const set = accepted.get(peerId) ?? new Set<string>()
  for (const s of skills) set.add(s)
  accepted.set(peerId, set)
}

function membersOf (accepted: Accepted): GroupMember[] {
  return [...accepted.entries()].map(([peerId, skills]) => ({ peerId, skills: [...skills] }))
}

/**
 * Invites every chosen member in parallel; each decline or silence is replaced by the next
 * backup for that skill until the group is complete or no backup is left.
 */
export async function formGroup (ctx: AnnouncerContext, session: Session, chosen: GroupMember[], excluded: string[] = []): Promise<void> {
  const f: Forming = { session, groupId: newId(), attempt: session.state.attempt, accepted: new Map(), declined: new Set(), invited: new Set(chosen.map(m => m.peerId)), selected: chosen, excluded, replacements: [] }
  const results = await Promise.all(chosen.map(async m => await fill(ctx, f, m.peerId, m.skills)))
  if (!stillForming(f)) {
    cancelAccepted(ctx, f, 'the task moved on')
    return
  }
  if (results.includes(false)) {
    cancelAccepted(ctx, f, 'the group could not be completed')
    apply(ctx, session, { type: 'fail', at: ctx.clock.now(), reason: 'the group could not be completed: invitees declined or did not answer and no backup was left' })
    return
  }
  const short = understaffed(session, f.accepted)
  if (short !== undefined) {
    ctx.ledger.audit(session.state.taskId, 'group-understaffed', { ...short })
    cancelAccepted(ctx, f, 'the group could not be completed')
    apply(ctx, session, { type: 'fail', at: ctx.clock.now(), reason: `the group could not be completed: skill ${short.skill} needs ${short.needed} distinct members and ${short.accepted} accepted` })
    return
  }
  await groupFormed(ctx, f)
}

/**
 * The first required skill that fewer distinct members accepted than its count asks for: the
 * last check before GROUP_FORMED, so that a group never starts with one agent in two places.
 */
function understaffed (session: Session, accepted: Accepted): { skill: string, needed: number, accepted: number } | undefined {
  for (const req of session.body.skills) {
    let n = 0
    for (const skills of accepted.values()) if (skills.has(req.name)) n++
    if (n < req.count) return { skill: req.name, needed: req.count, accepted: n }
  }
  return undefined
}

/** Invites one chosen member; when it does not join, each of its skills goes to a backup. */
async function fill (ctx: AnnouncerContext, f: Forming, peerId: string, skills: string[]): Promise<boolean> {
  if (!stillForming(f)) return false
  const result = await invite(ctx, f.session, f.groupId, peerId, skills)
  if (result.ok) {
    accept(f.accepted, peerId, skills)
    return true
  }
  refused(ctx, f, peerId, result.noShow)
  // Replace skill by skill: the best backup of each skill may differ.
  const filled = await Promise.all(skills.map(async skill => await fillSkill(ctx, f, skill)))
  return !filled.includes(false)
}

/** Finds, invites and records one member for one skill (the next backup, until one joins). */
async function fillSkill (ctx: AnnouncerContext, f: Forming, skill: string): Promise<boolean> {
  const { session } = f
  const req = session.body.skills.find(r => r.name === skill)
  if (req === undefined) return false
  while (true) {
    if (!stillForming(f)) return false
    const next = replacementFor(req, { members: membersOf(f.accepted) }, candidatesOf(session), [...f.declined, ...f.invited])
    if (next === undefined) return false
    f.invited.add(next)
    f.replacements.push({ skill, by: next })
    ctx.ledger.audit(session.state.taskId, 'backup-chosen', { skill, backup: next })
    const result = await invite(ctx, session, f.groupId, next, [skill])
    if (result.ok) {
      accept(f.accepted, next, [skill])
      return true
    }
    refused(ctx, f, next, result.noShow)
  }
}

/** An invitee that did not join is not chosen again in this task; silence costs reputation. */
function refused (ctx: AnnouncerContext, f: Forming, peerId: string, noShow: boolean): void {
  f.declined.add(peerId)
  f.session.excluded.add(peerId)
  if (noShow) ctx.reputation.record(peerId, 'no-show')
}

/**
 * Follows the group topic of the session's group (members and this node may post there; a
 * member that replaces another later may too). Returns the ids of the members at the start.
 */
export function joinGroupTopic (ctx: AnnouncerContext, session: Session, members: GroupMember[]): Set<string> {
  const memberIds = new Set(members.map(m => m.peerId))
  memberIds.add(ctx.selfId)
  if (session.groupTopic === undefined) return memberIds
  ctx.gossip.subscribe(session.groupTopic, 'group', d => { onGroupGossip(ctx, d) }, { authorize: (_m, signer) => memberIds.has(signer.toString()) || session.state.members.some(m => m.peerId === signer.toString()) })
  return memberIds
}

/** Tells the members that accepted that the group will not be. */
function cancelAccepted (ctx: AnnouncerContext, f: Forming, reason: string): void {
  for (const peerId of f.accepted.keys()) {
    notify(ctx, peerId, createMessage('TASK_CANCEL', { taskId: f.session.state.taskId, reason }))
  }
}

/** The award of the group formed (core/award.ts), kept with the signed offers it lists. */
function awardOf (ctx: AnnouncerContext, f: Forming, members: GroupMember[]): Award {
  const { session } = f
  const offers = [...session.offers.values()]
  const award = buildAward({
    taskId: session.state.taskId,
    attempt: f.attempt,
    announcer: ctx.selfId,
    required: session.body.skills,
    maxGroupSize: session.body.maxGroupSize,
    excluded: f.excluded,
    offers: offers.map(o => ({ candidate: o.candidate, digest: offerDigest(o.candidate.peerId, o.signed) })),
    selected: f.selected,
    replacements: f.replacements,
    members
  })
  const listed = new Set(award.offers.map(o => o.peerId))
  ctx.awards.awarded(award, offers.filter(o => listed.has(o.candidate.peerId)).map(o => ({ bidder: o.candidate.peerId, offer: o.signed })))
  return award
}

/**
 * Every slot accepted: the announcer joins the group topic (members and itself may post), the
 * group layer hears of the group, the members get GROUP_FORMED (with the group id) and every
 * other bidder OFFER_RELEASE (no group id: only members learn it), both with the award, and
 * the members are started.
 */
async function groupFormed (ctx: AnnouncerContext, f: Forming): Promise<void> {
  const { session, groupId, attempt } = f
  const { taskId } = session.state
  const members = membersOf(f.accepted)
  session.groupId = groupId
  session.groupTopic = topics.group(ctx.network, groupId)
  joinGroupTopic(ctx, session, members)
  session.formedAt = ctx.clock.now()
  session.formationMs = session.formedAt - session.announcedAt
  ctx.stats.formed++
  apply(ctx, session, { type: 'group-formed', at: ctx.clock.now(), groupId, members })
  ctx.groups.formed({ taskId, groupId, members, deadline: session.body.deadline })
  ctx.ledger.audit(taskId, 'group-formed', { groupId, members, formationMs: session.formationMs })
  emitEvent(ctx, { type: 'formed', taskId, at: ctx.clock.now(), groupId, members, formationMs: session.formationMs })
  const award = awardOf(ctx, f, members)
  const formed = createMessage('GROUP_FORMED', { taskId, attempt, groupId, members, award })
  const release = createMessage('OFFER_RELEASE', { taskId, attempt, award })
  const inGroup = new Set(members.map(m => m.peerId))
  for (const peerId of inGroup) notify(ctx, peerId, formed)
  for (const peerId of session.bidders) if (!inGroup.has(peerId)) notify(ctx, peerId, release)
  session.bidders.clear()
  await startMembers(ctx, session, members)
}
