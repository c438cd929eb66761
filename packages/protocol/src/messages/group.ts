/**
 * Bodies of a working group's own traffic: proposals and votes, blackboard updates and the sync
 * of a late joiner, escalations to a human, resource claims (granted by the announcer) and
 * versioned shared values.
 */
import { z } from 'zod'
import { LIMITS } from '../limits.js'
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
export const VoteBodySchema = z.object({
  proposalId: IdSchema,
  groupId: IdSchema,
  choice: z.enum(VOTE_CHOICES),
  confidence: FractionSchema,
  reason: DescriptionSchema.optional()
}).strict()

/** The outcome of a decided proposal. */
export const PROPOSAL_OUTCOMES = ['approved', 'rejected', 'no-quorum'] as const

/**
 * The proposer's decision once it cannot change, with the votes it counted (each vote reached
 * every member signed by its voter, so every member can check the list against what it saw).
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
  votes: z.array(z.object({
    voter: PeerIdStringSchema,
    choice: z.enum(VOTE_CHOICES),
    confidence: FractionSchema,
    /** The vote's own timestamp (its envelope `ts`). */
    at: TimestampSchema
  }).strict()).max(LIMITS.maxGroupSize)
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
  source: z.enum(['no-quorum', 'retries-exhausted', 'member', 'verification']),
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
