import { createMessage, topics } from '@swarm/protocol'
import { commitReservation } from '../../core/capacity.js'
import { GROUP_LINGER_MS, START_GRACE_MS } from './constants.js'
import type { Assignment, BidderState } from './state.js'
import type { BidderComponents, BidderInit } from './types.js'
import type { UpdateSender, Work } from './work.js'
import type { PeerId } from '@libp2p/interface'
import type { BodyOf, MessageOf, SwarmMessage } from '@swarm/protocol'

export type AssignmentsComponents = Pick<BidderComponents, 'gossip' | 'messenger' | 'clock' | 'skills' | 'events' | 'audit' | 'onLoad' | 'groups' | 'history'>

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
    return createMessage('GROUP_ACCEPT', { taskId, groupId })
  }

  onFormed (message: MessageOf<'GROUP_FORMED'>, from: PeerId): SwarmMessage {
    const { taskId, groupId, members } = message.body
    const self = this.#init.self.toString()
    const a = this.#state.fromAnnouncer(taskId, from)
    if (a !== undefined && !members.some(m => m.peerId === self)) {
      this.#state.release(taskId, 'group formed without us')
    } else if (a !== undefined) {
      const assignment = this.#state.assigned.get(taskId)
      if (assignment !== undefined && assignment.groupId !== groupId) this.#state.release(taskId, 'group formed without us')
    }
    return createMessage('ACK', { ref: message.id })
  }

  onCancel (message: MessageOf<'TASK_CANCEL'>, from: PeerId): SwarmMessage {
    const { taskId, reason } = message.body
    if (this.#state.fromAnnouncer(taskId, from) !== undefined) {
      this.#c.audit(taskId, 'cancelled-by-announcer', { reason })
      this.#state.release(taskId, reason)
    }
    return createMessage('ACK', { ref: message.id })
  }

  onStart (message: MessageOf<'TASK_START'>, from: PeerId): SwarmMessage {
    const { taskId, groupId } = message.body
    const a = this.#state.assigned.get(taskId)
    if (a === undefined || !a.announcement.announcer.equals(from) || a.groupId !== groupId) {
      return createMessage('ERROR', { ref: message.id, code: 'NOT_ASSIGNED', message: 'this node did not accept an invite to that group' })
    }
    if (a.running) return createMessage('ACK', { ref: message.id })
    a.running = true
    a.skills = message.body.members.find(m => m.peerId === this.#init.self.toString())?.skills ?? a.skills
    const sendUpdate = this.#joinGroup(a, message.body, from)
    void this.#work.run(a, message.body, from, sendUpdate)
    return createMessage('ACK', { ref: message.id })
  }

  /**
   * Follows the group's topic (to hear the announcer dissolve it) until the deadline has passed,
   * tells the group layer, and returns how this member's updates reach the announcer.
   */
  #joinGroup (a: Assignment, start: BodyOf<'TASK_START'>, announcer: PeerId): UpdateSender {
    const { taskId, groupId } = start
    const { clock, gossip } = this.#c
    const groupTopic = topics.group(this.#init.network, groupId)
    const memberIds = new Set([...start.members.map(m => m.peerId), announcer.toString()])
    // A task this node announced itself: its announcer side follows the group topic already (a
    // topic has one handler here), and gossip does not deliver our own messages to us, so
    // updates go to the announcer side directly.
    const local = announcer.equals(this.#init.self)
    if (!local) {
      gossip.subscribe(groupTopic, 'group', delivery => {
        const m = delivery.message
        if (m.type === 'DISSOLVE' && delivery.from.equals(announcer)) this.#leaveGroup(taskId, groupTopic)
      }, (m, signer) =>
        // The announcer may say anything; progress may also come from a member that replaced
        // another after this one started (members do not act on progress, so it is harmless).
        signer.equals(announcer) || memberIds.has(signer.toString()) || m.type === 'TASK_UPDATE' || m.type === 'HEARTBEAT')
    }
    this.#c.groups.joined({ taskId, groupId, announcer: announcer.toString(), members: start.members })
    clock.clearTimeout(a.groupTimer)
    a.groupTimer = clock.setTimeout(() => { if (!local) this.#leaveGroup(taskId, groupTopic) }, Math.max(0, start.deadline - clock.now()) + GROUP_LINGER_MS)
    return update => {
      if (local) this.#c.messenger.request(announcer, update).catch(() => {})
      else gossip.publish(groupTopic, update).catch(() => {})
    }
  }

  #leaveGroup (taskId: string, topic: string): void {
    const a = this.#state.assigned.get(taskId)
    if (a !== undefined) this.#c.clock.clearTimeout(a.groupTimer)
    this.#c.groups.left(topic)
    this.#c.gossip.unsubscribe(topic)
  }
}
