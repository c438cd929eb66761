/**
 * One part in the inbox, as pure functions over an immutable record: claiming it under a lease,
 * checking a worker's claim id, renewing the lease, sending the part back to waiting, and what its
 * one timer means when it fires (a lease that ended, or a part nobody claimed in time). The
 * service (inbox-service.ts) holds the records, arms the timers and settles the handlers.
 */
import { SwarmError } from '../errors.js'
import type { GroupMember, Json, WorkflowTag } from '@swarm/protocol'
import type { InboxClaim, InboxPartState, InboxPartView } from './types.js'

/** What the inbox handler enqueues: the part as the member got it, and its handler's settings. */
export interface PartSpec {
  taskId: string
  groupId: string
  skill: string
  description: string
  input: Json
  deadline: number
  attempt: number
  members: GroupMember[]
  checkpoint?: Json
  workflow?: WorkflowTag
  /** How long the part may wait unclaimed before it is handed back. */
  claimTimeoutMs: number
  /** The lease of a claim that asks for none. */
  leaseMs: number
}

/** The claim a worker holds on a part. */
export interface PartClaim {
  claimId: string
  worker: string
  /** The lease's length: each progress report extends it by this much from then. */
  leaseMs: number
  leaseEndsAt: number
}

/** A part of the inbox. */
export interface PartRecord extends PartSpec {
  partId: string
  enqueuedAt: number
  /** When it last became waiting (enqueued, released, or its lease ended): the claim timeout counts from here. */
  waitingSince: number
  /** The last fraction a worker reported (a progress report with a message alone repeats it). */
  fraction: number
  claim?: PartClaim
}

/** A part with a claim. */
export type ClaimedPart = PartRecord & { claim: PartClaim }

/** A worker's operations on a claimed part. */
export type PartOperation = 'progress' | 'complete' | 'fail' | 'release'

/** What the part's timer means when it fires at `now`. */
export type TimerVerdict = 'hand-back' | 'lease-ended' | 'not-yet'

/** The worker name shown when a claimer gives none. */
const ANONYMOUS_WORKER = 'anonymous'

export function newPart (partId: string, spec: PartSpec, now: number): PartRecord {
  return { ...spec, partId, enqueuedAt: now, waitingSince: now, fraction: 0 }
}

function stateOf (part: PartRecord): InboxPartState {
  return part.claim === undefined ? 'waiting' : 'claimed'
}

/** Whether a claimer asking for `skills` (any when absent or empty) takes this part: it must wait and be of one of them. */
export function claimable (part: PartRecord, skills: readonly string[] | undefined): boolean {
  return part.claim === undefined && (skills === undefined || skills.length === 0 || skills.includes(part.skill))
}

/** The part claimed by `claim.worker` under a lease of `claim.leaseMs` (else the part's default) from `now`. */
export function claimPart (part: PartRecord, claim: { claimId: string, worker?: string, leaseMs?: number }, now: number): ClaimedPart {
  const leaseMs = claim.leaseMs ?? part.leaseMs
  return { ...part, claim: { claimId: claim.claimId, worker: claim.worker ?? ANONYMOUS_WORKER, leaseMs, leaseEndsAt: now + leaseMs } }
}

/**
 * The part a worker's `op` applies to, or the error it gets: INBOX_PART_NOT_FOUND for no part,
 * INBOX_CLAIM_STALE for a claim id that is not the current claim's, INBOX_NOT_CLAIMED for a
 * waiting part without a claim id. Without a claim id, any current claim is accepted (the API
 * token is full control anyway).
 */
export function authorize (part: PartRecord | undefined, partId: string, claimId: string | undefined, op: PartOperation): ClaimedPart {
  if (part === undefined) {
    throw new SwarmError('INBOX_PART_NOT_FOUND', `no part ${partId} in this node's inbox: it ended (completed, failed, handed back or aborted) or never existed; see GET /v1/inbox or "swarm-node inbox"`, { partId })
  }
  if (claimId !== undefined && part.claim?.claimId !== claimId) {
    const where = part.claim === undefined ? 'the part went back to waiting' : 'another worker claimed the part'
    throw new SwarmError('INBOX_CLAIM_STALE', `claim ${claimId} on part ${partId} is no longer valid: its lease ended and ${where}; claim it again to go on`, { partId, taskId: part.taskId })
  }
  if (part.claim === undefined) {
    throw new SwarmError('INBOX_NOT_CLAIMED', `part ${partId} is waiting, not claimed: claim it first (POST /v1/inbox/claim or "swarm-node claim") before you ${op} it`, { partId, taskId: part.taskId })
  }
  return { ...part, claim: part.claim }
}

/** The part with its lease extended by the claim's length from `now`. */
export function renewLease (part: ClaimedPart, now: number): ClaimedPart {
  return { ...part, claim: { ...part.claim, leaseEndsAt: now + part.claim.leaseMs } }
}

/** The part waiting again from `now` (released, or its lease ended); its checkpoint stays for the next claimer. */
export function backToWaiting (part: PartRecord, now: number): PartRecord {
  const { claim: _claim, ...rest } = part
  return { ...rest, waitingSince: now }
}

/** When the part's timer must fire: the end of its lease, or the end of its time to be claimed. */
export function timerAt (part: PartRecord): number {
  return part.claim === undefined ? part.waitingSince + part.claimTimeoutMs : part.claim.leaseEndsAt
}

/** What the part's timer firing at `now` means (a timer may fire early, or after a renewal). */
export function timerVerdict (part: PartRecord, now: number): TimerVerdict {
  if (now < timerAt(part)) return 'not-yet'
  return part.claim === undefined ? 'hand-back' : 'lease-ended'
}

export function partView (part: PartRecord): InboxPartView {
  return {
    partId: part.partId,
    taskId: part.taskId,
    groupId: part.groupId,
    skill: part.skill,
    description: part.description,
    state: stateOf(part),
    deadline: part.deadline,
    attempt: part.attempt,
    enqueuedAt: part.enqueuedAt,
    members: part.members,
    ...(part.claim !== undefined ? { worker: part.claim.worker, leaseEndsAt: part.claim.leaseEndsAt } : {}),
    ...(part.workflow !== undefined ? { workflow: part.workflow } : {}),
    hasCheckpoint: part.checkpoint !== undefined
  }
}

export function claimView (part: ClaimedPart): InboxClaim {
  return {
    ...partView(part),
    claimId: part.claim.claimId,
    leaseEndsAt: part.claim.leaseEndsAt,
    input: part.input,
    ...(part.checkpoint !== undefined ? { checkpoint: part.checkpoint } : {})
  }
}
