import type { Json } from '@swarm/protocol'

/** Outcomes that move an agent's reputation. */
export type ReputationOutcome = 'success' | 'failure' | 'no-show'

/** Reputation this node holds for other agents (first-hand, persisted). */
export interface ReputationPort {
  /** The current score of a peer, in [0, 1] (a default for peers never seen). */
  of: (peerId: string) => number
  /** Moves a peer's score after an outcome this node observed. */
  record: (peerId: string, outcome: ReputationOutcome) => void
  /** Outcomes this node recorded for a peer since it started (first-hand evidence for scoring). */
  observed: (peerId: string) => { successes: number, total: number }
}

/**
 * Records a coordination decision of one task in the audit trail (store and log). Bound to the
 * role this node has in the task (announcer or member) by the ledger.
 */
export type AuditFn = (taskId: string, action: string, detail?: Json) => void
