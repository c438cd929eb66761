/** Codes of the errors a node raises to its user. */
export type SwarmErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_NOT_FOUND'
  | 'PORT_IN_USE'
  | 'ADDRESS_INVALID'
  | 'DATA_DIR'
  /** Another running node holds the data directory's lock (the CLI exits 6). */
  | 'DATA_DIR_IN_USE'
  | 'NOT_STARTED'
  | 'NO_CAPABLE_PEERS'
  | 'TASK_NOT_FOUND'
  | 'TASK_STATE'
  | 'API_UNAUTHORIZED'
  | 'API_BAD_REQUEST'
  | 'API_UNREACHABLE'
  | 'HANDLER'
  | 'TIMEOUT'
  | 'NODE_VERSION'
  | 'GROUP_NOT_FOUND'
  | 'PROPOSAL_NOT_FOUND'
  | 'VOTE_REJECTED'
  | 'ESCALATION_NOT_FOUND'
  | 'ESCALATION_STATE'
  /** A peer is refused: another swarm key, or not on this node's allow list / on its deny list. */
  | 'ACCESS_DENIED'
  /** A workflow file that cannot run (the details name every problem: step and field). */
  | 'WORKFLOW_INVALID'
  | 'WORKFLOW_NOT_FOUND'
  | 'WORKFLOW_STATE'
  /** No part of that id waits or is claimed in this node's inbox (it never was, or it ended). */
  | 'INBOX_PART_NOT_FOUND'
  /** The claim id given is not the part's current claim: its lease ended (the part went back, or to another worker). */
  | 'INBOX_CLAIM_STALE'
  /** The part is waiting: no worker holds it, so it cannot be completed, failed or reported on. */
  | 'INBOX_NOT_CLAIMED'

/**
 * An error with a stable code and a message that tells the user what to do about it.
 */
export class SwarmError extends Error {
  readonly code: SwarmErrorCode
  /** Extra facts for logs and API responses. */
  readonly details: Readonly<Record<string, unknown>>

  constructor (code: SwarmErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'SwarmError'
    this.code = code
    this.details = details
  }
}

export function isSwarmError (err: unknown): err is SwarmError {
  return err instanceof SwarmError
}
