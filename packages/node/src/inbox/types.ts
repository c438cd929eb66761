/**
 * What the inbox shows and takes: the views of a part (`GET /v1/inbox`) and of a claim
 * (`POST /v1/inbox/claim`), the requests of a worker, and the inbox events. Types only.
 */
import type { GroupMember, Json, WorkflowTag } from '@swarm/protocol'

/** Where a part is: waiting for a worker, or claimed by one (under a lease). */
export type InboxPartState = 'waiting' | 'claimed'

/** A part as listed: what a worker needs to decide whether to claim it. */
export interface InboxPartView {
  partId: string
  taskId: string
  groupId: string
  skill: string
  description: string
  state: InboxPartState
  /** Epoch ms by which the whole task must be done. */
  deadline: number
  /** 1 for the task's first run, 2 for its first retry, … */
  attempt: number
  /** When the node put the part in the inbox (epoch ms). */
  enqueuedAt: number
  members: GroupMember[]
  /** The worker that holds it (as it named itself), when claimed. */
  worker?: string
  /** When the claim's lease ends (epoch ms), when claimed. */
  leaseEndsAt?: number
  workflow?: WorkflowTag
  /** Whether a checkpoint (of an earlier worker or member) comes with a claim. */
  hasCheckpoint: boolean
}

/** A part as its claimer gets it: the view, the claim's id and lease, the input and the checkpoint to resume from. */
export interface InboxClaim extends InboxPartView {
  claimId: string
  leaseEndsAt: number
  input: Json
  checkpoint?: Json
}

/** What a worker asks `claim` for. */
export interface ClaimRequest {
  /** Only parts of these skills (default: any). */
  skills?: string[]
  /** The worker's name, shown in the listing and the events. */
  worker?: string
  /** The lease asked for (default: the skill's handler `leaseMs`). */
  leaseMs?: number
  /** How long to wait for a part when none is waiting (0: answer at once). */
  waitMs?: number
}

export interface ProgressRequest {
  claimId?: string
  fraction?: number
  message?: string
  checkpoint?: Json
}

export interface CompleteRequest {
  claimId?: string
  output: Json
}

export interface FailRequest {
  claimId?: string
  message: string
}

export interface ReleaseRequest {
  claimId?: string
  reason?: string
}

/** What a part ended with, in `inbox:ended`. */
export type InboxEndHow = 'completed' | 'failed' | 'handed-back' | 'aborted'

/** Events of the inbox, on the node's emitter. */
export interface InboxEvents {
  /** A part waits for a worker (newly enqueued, or back after a release or an ended lease). */
  'inbox:queued': { partId: string, taskId: string, skill: string }
  'inbox:claimed': { partId: string, taskId: string, skill: string, worker: string }
  'inbox:ended': { partId: string, taskId: string, skill: string, how: InboxEndHow }
}
