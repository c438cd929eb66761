import type { GroupMember } from '@swarm/protocol'

/** An offer this node sent: what it was told of the task when it offered. */
export interface MemberOffered {
  taskId: string
  announcer: string
  attempt: number
  description: string
  priority: string
  deadline: number
  /** The required skills this node covers. */
  skills: string[]
  at: number
}

/** The outcome of one part (one skill) this member ran. */
export interface MemberPartOutcome {
  taskId: string
  groupId: string
  skill: string
  ok: boolean
  durationMs: number
  error?: { code: string, message: string }
  /** Set when the part was not finished here but handed to a backup (`to`, when the announcer named it). */
  handedOff?: { reason: string, to?: string }
  at: number
}

/**
 * Where the bidder reports the parts this node works on as a group member, so that the node
 * keeps a history of them (`swarm-node tasks --role member`). Each call is one step of a task
 * on this side; an implementation never throws into the negotiation.
 */
export interface MemberHistory {
  /** An offer went out (not persisted alone: most offers are not chosen). */
  offered: (info: MemberOffered) => void
  /** This node accepted an invite: from here on the task is in its history. */
  accepted: (info: { taskId: string, announcer: string, attempt: number, groupId: string, skills: string[], at: number }) => void
  /** The announcer started the group: the handlers run now. */
  started: (info: { taskId: string, groupId: string, skills: string[], members: GroupMember[], at: number }) => void
  /** One part ended (its handler's outcome). */
  partFinished: (info: MemberPartOutcome) => void
  /** Every part ended; the slot is free. */
  finished: (info: { taskId: string, at: number }) => void
  /** The assignment was let go (cancelled, formed without us, no start, node stopping). */
  released: (info: { taskId: string, reason: string, at: number }) => void
}
