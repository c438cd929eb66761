/**
 * What the control API needs of a node, and nothing more: the routes depend on this interface,
 * not on `SwarmNode` and its services, so that they are tested over a fake and the node module
 * imports the routes without the routes importing it back. `SwarmNode` implements it.
 */
import type { TaskState, TaskStatus } from '../core/task-machine.js'
import type { SkillQuery } from '../directory/agent-directory.js'
import type { EscalationRecord } from '../group/escalations.js'
import type { BlackboardView, PostFindingInput, ProposeInput, VoteInput } from '../group/inputs.js'
import type { Inbox } from '../inbox/inbox-service.js'
import type { ProposalView } from '../group/group-session.js'
import type { Logger } from '../logger.js'
import type { MetricsExposition } from '../metrics/node-metrics.js'
import type { TaskHandle } from '../negotiation/task-handle.js'
import type { TaskSpecInput } from '../negotiation/task-spec.js'
import type { AuditEntry, StoredTask, TaskRole } from '../store/types.js'
import type { AgentView, NodeStatus, PeerInfo, SwarmNodeEvents } from '../types.js'
import type { AccessView } from '../net/access.js'
import type { VerifyReport } from '../ledger/verify-report.js'
import type { WorkflowService } from '../workflow/service.js'
import type { PeerId } from '@libp2p/interface'

/** The workflow operations the routes offer: those of the node's workflow service. */
export type WorkflowApi = Pick<WorkflowService, 'run' | 'get' | 'view' | 'list' | 'cancel' | 'audit'>

/** The working-group operations the routes offer: those of the node's group service. */
export interface GroupApi {
  /** Proposals this node saw, newest first; only a task's when `taskId` is given. */
  proposals: (taskId?: string) => ProposalView[]
  /** One proposal with its votes and tally. */
  proposal: (proposalId: string) => ProposalView | undefined
  /** Puts a proposal to the working group of a task. */
  propose: (taskId: string, input: ProposeInput) => Promise<ProposalView>
  /** Votes on a proposal of a group this node is a member of. */
  vote: (proposalId: string, input: VoteInput) => ProposalView
  /**
   * Posts a finding, authored and signed by this node, on the blackboard of the task's live group
   * (this node must be its announcer or a member); returns its id. GROUP_NOT_FOUND otherwise.
   */
  postFinding: (taskId: string, input: PostFindingInput) => string
  /** The blackboard of a task: its live group's, else the one kept when the group dissolved. */
  blackboard: (taskId: string) => BlackboardView | undefined
  /** Escalations this node keeps (as announcer) or heard of (as member), newest first. */
  escalations: (filter?: { status?: 'open' | 'resolved', taskId?: string }) => EscalationRecord[]
  /** Records a human's decision on an escalation this node keeps as announcer. */
  resolveEscalation: (escalationId: string, decision: string) => EscalationRecord
}

/** The inbox operations the routes offer: those of the node's inbox (work external agents pull). */
export type InboxApi = Pick<Inbox, 'list' | 'claim' | 'progress' | 'complete' | 'fail' | 'release'>

/** A task this node announced in this run, while its announcer still follows it. */
export interface LiveTask {
  /** Replays its events so far and follows the rest (see `TaskHandle.events`). */
  handle: TaskHandle
  status: TaskStatus
}

/** Which tasks `NodeApi.tasks` lists (announced, or worked on as a member), and which page of them. */
export interface TaskListQuery {
  /** The side of the tasks: `announcer` (the default) or `member`. */
  role?: TaskRole
  limit: number
  offset: number
  /** Only tasks in one of these statuses. */
  status?: TaskStatus[]
}

/** The node as the control API sees it. */
export interface NodeApi {
  readonly peerId: PeerId
  readonly log: Logger
  /** Absent when the node's config turns metrics off. */
  readonly metrics?: { exposition: () => Promise<MetricsExposition> }
  readonly groups: GroupApi
  readonly workflows: WorkflowApi
  readonly inbox: InboxApi
  status: () => NodeStatus
  peers: () => PeerInfo[]
  /** Known agents (this one included), or those with a skill at a minimum level. */
  agents: (query?: SkillQuery) => AgentView[]
  announce: (spec: TaskSpecInput) => Promise<TaskHandle>
  /** Cancels a task this node announced and still follows (see {@link NodeApi.liveTask}). */
  cancel: (taskId: string, reason?: string) => Promise<TaskState>
  /** Tasks this node announced (or, with `role: 'member'`, worked on), newest first, earlier runs included. */
  tasks: (query: TaskListQuery) => StoredTask[]
  /** One stored task (in `role`; without one, as announcer, else as member) with its audit trail. */
  task: (taskId: string, role?: TaskRole) => { task: StoredTask, audit: AuditEntry[] } | undefined
  /** The live side of a task announced in this run; `undefined` for others and for earlier runs. */
  liveTask: (taskId: string) => LiveTask | undefined
  /** Listens to every event the node emits; returns the function that stops listening. */
  onAny: (listener: (event: keyof SwarmNodeEvents & string, payload: unknown) => void) => () => void
  /** Who may connect: the allow and deny lists, and the peers blocked at run time. */
  access: () => AccessView
  /** Blocks a peer (kept across restarts) and hangs up on it. */
  block: (peerId: string, reason?: string) => Promise<AccessView>
  /** Lifts a run-time block. */
  unblock: (peerId: string) => AccessView
  /** Checks the stored award of a task, or the vote certificate of a proposal; undefined when neither is stored. */
  verify: (id: string) => Promise<VerifyReport | undefined>
}
