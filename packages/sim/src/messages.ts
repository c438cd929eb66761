import type { TaskPlan } from './plan.js'
import type { NodeConfigInput } from '@swarm/node'

/** Coordinator → worker. */
export type WorkerCommand =
  | { type: 'start', peers: Array<{ index: number, config: NodeConfigInput }> }
  | { type: 'announce', task: TaskPlan, spec: { bidWindowMs: number, deadlineMs: number, maxAttempts: number } }
  | { type: 'kill', peers: number[] }
  | { type: 'restart', peers: Array<{ index: number, config: NodeConfigInput }> }
  | { type: 'block', peers: number[], blocked: string[] }
  | { type: 'unblock', peers: number[] }
  | { type: 'stats' }
  | { type: 'health' }
  | { type: 'stop' }
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
