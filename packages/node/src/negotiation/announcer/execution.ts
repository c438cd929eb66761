/**
 * Execution: starting the members of a formed group, their progress and heartbeats, and handing
 * the part of a member that is gone, silent, overdue (liveness.ts) or never acknowledged its start
 * to a backup, from its last checkpoint.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { LIMITS, createMessage } from '@swarm/protocol'
import { replacementFor } from '../../core/selection.js'
import { encodeGroupKey, newGroupKey } from '../../net/group-seal.js'
import { START_TIMEOUT_MS } from './constants.js'
import { emitEvent, notify } from './context.js'
import { invite } from './invite.js'
import { apply } from './lifecycle.js'
import { HEARTBEAT_MESSAGE, heardFrom, watchMember } from './liveness.js'
import { candidatesOf } from './session.js'
import type { AnnouncerContext } from './context.js'
import type { ReplaceMember } from './liveness.js'
import type { Session } from './session.js'
import type { TaskState } from '../../core/task-machine.js'
import type { GossipDelivery } from '../../ports/gossip.js'
import type { PeerId } from '@libp2p/interface'
import type { GroupKey, GroupMember, Json, MessageOf } from '@swarm/protocol'

/** Whether the task has a group at work (members may be started or replaced). */
export function working (session: Session): boolean {
  return session.state.status === 'RUNNING' || session.state.status === 'ASSIGNED'
}

/** Whether `peerId` reported its part of `skill`. */
export function delivered (session: Session, skill: string, peerId: string): boolean {
  return session.state.results[skill]?.[peerId] !== undefined
}

/** How liveness (liveness.ts) replaces a member of this task that went silent or is overdue. */
function replacer (ctx: AnnouncerContext, session: Session): ReplaceMember {
  return (peerId, reason, options) => {
    if (options.onlyWithBackup && !backupsFor(session, peerId)) {
      // A member that is alive but late keeps its part when no one could take it over: it may
      // still deliver before the deadline, and failing the attempt now gains nothing.
      ctx.ledger.audit(session.state.taskId, 'member-kept', { peerId, reason: 'no backup could take over its part' })
      return
    }
    void replaceMember(ctx, session, peerId, reason)
  }
}

/** Whether every unfinished part of `peerId` has a backup among the offers left. */
function backupsFor (session: Session, peerId: string): boolean {
  const member = session.state.members.find(m => m.peerId === peerId)
  if (member === undefined) return false
  const exclude = [...session.excluded, peerId]
  return member.skills.every(skill => {
    if (delivered(session, skill, peerId)) return true
    const req = session.body.skills.find(r => r.name === skill)
    return req !== undefined && replacementFor(req, { members: session.state.members }, candidatesOf(session), exclude) !== undefined
  })
}

/**
 * The key of each session's current group (docs/protocol.md "Group encryption"). Kept in memory
 * only: an announcer that restarts gives its resumed groups a new key ({@link rotateGroupKey}).
 */
const groupKeys = new WeakMap<Session, { groupId: string, epoch: number, key: Uint8Array }>()

/**
 * A new key for the session's group, installed on its topic (what this node publishes there is
 * sealed with it from now on). Its epoch is the time in ms, or one more than the epoch before if
 * that is later, so that it grows across rotations and restarts alike.
 */
function newEpoch (ctx: AnnouncerContext, session: Session): GroupKey | undefined {
  const { groupId, groupTopic } = session
  if (groupId === undefined || groupTopic === undefined) return undefined
  const previous = groupKeys.get(session)
  const epoch = Math.max(previous?.groupId === groupId ? previous.epoch + 1 : 0, ctx.clock.now())
  const key = newGroupKey()
  groupKeys.set(session, { groupId, epoch, key })
  ctx.gossip.setGroupKey(groupTopic, epoch, key)
  return { epoch, key: encodeGroupKey(key) }
}

/** The current key of the session's group (made at the first call), as TASK_START carries it. */
function groupKeyOf (ctx: AnnouncerContext, session: Session): GroupKey | undefined {
  const held = groupKeys.get(session)
  if (held !== undefined && held.groupId === session.groupId) return { epoch: held.epoch, key: encodeGroupKey(held.key) }
  return newEpoch(ctx, session)
}

/**
 * Gives the session's group a new key and sends it, with the members now, to every current
 * member but this node and `except` (a backup about to get it in its TASK_START): a member that
 * was replaced cannot read what the group says from now on. Also used by a restarted announcer
 * (resume.ts), whose earlier key was in memory only.
 */
export function rotateGroupKey (ctx: AnnouncerContext, session: Session, except: string[] = []): void {
  const { groupId } = session
  const key = newEpoch(ctx, session)
  if (key === undefined || groupId === undefined) return
  const { members } = session.state
  ctx.ledger.audit(session.state.taskId, 'group-key-rotated', { groupId, epoch: key.epoch, members: members.map(m => m.peerId) })
  if (members.length === 0) return
  const notice = createMessage('GROUP_KEY', { taskId: session.state.taskId, groupId, ...key, members })
  for (const m of members) {
    if (m.peerId !== ctx.selfId && !except.includes(m.peerId)) notify(ctx, m.peerId, notice)
  }
}

/** Starts every member of the group just formed; one that does not acknowledge is replaced. */
export async function startMembers (ctx: AnnouncerContext, session: Session, members: GroupMember[]): Promise<void> {
  const { taskId } = session.state
  const groupId = session.groupId
  if (groupId === undefined || session.state.status !== 'ASSIGNED') return
  // RUNNING before the first start goes out: a quick member's result can arrive before the
  // other members acknowledged their start, and results are only taken while RUNNING.
  session.startedAt = ctx.clock.now()
  // The group's key, installed here before any member can publish with it.
  groupKeyOf(ctx, session)
  apply(ctx, session, { type: 'started', at: session.startedAt })
  ctx.ledger.audit(taskId, 'task-started', { groupId, members: members.map(m => m.peerId) })
  emitEvent(ctx, { type: 'started', taskId, at: ctx.clock.now(), groupId })
  const started = await Promise.all(members.map(async m => await startMember(ctx, session, m.peerId, m.skills)))
  // (apply above changed the status: read it afresh.)
  const status = session.state.status as TaskState['status']
  if (session.groupId !== groupId || status !== 'RUNNING') return
  for (let i = 0; i < members.length; i++) {
    const m = members[i]
    if (m !== undefined && started[i] === false) void replaceMember(ctx, session, m.peerId, 'did not acknowledge the task start')
  }
}

/**
 * Sends TASK_START to one member (with the checkpoint to resume from, for a backup); once it
 * acknowledged, its heartbeats and its result are watched (liveness.ts).
 */
export async function startMember (ctx: AnnouncerContext, session: Session, peerId: string, skills: string[], checkpoint?: Json): Promise<boolean> {
  const groupId = session.groupId
  if (groupId === undefined) return false
  const groupKey = groupKeyOf(ctx, session)
  try {
    const reply = await ctx.messenger.request(peerIdFromString(peerId), createMessage('TASK_START', {
      taskId: session.state.taskId,
      groupId,
      description: session.body.description,
      skills,
      input: session.body.input,
      deadline: session.body.deadline,
      members: session.state.members.length > 0 ? session.state.members : [{ peerId, skills }],
      ...(checkpoint !== undefined ? { checkpoint } : {}),
      ...(groupKey !== undefined ? { groupKey } : {})
    }), { timeoutMs: START_TIMEOUT_MS })
    if (reply.type !== 'ACK') return false
    watchMember(ctx, session, peerId, replacer(ctx, session))
    return true
  } catch (err) {
    ctx.logger.info('task start not delivered', { taskId: session.state.taskId, peerId, err })
    return false
  }
}

/**
 * Hands the unfinished parts of a member that went away to backups, resuming from the last
 * checkpoint seen on the group topic. Fails the attempt when no backup is left.
 */
export async function replaceMember (ctx: AnnouncerContext, session: Session, peerId: string, reason: string): Promise<void> {
  if (session.replacing.has(peerId) || !working(session)) return
  const member = session.state.members.find(m => m.peerId === peerId)
  if (member === undefined) return
  session.replacing.add(peerId)
  session.excluded.add(peerId)
  ctx.reputation.record(peerId, 'no-show')
  try {
    for (const skill of member.skills) {
      if (delivered(session, skill, peerId)) continue
      const result = await replaceSkill(ctx, session, peerId, skill, reason)
      if (result.kind === 'task-moved-on') return
      if (result.kind === 'no-backup') {
        if (working(session)) apply(ctx, session, { type: 'fail', at: ctx.clock.now(), reason: `member ${peerId} ${reason} and no backup could take over "${skill}"` })
        return
      }
    }
    // A member that was only silent (a stopped process that resumes) stops and frees its capacity.
    if (working(session) && !session.state.members.some(m => m.peerId === peerId)) {
      notify(ctx, peerId, createMessage('TASK_CANCEL', { taskId: session.state.taskId, ...(session.groupId !== undefined ? { groupId: session.groupId } : {}), reason: `replaced: ${reason}`.slice(0, LIMITS.maxShortTextChars) }))
    }
  } finally {
    session.replacing.delete(peerId)
  }
}

/**
 * How {@link replaceSkill} ended: a backup took the part over (`to`; absent when the member
 * delivered after all and the backup was dropped), no backup was left, or the task moved on.
 */
export type ReplaceResult = { kind: 'replaced', to?: string } | { kind: 'no-backup' } | { kind: 'task-moved-on' }

/**
 * Finds a backup for one skill of a member that is gone (or hands it off, handoff.ts): the best
 * offer left that accepts the invite and acknowledges its start, resuming from the skill's last
 * checkpoint; the move is audited as `action` with the reason. A backup that is no longer needed
 * when it accepts (the member delivered after all) is told to cancel.
 */
export async function replaceSkill (ctx: AnnouncerContext, session: Session, peerId: string, skill: string, reason: string, action: 'member-replaced' | 'member-handoff' = 'member-replaced'): Promise<ReplaceResult> {
  const { taskId } = session.state
  const req = session.body.skills.find(r => r.name === skill)
  if (req === undefined) return { kind: 'no-backup' }
  while (true) {
    if (!working(session)) return { kind: 'task-moved-on' }
    const next = replacementFor(req, { members: session.state.members }, candidatesOf(session), [...session.excluded])
    if (next === undefined) return { kind: 'no-backup' }
    const groupId = session.groupId
    if (groupId === undefined) return { kind: 'task-moved-on' }
    // The backup offered earlier; it may or may not still hold a reservation.
    const invited = await invite(ctx, session, groupId, next, [skill])
    if (!invited.ok) {
      session.excluded.add(next)
      continue
    }
    // While the backup was being invited, the task may have ended, or the member may have
    // delivered its part after all: then the backup is not needed.
    const stillNeeded = working(session) && !delivered(session, skill, peerId) &&
      session.state.members.some(m => m.peerId === peerId && m.skills.includes(skill))
    if (!stillNeeded || !apply(ctx, session, { type: 'member-replaced', at: ctx.clock.now(), skill, from: peerId, to: next })) {
      notify(ctx, next, createMessage('TASK_CANCEL', { taskId, reason: 'the member delivered; the backup is not needed' }))
      ctx.ledger.audit(taskId, 'replacement-dropped', { skill, from: peerId, to: next })
      return { kind: 'replaced' }
    }
    ctx.groups.membersChanged(groupId, session.state.members)
    // A new key for the members that stay (the backup gets it in its start): the member that
    // left cannot read what follows.
    rotateGroupKey(ctx, session, [next])
    ctx.ledger.audit(taskId, action, { skill, from: peerId, to: next, reason })
    emitEvent(ctx, { type: 'member-replaced', taskId, at: ctx.clock.now(), skill, from: peerId, to: next, reason })
    if (await startMember(ctx, session, next, [skill], session.checkpoints.get(skill))) return { kind: 'replaced', to: next }
    session.excluded.add(next)
  }
}

/** A peer disconnected: members with unfinished parts get replaced after a grace period. */
export function peerGone (ctx: AnnouncerContext, peerId: string, stillGone: () => boolean): void {
  for (const session of ctx.sessions.values()) {
    if (!working(session)) continue
    const member = session.state.members.find(m => m.peerId === peerId)
    if (member === undefined) continue
    if (member.skills.every(skill => delivered(session, skill, peerId))) continue
    ctx.sessions.timer(session, ctx.settings.memberGraceMs, () => {
      if (stillGone()) void replaceMember(ctx, session, peerId, 'went away')
    })
  }
}

/** A message on the group topic: the announcer only follows progress there (heartbeats come direct). */
export function onGroupGossip (ctx: AnnouncerContext, delivery: GossipDelivery): void {
  const { message, from } = delivery
  if (message.type === 'TASK_UPDATE') onProgress(ctx, message.body, from)
}

/** A member's progress (on the group topic or direct): its checkpoint is kept for a backup. */
export function onProgress (ctx: AnnouncerContext, update: MessageOf<'TASK_UPDATE'>['body'], from: PeerId): void {
  const session = ctx.sessions.get(update.taskId)
  if (session === undefined || session.groupId !== update.groupId) return
  const peerId = from.toString()
  if (!session.state.members.some(m => m.peerId === peerId && m.skills.includes(update.skill))) return
  heardFrom(ctx, session, peerId, replacer(ctx, session))
  if (update.checkpoint !== undefined) {
    session.checkpoints.set(update.skill, update.checkpoint)
    // Persisted too, so that the work can resume from it after this process goes.
    ctx.ledger.saveCheckpoint(update.taskId, Object.fromEntries(session.checkpoints))
  }
  if (update.message === 'checkpoint' || update.message === HEARTBEAT_MESSAGE) return
  emitEvent(ctx, { type: 'progress', taskId: update.taskId, at: ctx.clock.now(), peerId, skill: update.skill, progress: update.progress, ...(update.message !== undefined ? { message: update.message } : {}) })
}
