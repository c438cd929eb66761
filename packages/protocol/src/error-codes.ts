import { z } from 'zod'

/**
 * Every `code` an ERROR body may carry, so that a requester can act on a refusal by its code
 * (release a lease, try another peer, give up) instead of parsing free text. Grouped by who
 * sends them; docs/protocol.md ("ERROR") says when each is sent. A node that needs a new reason
 * adds it here, which makes it part of the wire contract.
 */
export const DIRECT_ERROR_CODES = [
  // The request could not be decoded (the codec's ProtocolErrorCode); such an ERROR has no `ref`.
  'OVERSIZED',
  'MALFORMED',
  'UNSUPPORTED_VERSION',
  'INVALID_MESSAGE',
  // Any request.
  'STOPPING',
  'INTERNAL',
  'UNEXPECTED',
  // Any request, when the requester sends more of its kind than this node takes (docs/operations.md, "Limits").
  'RATE_LIMITED',
  // A direct TASK_ANNOUNCE declined by the bidder.
  'NOT_CAPABLE',
  'NO_CAPACITY',
  'DUPLICATE',
  'TOO_LATE',
  // A SKILL_OFFER or TASK_COMPLETE refused by the announcer.
  'BIDDING_CLOSED',
  'UNKNOWN_TASK',
  'NO_MATCH',
  // A SKILL_OFFER whose signature does not verify (see "Signed offers and awards").
  'BAD_SIGNATURE',
  // A TASK_START for a group the member did not accept.
  'NOT_ASSIGNED',
  // Group requests (GROUP_SYNC_REQUEST, ESCALATE) and results from a peer outside the group.
  'NOT_A_MEMBER',
  'UNKNOWN_GROUP',
  'INVALID_STATE_VECTOR',
  // The input protocol.
  'FORBIDDEN',
  'INPUT_FETCH_FAILED'
] as const

export const DirectErrorCodeSchema = z.enum(DIRECT_ERROR_CODES)
export type DirectErrorCode = z.infer<typeof DirectErrorCodeSchema>
