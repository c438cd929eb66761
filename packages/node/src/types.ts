/**
 * Types shared by the node's facade, its control API, metrics and the CLI: the events a node
 * emits and the views it gives of itself. A module of types only, so that nothing needs to
 * import the node to name them.
 */
import type { LlmCall } from './llm/llm-handler.js'
import type { LlmTotalsView } from './llm/llm-totals.js'
import type { NodeConfig } from './config.js'
import type { DirectoryServiceEvents } from './directory/directory-service.js'
import type { GroupEvents } from './group/group-service.js'
import type { InboxEvents } from './inbox/types.js'
import type { BidderEvents } from './negotiation/bidder/index.js'
import type { TaskLifecycleEvent } from './negotiation/task-handle.js'
import type { GossipStats } from './net/gossip.js'
import type { TaskRole } from './store/types.js'
import type { WorkflowEvents } from './workflow/types.js'
import type { SkillAd } from '@swarm/protocol'

type TaskEventName = `task:${TaskLifecycleEvent['type']}`
type TaskEvents = { [K in TaskEventName]: Extract<TaskLifecycleEvent, { type: K extends `task:${infer T}` ? T : never }> }

/** Events a node emits to library users and to the control API's event stream. */
export interface SwarmNodeEvents extends DirectoryServiceEvents, BidderEvents, TaskEvents, GroupEvents, WorkflowEvents, InboxEvents {
  'peer:connect': { peerId: string }
  'peer:disconnect': { peerId: string }
  'node:stopping': Record<string, never>
  /** A model call of an llm skill ended (llm/llm-handler.ts). */
  'llm:call': LlmCall
}

export interface NodeStatus {
  peerId: string
  name: string
  network: string
  /** agent, or registry (the optional bootstrap registry). */
  role: NodeConfig['role']
  software: { name: string, version: string }
  startedAt: number
  uptimeMs: number
  addrs: string[]
  api: string | null
  /** URL of the A2A server, when the node serves A2A (a2a.listen). */
  a2a: string | null
  dataDir: string
  connections: number
  peers: number
  agents: number
  capacity: number
  load: number
  skills: SkillAd[]
  topics: string[]
  gossip: GossipStats
  /** This agent's model calls (its llm skills), in all and per skill. */
  llm: LlmTotalsView
}

export interface PeerInfo {
  peerId: string
  addrs: string[]
  direction: 'inbound' | 'outbound'
  streams: number
  rttMs?: number
  /** Gossipsub's score of the peer (below −80 it is graylisted: docs/operations.md, "Peer scoring"). */
  score?: number
  /** Whether the score is below the graylist threshold: everything the peer gossips is dropped unread. */
  graylisted?: boolean
  /** Our penalty book's score of the peer (0: never charged; it halves every penalties.halfLifeMs). */
  penalty?: number
}

export interface AgentView {
  peerId: string
  name: string
  self: boolean
  skills: SkillAd[]
  capacity: number
  load: number
  addrs: string[]
  version: string
  lastSeen: number
  /**
   * The reputation this node holds for the agent, 0..1, from the outcomes it observed (decayed
   * toward neutral; the newcomer prior for an agent never observed); null for the node itself.
   */
  reputation: number | null
}

/** One line of `GET /v1/tasks`: what a task list shows. */
export interface TaskSummary {
  taskId: string
  role: TaskRole
  status: string
  description: string
  skills: Array<{ name: string, minLevel: string, count: number }>
  priority?: string
  createdAt: number
  updatedAt: number
  /** When the task reached its final status. */
  finishedAt?: number
  /** Creation → final status (or → now, for a task still going). */
  durationMs: number
  reason?: string
  attempts: number
  maxAttempts: number
  groupId?: string
  members: Array<{ peerId: string, skills: string[] }>
  /** Member rows: the task's announcer. */
  announcer?: string
  /** Member rows: the parts this node ran, with their outcome. */
  parts?: Array<{ skill: string, ok: boolean, durationMs: number, error?: { code: string, message: string } }>
}
