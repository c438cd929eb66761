import { TopicValidatorResult } from '@libp2p/gossipsub'
import { CHANNEL_MESSAGE_TYPES, ProtocolError } from '@swarm/protocol'
import type { PeerId } from '@libp2p/interface'
import type { Channel, DirectErrorCode, MessageType, ProtocolErrorCode } from '@swarm/protocol'

/**
 * The one place that says what a failed check costs the peer behind it. A gossip message that
 * fails validation gets a verdict for gossipsub (Reject: not forwarded, and gossipsub's peer
 * score punishes the peer that delivered it; Ignore: not forwarded, no score penalty) and a
 * penalty for our own book of peers (net/penalties.ts). A direct request that cannot be decoded
 * or that is refused for a reason that is the requester's fault gets a penalty too.
 *
 * Ignore is for what an honest peer can send: a message that is old or early by more than the
 * allowed clock skew (delayed on its way, or a clock that is off), a duplicate, more than the
 * node takes from one neighbour now (LIMITED). Reject is for
 * what no correct implementation sends: unsigned, undecodable, off-schema, a type that does not
 * belong on the topic, a sender the topic does not allow.
 */

/** Why a gossip message failed validation; also the key of `GossipRouter.stats.rejected`. */
export type GossipFailure =
  | 'UNSIGNED'
  | ProtocolErrorCode
  | 'WRONG_CHANNEL'
  | 'UNAUTHORIZED'
  | 'STALE'
  | 'FUTURE'
  | 'DUPLICATE'
  | 'UNSEALED'
  | 'UNKNOWN_EPOCH'
  | 'SEAL_BROKEN'
  | 'BAD_SIGNATURE'
  | 'LIMITED'
  | 'FLOODING'

/** What one failure adds to a peer's score in the penalty book (it decays over time). */
export const PENALTY = { none: 0, minor: 1, moderate: 5, severe: 20 } as const

/** A failure charged to a peer: why, and how much. */
export interface Penalty {
  reason: GossipFailure | DirectErrorCode
  penalty: number
}

/** A gossip failure with what gossipsub is told. */
export interface GossipVerdict extends Penalty {
  reason: GossipFailure
  result: TopicValidatorResult.Ignore | TopicValidatorResult.Reject
}

/** Where penalties go: the node's PeerPenalties book (and through it, metrics). */
export type PenaltySink = (peer: PeerId, penalty: Penalty) => void

const { Ignore, Reject } = TopicValidatorResult

const GOSSIP_VERDICTS: Record<GossipFailure, Omit<GossipVerdict, 'reason'>> = {
  UNSIGNED: { result: Reject, penalty: PENALTY.severe },
  OVERSIZED: { result: Reject, penalty: PENALTY.severe },
  MALFORMED: { result: Reject, penalty: PENALTY.severe },
  INVALID_MESSAGE: { result: Reject, penalty: PENALTY.severe },
  WRONG_CHANNEL: { result: Reject, penalty: PENALTY.severe },
  // Another version cannot be read here, so it is not forwarded; its sender is not malicious,
  // and in a swarm of mixed versions a Reject would graylist the other version's peers (and
  // those relaying for them): Ignore, at no cost.
  UNSUPPORTED_VERSION: { result: Ignore, penalty: PENALTY.none },
  // Often a member just removed from its group, still sending for a moment.
  UNAUTHORIZED: { result: Reject, penalty: PENALTY.moderate },
  STALE: { result: Ignore, penalty: PENALTY.none },
  FUTURE: { result: Ignore, penalty: PENALTY.minor },
  DUPLICATE: { result: Ignore, penalty: PENALTY.none },
  // Group encryption (docs/protocol.md): a plain message on a group topic that has a key (an
  // outsider, or a peer that does not know of the key) is refused like a sender not allowed.
  UNSEALED: { result: Reject, penalty: PENALTY.moderate },
  // A key this node has not received yet (a rotation on its way) or no longer keeps: no fault.
  UNKNOWN_EPOCH: { result: Ignore, penalty: PENALTY.none },
  // Sealed with another key, or changed on the way: no correct member sends it.
  SEAL_BROKEN: { result: Reject, penalty: PENALTY.severe },
  // A vote (or a decision's vote certificate) whose signature by its voter does not verify
  // (docs/protocol.md "Vote certificates"): forged, or changed after signing. Checked on
  // delivery (the check is asynchronous), so the penalty book carries it to gossipsub's score.
  BAD_SIGNATURE: { result: Reject, penalty: PENALTY.severe },
  // Over what the neighbour that delivered it may make this node spend (new agents it may
  // introduce, announcements of one announcer a second): not taken and not passed on, so a
  // flood stops at its first hop; no penalty, since an honest neighbour relaying for a flooder
  // goes over too (charged to that neighbour, the propagation source, in the counts only).
  LIMITED: { result: Ignore, penalty: PENALTY.none },
  // The same, from a neighbour far over its budget, beyond what relaying for a flooder can
  // explain (the admission keeps a second budget of refusals forgiven): the flooder itself. A
  // moderate penalty each, so that its score falls under the graylist in a few seconds of flooding
  // and gossipsub drops its traffic before checking signatures. Ignore, not Reject: the topic's
  // invalid-message penalty would graylist it after three, too fast for a budget that a burst of
  // honest joins can brush against.
  FLOODING: { result: Ignore, penalty: PENALTY.moderate }
}

/** The verdict and penalty of a gossip validation failure. */
export function gossipVerdict (reason: GossipFailure): GossipVerdict {
  return { reason, ...GOSSIP_VERDICTS[reason] }
}

/**
 * The penalty of a direct request answered ERROR with `code`, or undefined when the refusal is
 * no fault of the requester (a race with the end of bidding, no capacity, our own shutdown or
 * failure): those are ordinary answers and cost nothing.
 */
export function directPenalty (code: DirectErrorCode): Penalty | undefined {
  const penalty = DIRECT_PENALTIES[code]
  return penalty === PENALTY.none ? undefined : { reason: code, penalty }
}

const DIRECT_PENALTIES: Record<DirectErrorCode, number> = {
  OVERSIZED: PENALTY.severe,
  MALFORMED: PENALTY.severe,
  INVALID_MESSAGE: PENALTY.severe,
  UNSUPPORTED_VERSION: PENALTY.minor,
  // A type the receiver does not take as a request: a protocol violation.
  UNEXPECTED: PENALTY.moderate,
  INVALID_STATE_VECTOR: PENALTY.moderate,
  // Asking for what only members may have; often a member removed a moment ago.
  NOT_A_MEMBER: PENALTY.minor,
  FORBIDDEN: PENALTY.minor,
  NOT_ASSIGNED: PENALTY.minor,
  // An offer whose signature does not verify: no honest bidder sends one.
  BAD_SIGNATURE: PENALTY.severe,
  // More requests of a kind than this node takes from one peer (limits.rates): a little.
  RATE_LIMITED: PENALTY.minor,
  STOPPING: PENALTY.none,
  INTERNAL: PENALTY.none,
  NOT_CAPABLE: PENALTY.none,
  NO_CAPACITY: PENALTY.none,
  DUPLICATE: PENALTY.none,
  TOO_LATE: PENALTY.none,
  BIDDING_CLOSED: PENALTY.none,
  UNKNOWN_TASK: PENALTY.none,
  NO_MATCH: PENALTY.none,
  UNKNOWN_GROUP: PENALTY.none,
  INPUT_FETCH_FAILED: PENALTY.none
}

/** The codec's reason for refusing `err` (anything that is not a ProtocolError is MALFORMED). */
export function decodeFailure (err: unknown): ProtocolErrorCode {
  return err instanceof ProtocolError ? err.code : 'MALFORMED'
}

/** STALE or FUTURE when `ts` is further than `maxSkewMs` from `now`. */
export function timestampFailure (ts: number, now: number, maxSkewMs: number): 'STALE' | 'FUTURE' | undefined {
  if (ts < now - maxSkewMs) return 'STALE'
  if (ts > now + maxSkewMs) return 'FUTURE'
  return undefined
}

/** WRONG_CHANNEL when messages of `type` do not belong on `channel` (e.g. an AGENT_CARD on a group topic). */
export function channelFailure (channel: Channel, type: MessageType): 'WRONG_CHANNEL' | undefined {
  const allowed: readonly MessageType[] = CHANNEL_MESSAGE_TYPES[channel]
  return allowed.includes(type) ? undefined : 'WRONG_CHANNEL'
}
