/**
 * Bodies of a working group's own traffic: proposals and votes, blackboard updates and the sync
 * of a late joiner, escalations to a human, resource claims (granted by the announcer) and
 * versioned shared values.
 */
import { z } from 'zod'
import { LIMITS } from '../limits.js'
import { GroupMemberSchema } from './negotiation.js'
import { DescriptionSchema, FractionSchema, IdSchema, JsonSchema, PeerIdStringSchema, ShortTextSchema, TimestampSchema } from './scalars.js'

export const QuorumPolicySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('majority') }).strict(),
  z.object({ kind: z.literal('unanimous') }).strict(),
  z.object({ kind: z.literal('threshold'), fraction: z.number().gt(0).max(1) }).strict()
])
export type QuorumPolicy = z.infer<typeof QuorumPolicySchema>

export const ProposalBodySchema = z.object({
  proposalId: IdSchema,
  taskId: IdSchema,
  groupId: IdSchema,
  action: DescriptionSchema.min(1),
  params: JsonSchema.optional(),
  quorum: QuorumPolicySchema,
  /** Fraction of eligible voters that must vote (yes, no or abstain) for a decision. */
  minParticipation: FractionSchema,
  voters: z.array(PeerIdStringSchema).min(1).max(LIMITS.maxGroupSize),
  deadline: TimestampSchema
}).strict()

export const VOTE_CHOICES = ['yes', 'no', 'abstain'] as const

/**
 * A vote's signature by its voter's libp2p key (Ed25519: 64 bytes), base64url without padding,
 * over the canonical JSON of the vote (docs/protocol.md "Vote certificates"). 256 characters
 * leave room for other key types.
 */
export const VoteSignatureSchema = z.string().min(1).max(256).regex(/^[A-Za-z0-9_-]+$/, 'must be base64url')

export const VoteBodySchema = z.object({
  proposalId: IdSchema,
  groupId: IdSchema,
  choice: z.enum(VOTE_CHOICES),
  confidence: FractionSchema,
  reason: DescriptionSchema.optional(),
  /** The voter's signature of (groupId, proposalId, choice, confidence, voter, ts); the reason is not signed. */
  sig: VoteSignatureSchema
}).strict()

/** One counted vote of a decision, with what re-checks its signature (the body gives the group and proposal ids). */
export const SignedVoteSchema = z.object({
  voter: PeerIdStringSchema,
  choice: z.enum(VOTE_CHOICES),
  confidence: FractionSchema,
  /** The vote's own timestamp (its envelope `ts`). */
  at: TimestampSchema,
  sig: VoteSignatureSchema
}).strict()

/** The outcome of a decided proposal. */
export const PROPOSAL_OUTCOMES = ['approved', 'rejected', 'no-quorum'] as const

/**
 * The proposer's decision once it cannot change, with the votes it counted, each with its
 * voter's signature: with the proposal, a vote certificate that anyone holding the group's
 * member list can check without trusting the proposer (docs/protocol.md "Vote certificates").
 */
export const ProposalDecidedBodySchema = z.object({
  proposalId: IdSchema,
  taskId: IdSchema,
  groupId: IdSchema,
  outcome: z.enum(PROPOSAL_OUTCOMES),
  for: z.number().int().nonnegative().max(LIMITS.maxGroupSize),
  against: z.number().int().nonnegative().max(LIMITS.maxGroupSize),
  abstentions: z.number().int().nonnegative().max(LIMITS.maxGroupSize),
  eligible: z.number().int().nonnegative().max(LIMITS.maxGroupSize),
  participation: FractionSchema,
  weightedConfidence: z.number().min(-1).max(1),
  decidedAt: TimestampSchema,
  votes: z.array(SignedVoteSchema).max(LIMITS.maxGroupSize)
}).strict()

/** Largest Yjs update or state vector carried in one message, in base64 characters. */
export const MAX_BLACKBOARD_BASE64_CHARS = 60 * 1024
/** Standard base64 (with padding). */
const Base64Schema = z.string().max(LIMITS.maxStreamMessageBytes).regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64')

/**
 * A change of the group's blackboard: a Yjs update (base64) that only adds entries written by
 * its sender (the gossip signer).
 */
export const BlackboardUpdateBodySchema = z.object({
  taskId: IdSchema,
  groupId: IdSchema,
  update: Base64Schema.min(1).max(MAX_BLACKBOARD_BASE64_CHARS)
}).strict()

/** A late joiner (or a replacement member) asks for what it lacks of the group's state. */
export const GroupSyncRequestBodySchema = z.object({
  taskId: IdSchema,
  groupId: IdSchema,
  /** The asker's Yjs state vector (base64). */
  stateVector: Base64Schema.max(64 * 1024)
}).strict()

/** An open proposal as the group knows it, for a late joiner. */
export const OpenProposalSchema = z.object({
  proposal: ProposalBodySchema,
  /** Peer id of the member that proposed it (the signer of its PROPOSAL). */
  proposer: PeerIdStringSchema,
  openedAt: TimestampSchema
}).strict()

export const GroupSyncResponseBodySchema = z.object({
  taskId: IdSchema,
  groupId: IdSchema,
  /** What the asker lacks, as one Yjs update (base64). */
  update: Base64Schema,
  /** Proposals still open. */
  proposals: z.array(OpenProposalSchema).max(256)
}).strict()

export const ESCALATION_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const
export const EscalationSeveritySchema = z.enum(ESCALATION_SEVERITIES)

/** A member asks its announcer to hand an issue to a human. The answer is an ACK whose data is `{ escalationId }`. */
export const EscalateBodySchema = z.object({
  taskId: IdSchema,
  groupId: IdSchema,
  severity: EscalationSeveritySchema,
  issue: DescriptionSchema.min(1),
  context: JsonSchema.optional(),
  attemptedResolutions: z.array(DescriptionSchema).max(32).default([])
}).strict()

/** The announcer tells the group about an escalation: when it is created, and when a human resolved it. */
export const EscalationBodySchema = z.object({
  escalationId: IdSchema,
  taskId: IdSchema,
  groupId: IdSchema,
  status: z.enum(['open', 'resolved']),
  /** Why it was raised: a proposal without quorum, a verification without quorum, a task out of retries, a member. */
  source: z.enum(['no-quorum', 'retries-exhausted', 'member', 'verification', 'workflow-approval', 'workflow-failure']),
  /** Who raised it. */
  raisedBy: PeerIdStringSchema,
  severity: EscalationSeveritySchema,
  issue: DescriptionSchema,
  attemptedResolutions: z.array(DescriptionSchema).max(32).default([]),
  proposalId: IdSchema.optional(),
  createdAt: TimestampSchema,
  /** The human's decision, once resolved. */
  decision: DescriptionSchema.optional(),
  resolvedAt: TimestampSchema.optional()
}).strict()

/** Longest lease a claim may ask for: a week. */
export const MAX_CLAIM_LEASE_MS = 7 * 24 * 3600 * 1000

/**
 * A member asks the group's announcer (the one authority on claims) for a resource, for a lease
 * (the claimant is the stream's remote peer). The holder asking again renews its lease; a
 * waiting claimant asking again keeps its place in the queue and updates its priority and lease.
 */
export const ClaimRequestBodySchema = z.object({
  taskId: IdSchema,
  groupId: IdSchema,
  resourceId: ShortTextSchema.min(1),
  /** Waiting claimants are served higher priority first, then earlier request first. */
  priority: z.number().int().min(-1000).max(1000),
  /** How long the resource is held once granted (from the grant). */
  leaseMs: z.number().int().min(1).max(MAX_CLAIM_LEASE_MS)
}).strict()

/** The holder gives a resource back (or a waiting claimant leaves the queue). */
export const ClaimReleaseBodySchema = z.object({
  taskId: IdSchema,
  groupId: IdSchema,
  resourceId: ShortTextSchema.min(1)
}).strict()

/**
 * What the announcer decided: `granted` (the asker holds it until `leaseEndsAt`), `queued` (at
 * `position`, behind `holder`), `released`, `withdrawn` (left the queue) or `refused` (a release
 * by a peer that neither holds nor waits for the resource). The reply to CLAIM_REQUEST and
 * CLAIM_RELEASE; also sent by the announcer on its own to the next holder when its turn comes
 * (answered with ACK).
 */
export const CLAIM_STATUSES = ['granted', 'queued', 'released', 'withdrawn', 'refused'] as const
export const ClaimAnswerBodySchema = z.object({
  taskId: IdSchema,
  groupId: IdSchema,
  resourceId: ShortTextSchema.min(1),
  status: z.enum(CLAIM_STATUSES),
  /** The holder now, if any. */
  holder: PeerIdStringSchema.optional(),
  /** When the holder's lease ends (epoch ms). */
  leaseEndsAt: TimestampSchema.optional(),
  /** Place in the queue, 1 = next (when queued). */
  position: z.number().int().min(1).max(LIMITS.maxGroupSize + 1).optional(),
  /**
   * The announcer's count of changes to the group's claims when it answered: a member keeps the
   * answer with the highest, so a reply and a later turn notice may arrive in any order.
   */
  revision: z.number().int().nonnegative()
}).strict()

/** A versioned write of a shared value (the writer is the signer): a newer version wins. */
export const DataWriteBodySchema = z.object({
  taskId: IdSchema,
  groupId: IdSchema,
  key: ShortTextSchema.min(1),
  version: z.number().int().nonnegative(),
  value: JsonSchema
}).strict()

// ---------------------------------------------------------------------------
// Group encryption (docs/protocol.md "Group encryption")
// ---------------------------------------------------------------------------

/** URL-safe base64 without padding. */
const Base64UrlSchema = z.string().regex(/^[A-Za-z0-9_-]*$/, 'must be base64url')

/**
 * Epoch of a group key: increases with every new key of a group (a rotation, or an announcer
 * that restarted).
 */
export const GroupKeyEpochSchema = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)

/** A group's symmetric key (32 bytes, base64url: 43 characters) and its epoch. */
export const GroupKeySchema = z.object({
  epoch: GroupKeyEpochSchema,
  key: Base64UrlSchema.length(43)
}).strict()
export type GroupKey = z.infer<typeof GroupKeySchema>

/**
 * Largest sealed payload in base64url characters: a whole gossip message (64 KiB) sealed
 * (plus its 16-byte tag) and encoded.
 */
export const MAX_SEALED_DATA_CHARS = Math.ceil((LIMITS.maxGossipMessageBytes + 16) * 4 / 3)

/**
 * A group message sealed with the group's key of `epoch` (AES-256-GCM, a random 12-byte
 * `nonce`, the topic and epoch as associated data): `data` is the encrypted inner message and
 * its tag. The only type on a group topic once the group has a key; its signer (the gossip
 * signer) is the sender of the inner message.
 */
export const SealedBodySchema = z.object({
  groupId: IdSchema,
  epoch: GroupKeyEpochSchema,
  /** 12 bytes, base64url. */
  nonce: Base64UrlSchema.length(16),
  data: Base64UrlSchema.min(22).max(MAX_SEALED_DATA_CHARS)
}).strict()

/**
 * The announcer hands the current members a new key of the group (a member was replaced, or
 * the announcer restarted), with the members it now counts. Sent direct (Noise-secured).
 */
export const GroupKeyBodySchema = z.object({
  taskId: IdSchema,
  groupId: IdSchema,
  epoch: GroupKeyEpochSchema,
  key: Base64UrlSchema.length(43),
  members: z.array(GroupMemberSchema).min(1).max(LIMITS.maxGroupSize)
}).strict()
