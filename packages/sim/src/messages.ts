import type { AdversarySpec } from './scenario.js'
import type { TaskPlan } from './plan.js'
import type { AdversaryKind } from './scenario.js'
import type { NodeConfigInput } from '@swarm/node'

/** Coordinator → worker. */
export type WorkerCommand =
  | { type: 'start', peers: Array<{ index: number, config: NodeConfigInput, adversary?: AdversarySpec }> }
  | { type: 'announce', task: TaskPlan, spec: { bidWindowMs: number, deadlineMs: number, maxAttempts: number } }
  | { type: 'kill', peers: number[] }
  | { type: 'restart', peers: Array<{ index: number, config: NodeConfigInput }> }
  | { type: 'block', peers: number[], blocked: string[] }
  | { type: 'unblock', peers: number[] }
  | { type: 'stats' }
  | { type: 'health' }
  | { type: 'stop' }
  /** Read the honest peers' gossipsub score of these attackers (peer ids) every `everyMs`. */
  | { type: 'watch', attackers: string[], everyMs: number }
  /** Start the attacks of this thread's adversaries now. */
  | { type: 'attack' }
  /** Stop the attacks and the score sampling; answer what they counted. */
  | { type: 'adversary-stats' }
  /**
   * Blocks the worker thread's event loop (its peers answer nothing, their connections stay
   * open) until the coordinator sets `signal`'s first Int32 to non-zero and notifies it.
   */
  | { type: 'freeze', signal: SharedArrayBuffer }

/** How one task ended, as its announcer saw it. */
export interface TaskRecord {
  index: number
  taskId: string
  announcer: number
  status: string
  ok: boolean
  reason?: string
  attempts: number
  formationMs?: number
  totalMs?: number
  members: string[]
  /** Every peer that was in a group of the task at some point (all attempts, replaced members too). */
  everMembers?: string[]
  /** Members replaced while the task ran (a backup took over their part). */
  replaced?: Array<{ skill: string, from: string, to: string, at: number, reason?: string }>
  announcedAt: number
  finishedAt: number
}

export interface PeerStats {
  index: number
  peerId: string
  alive: boolean
  tasksRun: number
  offersSent: number
  gossipPublished: number
  gossipDelivered: number
  gossipRejected: number
  directRequests: number
  directBytes: number
  gossipPublishedByType: Record<string, number>
  gossipDeliveredByType: Record<string, number>
  directByType: Record<string, { requests: number, bytes: number }>
}

/** What one malicious peer did (see adversary.ts). */
export interface AttackerStats {
  index: number
  peerId: string
  kind: AdversaryKind
  /** Epoch ms of its first malicious message (a liar: of the first part it accepted and never delivers). */
  firstMisbehaviourAt?: number
  /** Messages sent, by what they were (undecodable, wrongChannel, announces, cards, lockouts). */
  sent: Record<string, number>
  /** Answers to its direct announcements: reserved (an offer came back), refused <code>. */
  answers: Record<string, number>
  /** Sends that failed (no peer to publish to, stream errors, timeouts). */
  errors: number
}

/** One honest peer's view of one attacker's gossipsub score, over the sampling. */
export interface ScoreObservation {
  attacker: string
  /** Plan index of the honest peer. */
  observer: number
  /** Epoch ms of the first sample where the attacker was among the observer's gossip peers. */
  seenAt?: number
  /** Epoch ms of the first sample where the score was below the graylist threshold. */
  belowAt?: number
  minScore: number
  lastScore: number
}

/** What the honest peers of one thread refused and limited, summed. */
export interface HonestCounters {
  /** Gossip that failed validation, by reason (GossipRouter stats). */
  gossipRejected: Record<string, number>
  /** swarm_limited_total by kind (when the peers' metrics are on and the counter exists). */
  limited: Record<string, number>
  /** swarm_peer_penalties_total by reason (when the peers' metrics are on). */
  penalties: Record<string, number>
  /** The most agents any honest peer's directory held at the end (sybil cards count). */
  agentsKnownMax: number
}

/** Worker → coordinator. */
export type WorkerEvent =
  | { type: 'started', peers: Array<{ index: number, peerId: string, addr: string }> }
  | { type: 'start-failed', index: number, error: string }
  | { type: 'task', record: TaskRecord }
  | { type: 'announce-failed', index: number, announcer: number, error: string, at: number }
  | { type: 'killed', peers: number[] }
  | { type: 'restarted', peers: Array<{ index: number, peerId: string, addr: string }> }
  | { type: 'blocked', peers: number[] }
  /** memory: the worker thread's own V8 heap and external (Buffer) memory, in bytes. */
  | { type: 'stats', peers: PeerStats[], memory: { heapUsed: number, external: number } }
  /** eventLoopLagMs: the longest the worker thread's event loop was stuck since its last health report. */
  | { type: 'health', connections: number, pendingStreams: number, agentsKnownMin: number, agentsKnownTotal: number, eventLoopLagMs: number }
  | { type: 'stopped' }
  /** Sent just before the worker thread blocks; `thawed` when it runs again. */
  | { type: 'frozen', peers: number[], at: number }
  | { type: 'thawed', peers: number[] }
  | { type: 'error', error: string }
  | { type: 'attacking', attackers: number }
  /** graylistThreshold: the gossipsub graylist threshold of this thread's honest peers (undefined without any). */
  | { type: 'adversary-stats', attackers: AttackerStats[], scores: ScoreObservation[], graylistThreshold?: number, honest: HonestCounters }
