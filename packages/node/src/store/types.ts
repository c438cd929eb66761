/**
 * The records the node keeps in its embedded store: tasks (as announcer or as member), the audit
 * log, skill statistics and peer reputations, and the filters used to list them.
 */
import type { Json } from '@swarm/protocol'
import type { SkillStats } from '../core/skill-stats.js'
import type { TaskState } from '../core/task-machine.js'

/** Which side of a task a stored row describes. */
export type TaskRole = 'announcer' | 'member'

/** Every {@link TaskRole}. */
export const TASK_ROLES: readonly TaskRole[] = Object.freeze(['announcer', 'member'])

/**
 * A task this node announced (`role: 'announcer'`) or works on as a group member
 * (`role: 'member'`). One row per task id and role: a node that announces a task and also works on
 * it keeps two rows.
 */
export interface StoredTask {
  taskId: string
  role: TaskRole
  /** The announce spec as given. */
  spec: Json
  /** The state machine's state (the member's own view for member rows). */
  state: TaskState
  /** Status to filter on; normally `state.status`, members may keep their own wording. */
  status: string
  /** Epoch ms. */
  createdAt: number
  /** Epoch ms. */
  updatedAt: number
  /** The (aggregated) result once there is one. */
  result?: Json
  groupId?: string
  /** Peer id of the announcer, for member rows. */
  announcer?: string
  /** Skills this node was assigned, for member rows. */
  skills?: string[]
  /** Last checkpoint of the work, to resume after a failure. */
  checkpoint?: Json
  /**
   * For announcer rows: what the announcer needs to resume the task after a restart that the
   * state does not hold (parts kept from earlier attempts, peers excluded). Replaced on every save.
   */
  resume?: Json
}

/** Which tasks `SwarmStore.countTasks` counts. */
export interface TaskCountFilter {
  role?: TaskRole
  /** Statuses to keep; an empty list matches no task. */
  status?: string[]
  /** Keep tasks created at or after this time (epoch ms). */
  since?: number
}

/** Which tasks `SwarmStore.listTasks` returns, and which page of them. */
export interface TaskFilter extends TaskCountFilter {
  /** At most this many rows (a non-negative integer); no limit when omitted. */
  limit?: number
  /** Skip this many rows first (a non-negative integer). */
  offset?: number
}

/** One coordination decision in the append-only audit log. */
export interface AuditEntry {
  /** Position in the log, assigned by the store on append (ignored when appending). */
  seq?: number
  taskId?: string
  /** Epoch ms. */
  at: number
  /** Peer id that decided. */
  actor: string
  /** What was decided, e.g. 'announce', 'offer-received', 'group-formed', 'state:ASSIGNED->RUNNING'. */
  action: string
  /** Why, and with which facts. */
  detail?: Json
}

/** Which audit entries `SwarmStore.listAudit` returns. */
export interface AuditFilter {
  taskId?: string
  /** Only entries with a sequence number greater than this one (exclusive), for polling. */
  sinceSeq?: number
  /** At most this many entries (a non-negative integer). */
  limit?: number
}

/** Statistics of one skill, as listed by `SwarmStore.listSkillStats`. */
export interface SkillStatsRecord extends SkillStats {
  skill: string
}

/** Reputation of one peer, as listed by `SwarmStore.listReputations`. */
export interface ReputationRecord {
  peerId: string
  score: number
  /** When the score was set (epoch ms); absent for scores stored before this was kept. */
  updatedAt?: number
  /** Outcomes this node observed of the peer's work, and how many were successes. */
  successes: number
  outcomes: number
}

/**
 * A working group's blackboard kept with its task: the Yjs state (to resume or to serve a late
 * joiner) and a JSON snapshot (to show). One row per task and group; the announcer keeps it,
 * members keep their own copy too.
 */
export interface StoredBlackboard {
  taskId: string
  groupId: string
  /** This node's side of the task. */
  role: TaskRole
  /** The full Yjs state as one update. */
  state: Uint8Array
  /** The blackboard as plain JSON (findings, hypotheses, actions). */
  snapshot: Json
  /** Whether the group was still working when this was written. */
  live: boolean
  /** Epoch ms. */
  updatedAt: number
}

/** A proposal put to a working group, with the votes this node counted and its decision. */
export interface StoredProposal {
  proposalId: string
  taskId: string
  groupId: string
  /** The proposal as opened (the group layer's own record). */
  proposal: Json
  /** The counted votes, one per voter. */
  votes: Json
  /** `open`, `decided`, or `closed` (the group dissolved before a decision). */
  status: 'open' | 'decided' | 'closed'
  /** The tally once decided. */
  tally?: Json
  /** Epoch ms. */
  openedAt: number
  /** Epoch ms. */
  updatedAt: number
}

/** An issue handed to a human, kept by the task's announcer. */
export interface StoredEscalation {
  escalationId: string
  taskId: string
  groupId?: string
  /** The whole record (the group layer's own format). */
  record: Json
  status: 'open' | 'resolved'
  /** Epoch ms. */
  createdAt: number
  /** Epoch ms. */
  updatedAt: number
}
