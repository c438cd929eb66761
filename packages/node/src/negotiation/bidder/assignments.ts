import { createMessage, topics } from '@swarm/protocol'
import { commitReservation } from '../../core/capacity.js'
import { decodeGroupKey } from '../../net/group-seal.js'
import { GROUP_LINGER_MS, START_GRACE_MS } from './constants.js'
import type { Assignment, BidderState } from './state.js'
import type { BidderComponents, BidderInit } from './types.js'
import type { UpdateSender, Work } from './work.js'
import type { PeerId } from '@libp2p/interface'
import type { BodyOf, GroupKey, GroupMember, MessageOf, SwarmMessage } from '@swarm/protocol'

export type AssignmentsComponents = Pick<BidderComponents, 'gossip' | 'messenger' | 'clock' | 'skills' | 'events' | 'audit' | 'onLoad' | 'groups' | 'history' | 'awards'>

/** A group this member follows: its topic, its announcer and its current members. */
interface JoinedGroup {
  groupId: string
  topic: string
  announcer: PeerId
  /** Peer ids of the current members (updated by GROUP_KEY). */
  members: Set<string>
  /** The announcer is this node: its side follows the topic. */
  local: boolean
}

/**
 * What the announcer tells a bidder after its offer: an invite (accepted by turning the
 * reservation into a commitment, or declined with why), the group formed (with or without this
 * node), the start (join the group topic and run the work) and a cancel. Each assignment has a
 * group timer: without a start before the deadline the commitment lapses, and after the deadline
 * the member leaves the group topic.
 */
export class Assignments {
  readonly #state: BidderState
  readonly #work: Work
  readonly #c: AssignmentsComponents
  readonly #init: Pick<BidderInit, 'self' | 'network'>
  /** The groups this member follows, by task id. */
  readonly #groups = new Map<string, JoinedGroup>()

  constructor (state: BidderState, work: Work, components: AssignmentsComponents, init: Pick<BidderInit, 'self' | 'network'>) {
    this.#state = state
    this.#work = work
    this.#c = components
    this.#init = init
  }

  /** Aborts every assignment's work and clears its timer (the node stops). */
  stop (): void {
    for (const [taskId, a] of this.#state.assigned) {
      this.#c.history.released({ taskId, reason: 'this node stopped', at: this.#c.clock.now() })
      a.abort.abort()
      this.#c.clock.clearTimeout(a.groupTimer)
    }
  }

  onInvite (message: MessageOf<'GROUP_INVITE'>, from: PeerId): SwarmMessage {
    const state = this.#state
    const { clock } = this.#c
    const { taskId, groupId, skills } = message.body
    const decline = (reason: string): SwarmMessage => {
      state.stats.invitesDeclined++
      this.#c.audit(taskId, 'invite-declined', { groupId, reason })
      return createMessage('GROUP_REJECT', { taskId, groupId, reason })
    }
    // Stopping (graceful drain): a backup part taken now would only be aborted.
    if (state.stopped) return decline('this node is stopping')
    const former = state.formerOffers.get(taskId)
    const a = state.fromAnnouncer(taskId, from) ?? (former !== undefined && former.announcer.equals(from) && clock.now() < former.body.deadline ? former : undefined)
    if (a === undefined) return decline('no offer of ours for this task from this announcer')
    if (a.body.attempt !== message.body.attempt) return decline('the invite is for another attempt')
    const current = state.assigned.get(taskId)
    if (current !== undefined) {
      if (current.groupId === groupId) return createMessage('GROUP_ACCEPT', { taskId, groupId })
      return decline('already working on this task')
    }
    const cannot = skills.find(s => !this.#c.skills.canDo(s, a.body.skills.find(r => r.name === s)?.minLevel ?? 'novice'))
    if (cannot !== undefined) return decline(`cannot do skill "${cannot}"`)
    const result = commitReservation(state.capacity, taskId, clock.now())
    if (!result.committed) {
      state.offered.delete(taskId)
      return decline(result.reason ?? 'no free capacity')
    }
    state.capacity = result.state
    state.offered.delete(taskId)
    state.formerOffers.delete(taskId)
    const assignment: Assignment = { announcement: a, groupId, skills, abort: new AbortController(), running: false, finished: new Set() }
    state.assigned.set(taskId, assignment)
    // Without a start before the deadline the commitment lapses.
    assignment.groupTimer = clock.setTimeout(() => { state.release(taskId, 'no start before the deadline') }, Math.max(0, a.body.deadline - clock.now()) + START_GRACE_MS)
    state.stats.invitesAccepted++
    this.#c.audit(taskId, 'invite-accepted', { groupId, skills, announcer: from.toString() })
    this.#c.events.emit('work:accepted', { taskId, groupId, skills })
    this.#c.history.accepted({ taskId, announcer: from.toString(), attempt: a.body.attempt, groupId, skills, at: clock.now() })
    this.#c.onLoad(state.load())
    // The announcer's reserved share shrank (limits.ts): its waiting announcements may go on.
    if (state.waiting.size > 0) state.requestDrain()
    return createMessage('GROUP_ACCEPT', { taskId, groupId })
  }

  /**
   * The group formed (only members hear it): a node that is not among them (an older GROUP_FORMED
   * shape, or a group other than the one it accepted) releases its lease. The award is kept.
   */
  onFormed (message: MessageOf<'GROUP_FORMED'>, from: PeerId): SwarmMessage {
    const { taskId, groupId, members } = message.body
    const self = this.#init.self.toString()
    const a = this.#state.fromAnnouncer(taskId, from)
    const assignment = this.#state.assigned.get(taskId)
    const member = members.some(m => m.peerId === self)
    this.#keepAward(message.body, from, member, assignment !== undefined && assignment.groupId === groupId)
    if (a !== undefined && !member) {
      this.#state.release(taskId, 'group formed without us')
    } else if (a !== undefined) {
      if (assignment !== undefined && assignment.groupId !== groupId) this.#state.release(taskId, 'group formed without us')
    }
    return createMessage('ACK', { ref: message.id })
  }

  /**
   * OFFER_RELEASE: the group formed without this node. Its lease (reservation) is released; a
   * commitment to the same task (an invite accepted) is released too, the announcer having
   * replaced us. The message names no group: only members learn the group id.
   */
  onRelease (message: MessageOf<'OFFER_RELEASE'>, from: PeerId): SwarmMessage {
    const { taskId, attempt } = message.body
    const a = this.#state.fromAnnouncer(taskId, from)
    this.#keepAward(message.body, from, false, this.#state.assigned.has(taskId))
    if (a !== undefined && a.body.attempt === attempt) this.#state.release(taskId, 'group formed without us')
    return createMessage('ACK', { ref: message.id })
  }

  /** Stores the award of a task this node offered on, when it is the announcer's and for this task. */
  #keepAward (body: BodyOf<'GROUP_FORMED'> | BodyOf<'OFFER_RELEASE'>, from: PeerId, member: boolean, acceptedInvite: boolean): void {
    const { award } = body
    if (award.taskId !== body.taskId || award.attempt !== body.attempt || award.announcer !== from.toString()) return
    if (this.#state.fromAnnouncer(body.taskId, from) === undefined && this.#state.formerOffers.get(body.taskId)?.announcer.equals(from) !== true) return
    this.#c.awards.received({ announcer: from.toString(), award, member, acceptedInvite })
  }

  onCancel (message: MessageOf<'TASK_CANCEL'>, from: PeerId): SwarmMessage {
    const { taskId, reason } = message.body
    if (this.#state.fromAnnouncer(taskId, from) !== undefined) {
      this.#c.audit(taskId, 'cancelled-by-announcer', { reason })
      this.#state.release(taskId, reason)
      // Out of the group (replaced, or the task ended): nothing more to hear on its topic.
      const group = this.#groups.get(taskId)
      if (group !== undefined && !group.local && group.announcer.equals(from)) this.#leaveGroup(taskId, group.topic)
    }
    return createMessage('ACK', { ref: message.id })
  }

  onStart (message: MessageOf<'TASK_START'>, from: PeerId): SwarmMessage {
    const { taskId, groupId } = message.body
    const a = this.#state.assigned.get(taskId)
    if (a === undefined || !a.announcement.announcer.equals(from) || a.groupId !== groupId) {
      return createMessage('ERROR', { ref: message.id, code: 'NOT_ASSIGNED', message: 'this node did not accept an invite to that group' })
    }
    // A restarted announcer sends the start again, with a new key of the group.
    this.#installKey(topics.group(this.#init.network, groupId), message.body.groupKey)
    if (a.running) {
      const group = this.#groups.get(taskId)
      if (group !== undefined) group.members = new Set(message.body.members.map(m => m.peerId))
      return createMessage('ACK', { ref: message.id })
    }
    a.running = true
    a.skills = message.body.members.find(m => m.peerId === this.#init.self.toString())?.skills ?? a.skills
    const sendUpdate = this.#joinGroup(a, message.body, from)
    void this.#work.run(a, message.body, from, sendUpdate)
    return createMessage('ACK', { ref: message.id })
  }

  /**
   * A new key of a group this node works in, from its announcer (a member was replaced, or the
   * announcer restarted), with the members now: only they (and the announcer) are heard on the
   * group topic from now on. Refused with NOT_ASSIGNED from anyone else or for another group.
   */
  onGroupKey (message: MessageOf<'GROUP_KEY'>, from: PeerId): SwarmMessage {
    const { taskId, groupId, epoch, key, members } = message.body
    const group = this.#groups.get(taskId)
    if (group === undefined || group.groupId !== groupId || !group.announcer.equals(from)) {
      return createMessage('ERROR', { ref: message.id, code: 'NOT_ASSIGNED', message: 'this node does not work in that group' })
    }
    this.#membersChanged(group, members)
    this.#installKey(group.topic, { epoch, key })
    return createMessage('ACK', { ref: message.id })
  }

  /** Installs a group key received from the announcer (TASK_START or GROUP_KEY). */
  #installKey (topic: string, groupKey: GroupKey | undefined): void {
    if (groupKey === undefined) return
    const key = decodeGroupKey(groupKey.key)
    if (key !== undefined) this.#c.gossip.setGroupKey(topic, groupKey.epoch, key)
  }

  #membersChanged (group: JoinedGroup, members: GroupMember[]): void {
    group.members = new Set(members.map(m => m.peerId))
    // At the local member the announcer side keeps the group layer's list.
    if (!group.local) this.#c.groups.membersChanged?.(group.groupId, members)
  }

  /**
   * Follows the group's topic (to hear the announcer dissolve it) until the deadline has passed,
   * tells the group layer, and returns how this member's updates reach the announcer. Only the
   * announcer and the current members are heard there.
   */
  #joinGroup (a: Assignment, start: BodyOf<'TASK_START'>, announcer: PeerId): UpdateSender {
    const { taskId, groupId } = start
    const { clock, gossip } = this.#c
    const groupTopic = topics.group(this.#init.network, groupId)
    // A task this node announced itself: its announcer side follows the group topic already (a
    // topic has one handler here), and gossip does not deliver our own messages to us, so
    // updates go to the announcer side directly.
    const local = announcer.equals(this.#init.self)
    const group: JoinedGroup = { groupId, topic: groupTopic, announcer, members: new Set(start.members.map(m => m.peerId)), local }
    this.#groups.set(taskId, group)
    if (!local) {
      gossip.subscribe(groupTopic, 'group', delivery => {
        const m = delivery.message
        if (m.type === 'DISSOLVE' && delivery.from.equals(announcer)) this.#leaveGroup(taskId, groupTopic)
      }, { authorize: (_m, signer) => signer.equals(announcer) || group.members.has(signer.toString()) })
    }
    this.#c.groups.joined({ taskId, groupId, announcer: announcer.toString(), members: start.members, deadline: start.deadline })
    clock.clearTimeout(a.groupTimer)
    a.groupTimer = clock.setTimeout(() => { if (local) this.#groups.delete(taskId); else this.#leaveGroup(taskId, groupTopic) }, Math.max(0, start.deadline - clock.now()) + GROUP_LINGER_MS)
    return update => {
      if (local) this.#c.messenger.request(announcer, update).catch(() => {})
      else gossip.publish(groupTopic, update).catch(() => {})
    }
  }

  #leaveGroup (taskId: string, topic: string): void {
    const a = this.#state.assigned.get(taskId)
    if (a !== undefined) this.#c.clock.clearTimeout(a.groupTimer)
    if (this.#groups.get(taskId)?.topic === topic) this.#groups.delete(taskId)
    this.#c.groups.left(topic)
    this.#c.gossip.dropGroupKeys(topic)
    this.#c.gossip.unsubscribe(topic)
  }
}
