/**
 * The groups this node is in now, shared by every part of the group service: one {@link Live}
 * record per group (its session, topic, timers, waiters, escalations heard of) and the lookups
 * by group, task and proposal id. What outlives a group (proposals, the blackboard) is in the
 * store: memory does not grow with the groups a node was ever in.
 */
import { SwarmError } from '../errors.js'
import { Blackboard } from './blackboard.js'
import { GroupSession } from './group-session.js'
import type { EscalationRecord } from './escalations.js'
import type { ProposalView } from './group-session.js'
import type { ProposalDecider, VerifyDecider } from './inputs.js'
import type { Logger } from '../logger.js'
import type { Clock, TimerHandle } from '../ports/clock.js'
import type { GossipDelivery, GossipHandler } from '../ports/gossip.js'
import type { GroupMember } from '@swarm/protocol'

export type GroupRole = 'announcer' | 'member'

/** What the negotiation layer tells the service when this node joins a group. */
export interface JoinInfo {
  taskId: string
  groupId: string
  announcer: string
  members: GroupMember[]
  role: GroupRole
  /** The announcer takes up a group of an earlier run of this node (its stored claims with it). */
  resumed?: boolean
  /** The task's deadline (epoch ms): no proposal of the group lasts longer. */
  deadline?: number
}

/** One group this node is in. */
export interface Live {
  readonly session: GroupSession
  /** The group's members-only gossip topic. */
  readonly topic: string
  /** This node's roles in the group (the announcer may also be a member of its own group). */
  readonly roles: Set<GroupRole>
  deadlineTimer?: TimerHandle
  saveTimer?: TimerHandle
  resyncTimer?: TimerHandle
  /** Unsubscribes the blackboard listeners, on leave. */
  readonly off: Array<() => void>
  /** Outcome of this node's own parts, by skill (for its verification vote). */
  readonly ownResults: Map<string, boolean>
  readonly verifyDeciders: VerifyDecider[]
  /** Deciders of this member's votes on the others' proposals (handlers' onProposal). */
  readonly proposalDeciders: ProposalDecider[]
  /** Callers of `decision(...)` waiting, by proposal id. */
  readonly waiters: Map<string, Array<(view: ProposalView) => void>>
  /** Escalations of this group this node heard of, by id. */
  readonly escalations: Map<string, EscalationRecord>
  /** This group's gossip handler (the same function on subscribe and in tests). */
  readonly handler: GossipHandler
  /** The task's deadline, when the negotiation layer told it (proposal deadlines are clamped to it). */
  readonly taskDeadline?: number
}

/** A new record for a group this node joins; `onGossip` receives the group topic's messages. */
export function createLive (info: JoinInfo, self: string, topic: string, log: Logger, onGossip: (live: Live, delivery: GossipDelivery) => void): Live {
  const session = new GroupSession({
    taskId: info.taskId,
    groupId: info.groupId,
    self,
    announcer: info.announcer,
    members: info.members,
    blackboard: new Blackboard({ onListenerError: err => { log.warn('blackboard listener failed', { err }) } })
  })
  const live: Live = {
    session,
    topic,
    roles: new Set([info.role]),
    off: [],
    ownResults: new Map(),
    verifyDeciders: [],
    proposalDeciders: [],
    waiters: new Map(),
    escalations: new Map(),
    handler: delivery => { onGossip(live, delivery) },
    ...(info.deadline !== undefined ? { taskDeadline: info.deadline } : {})
  }
  return live
}

/** Stops a group's timers (deadline, pending blackboard save, resync). */
export function clearTimers (clock: Clock, live: Live): void {
  clock.clearTimeout(live.deadlineTimer)
  clock.clearTimeout(live.resyncTimer)
  clock.clearTimeout(live.saveTimer)
  live.deadlineTimer = undefined
  live.resyncTimer = undefined
  live.saveTimer = undefined
}

/** The registry of live groups, by group id, with the current group of each task. */
export class LiveGroups {
  readonly #byGroup = new Map<string, Live>()
  /** Task id → group id of its current group on this node. */
  readonly #taskGroup = new Map<string, string>()
  /** Set when the service stops: no more joins, timers or saves. */
  stopped = false

  get (groupId: string): Live | undefined {
    return this.#byGroup.get(groupId)
  }

  /** Whether the group is still live (a timer or reply may outlast it). */
  has (groupId: string): boolean {
    return this.#byGroup.has(groupId)
  }

  values (): IterableIterator<Live> {
    return this.#byGroup.values()
  }

  /** Registers a group, as the current group of its task. */
  add (live: Live): void {
    this.#byGroup.set(live.session.groupId, live)
    this.#taskGroup.set(live.session.taskId, live.session.groupId)
  }

  /** Forgets a group; its task's entry too, unless the task has moved on to another group. */
  remove (live: Live): void {
    const { groupId, taskId } = live.session
    this.#byGroup.delete(groupId)
    if (this.#taskGroup.get(taskId) === groupId) this.#taskGroup.delete(taskId)
  }

  /** The live group of a task. */
  ofTask (taskId: string): Live | undefined {
    const groupId = this.#taskGroup.get(taskId)
    return groupId === undefined ? undefined : this.#byGroup.get(groupId)
  }

  /** The live group of a task; throws GROUP_NOT_FOUND when this node is in none. */
  require (taskId: string): Live {
    const live = this.ofTask(taskId)
    if (live === undefined) {
      throw new SwarmError('GROUP_NOT_FOUND', `this node is not in a working group of task ${taskId} (it is not its announcer or a member, or the group has dissolved)`, { taskId })
    }
    return live
  }

  /** The live group that holds a proposal. */
  ofProposal (proposalId: string): Live | undefined {
    for (const live of this.#byGroup.values()) if (live.session.hasProposal(proposalId)) return live
    return undefined
  }
}
