/**
 * Frame limits per message type on direct and input streams (docs/protocol.md, "Frame limits
 * per type"): most requests need far less than a stream may carry.
 */
import { LIMITS } from './limits.js'
import type { MessageType } from './schemas.js'

/** Room for the envelope and the small fields around a message's large one. */
const ENVELOPE_ROOM_BYTES = 64 * 1024
/** A request made of ids, names and numbers only. */
const SMALL_REQUEST_BYTES = 16 * 1024

/**
 * Largest encoded request of each type on a direct or input stream, where the type needs far
 * less than the stream's limit (LIMITS.maxStreamMessageBytes; inputs by reference have their
 * own protocol and limit, LIMITS.maxFetchedInputBytes). A stream is read up to the largest
 * limit of its protocol, since the type is known only once decoded; a decoded request over its
 * type's limit is refused as OVERSIZED like one over the stream's. Types not named here may
 * use the whole stream limit. docs/protocol.md, "Frame limits per type".
 */
export const REQUEST_BYTE_LIMITS: Partial<Record<MessageType, number>> = {
  SKILL_OFFER: SMALL_REQUEST_BYTES,
  GROUP_INVITE: SMALL_REQUEST_BYTES,
  GROUP_ACCEPT: SMALL_REQUEST_BYTES,
  GROUP_REJECT: SMALL_REQUEST_BYTES,
  TASK_CANCEL: SMALL_REQUEST_BYTES,
  DISSOLVE: SMALL_REQUEST_BYTES,
  CLAIM_REQUEST: SMALL_REQUEST_BYTES,
  CLAIM_RELEASE: SMALL_REQUEST_BYTES,
  INPUT_REQUEST: SMALL_REQUEST_BYTES,
  /** The same message as on the skill topic (a direct announcement is one that gossip could carry). */
  TASK_ANNOUNCE: 2 * LIMITS.maxGossipMessageBytes,
  /** A Yjs state vector of at most 64 KiB, in base64. */
  GROUP_SYNC_REQUEST: 2 * LIMITS.maxGossipMessageBytes,
  /** Our card (a gossip message) and the tags of the agents we know. */
  DIRECTORY_REQUEST: 4 * LIMITS.maxGossipMessageBytes,
  /** A result of at most LIMITS.maxResultBytes and the fields around it. */
  TASK_COMPLETE: LIMITS.maxResultBytes + ENVELOPE_ROOM_BYTES
}

/** The largest encoded request of `type` (any string a peer sent) taken on a stream whose own limit is `streamMaxBytes`. */
export function maxRequestBytes (type: string, streamMaxBytes: number): number {
  const own = Object.hasOwn(REQUEST_BYTE_LIMITS, type) ? REQUEST_BYTE_LIMITS[type as MessageType] : undefined
  return Math.min(own ?? streamMaxBytes, streamMaxBytes)
}
