/**
 * What the group layer needs of the node's store: blackboards, proposals and escalations. The
 * subset of {@link SwarmStore} it uses, so that unit tests hand it an in-memory fake.
 */
import type { StoredBlackboard, StoredEscalation, StoredProposal } from '../store/types.js'
import type { Json } from '@swarm/protocol'

export interface GroupStore {
  /** False once the node closed the store (late writes of a stopping node are skipped). */
  readonly isOpen: boolean
  saveBlackboard: (board: StoredBlackboard) => void
  /** A task's blackboards, newest first. */
  listBlackboards: (taskId: string) => StoredBlackboard[]
  saveProposal: (proposal: StoredProposal) => void
  getProposal: (proposalId: string) => StoredProposal | undefined
  /** Proposals, newest first; only a task's when `taskId` is given. */
  listProposals: (filter?: { taskId?: string, limit?: number }) => StoredProposal[]
  saveEscalation: (escalation: StoredEscalation) => void
  getEscalation: (escalationId: string) => StoredEscalation | undefined
  /** Escalations, newest first. */
  listEscalations: (filter?: { status?: 'open' | 'resolved', taskId?: string, limit?: number }) => StoredEscalation[]
  /** The claims table of a group this node is the announcer of (claims.ts), kept for a restart. */
  saveClaims: (groupId: string, taskId: string, state: Json, updatedAt: number) => void
  getClaims: (groupId: string) => Json | undefined
  deleteClaims: (groupId: string) => void
}
