import { z } from 'zod'
import { ID_PATTERN, SKILL_NAME_PATTERN } from './names.js'
import { LIMITS } from './limits.js'
import { PROTOCOL_VERSION } from './version.js'

// ---------------------------------------------------------------------------
// Scalars
// ---------------------------------------------------------------------------

export const LEVELS = ['novice', 'intermediate', 'advanced', 'expert'] as const
export const LevelSchema = z.enum(LEVELS)
export type Level = z.infer<typeof LevelSchema>

/** Rank of a level: novice 0 … expert 3. */
export function levelRank (level: Level): number {
  return LEVELS.indexOf(level)
}

export const PRIORITIES = ['low', 'normal', 'high', 'critical'] as const
export const PrioritySchema = z.enum(PRIORITIES)
export type Priority = z.infer<typeof PrioritySchema>

export const IdSchema = z.string().regex(ID_PATTERN, 'must be 8 to 64 characters of A-Z a-z 0-9 _ -')
export const SkillNameSchema = z.string().regex(SKILL_NAME_PATTERN, 'must be 1 to 64 characters of a-z 0-9 . _ - starting with a letter or digit')
/** A libp2p peer id in its string form (base58btc multihash, or a CID). */
export const PeerIdStringSchema = z.string().regex(/^[1-9A-HJ-NP-Za-km-z]{32,128}$|^b[a-z2-7]{32,128}$/, 'must be a libp2p peer id')
export const MultiaddrStringSchema = z.string().min(2).max(512).startsWith('/', 'must be a multiaddr starting with "/"')
export const ShortTextSchema = z.string().max(LIMITS.maxShortTextChars)
export const DescriptionSchema = z.string().max(LIMITS.maxDescriptionChars)
export const TimestampSchema = z.number().int().nonnegative()
export const DurationMsSchema = z.number().int().nonnegative().max(7 * 24 * 3600 * 1000)
export const FractionSchema = z.number().min(0).max(1)
/** Any JSON value. */
export const JsonSchema = z.json()
export type Json = z.infer<typeof JsonSchema>

// ---------------------------------------------------------------------------
// Agent directory
// ---------------------------------------------------------------------------

/** One advertised skill: our matching fields plus the A2A AgentSkill fields. */
export const SkillAdSchema = z.object({
  /** A2A skill id; unique within the card. */
  id: ShortTextSchema.min(1),
  /** Routing name: announcements for this skill arrive on its topic. */
  name: SkillNameSchema,
  level: LevelSchema,
  /** Fraction of past tasks with this skill that succeeded (0..1). */
  successRate: FractionSchema,
  /** Mean completion time of past tasks with this skill, milliseconds. */
  avgCompletionMs: z.number().nonnegative(),
  description: DescriptionSchema.default(''),
  tags: z.array(ShortTextSchema).max(32).default([]),
  examples: z.array(DescriptionSchema).max(16).default([]),
  inputModes: z.array(ShortTextSchema).max(16).default(['application/json']),
  outputModes: z.array(ShortTextSchema).max(16).default(['application/json']),
  /** Whether this agent runs a handler for the skill (it can do work, not only advertise). */
  hasHandler: z.boolean().default(false)
}).strict()
export type SkillAd = z.infer<typeof SkillAdSchema>

export const AgentCardBodySchema = z.object({
  /** Display name chosen by the operator. */
  name: ShortTextSchema.min(1),
  software: z.object({ name: ShortTextSchema, version: ShortTextSchema }).strict(),
  skills: z.array(SkillAdSchema).max(LIMITS.maxSkillsPerAgent),
  /** Tasks the agent runs at once at most. */
  capacity: z.number().int().min(0).max(1024),
  /** Tasks running plus capacity reserved by open offers. */
  load: z.number().int().min(0).max(1024),
  addrs: z.array(MultiaddrStringSchema).max(LIMITS.maxAddrs),
  /** Increases on every change of the card; receivers keep the highest. */
  seq: z.number().int().nonnegative(),
  startedAt: TimestampSchema
}).strict()
export type AgentCardBody = z.infer<typeof AgentCardBodySchema>

export const HeartbeatBodySchema = z.object({
  /** `seq` of the sender's current agent card. */
  cardSeq: z.number().int().nonnegative(),
  load: z.number().int().min(0).max(1024),
  /** Set when the heartbeat is a group member's liveness signal on a group topic. */
  groupId: IdSchema.optional()
}).strict()

// ---------------------------------------------------------------------------
// Negotiation
// ---------------------------------------------------------------------------

export const RequiredSkillSchema = z.object({
  name: SkillNameSchema,
  minLevel: LevelSchema.default('novice'),
  /** Members needed for this skill. */
  count: z.number().int().min(1).max(LIMITS.maxGroupSize).default(1)
}).strict()
export type RequiredSkill = z.infer<typeof RequiredSkillSchema>

/** Where a member gets the task input: inline, or fetched from the announcer over a stream. */
export const TaskInputSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }).strict(),
  z.object({ kind: z.literal('inline'), value: JsonSchema }).strict(),
  z.object({
    kind: z.literal('ref'),
    bytes: z.number().int().positive().max(LIMITS.maxFetchedInputBytes),
    sha256: z.string().regex(/^[0-9a-f]{64}$/)
  }).strict()
])
export type TaskInput = z.infer<typeof TaskInputSchema>

/** A fraction written as in `threshold:0.6`: more than 0, at most 1. */
const THRESHOLD_POLICY_PATTERN = /^threshold:(0?\.\d*[1-9]\d*|1(\.0*)?)$/

/**
 * Whether the group votes on the aggregated result before the task completes: `none`,
 * `majority`, `unanimous`, or `threshold:<fraction>` (e.g. `threshold:0.6`).
 */
export const VerifyPolicySchema = z.union([
  z.enum(['none', 'majority', 'unanimous']),
  z.string().regex(THRESHOLD_POLICY_PATTERN, 'must be none, majority, unanimous or threshold:<fraction> with a fraction above 0 and at most 1, e.g. threshold:0.6') as z.ZodType<`threshold:${string}`>
])
export type VerifyPolicy = z.infer<typeof VerifyPolicySchema>

export const TaskAnnounceBodySchema = z.object({
  taskId: IdSchema,
  description: DescriptionSchema.min(1),
  skills: z.array(RequiredSkillSchema).min(1).max(LIMITS.maxSkillsPerTask),
  maxGroupSize: z.number().int().min(1).max(LIMITS.maxGroupSize),
  priority: PrioritySchema,
  /** Absolute deadline (epoch ms). */
  deadline: TimestampSchema,
  /** How long the announcer collects offers, milliseconds. */
  bidWindowMs: z.number().int().min(0).max(60_000),
  input: TaskInputSchema,
  /** Addresses where bidders reach the announcer. */
  announcerAddrs: z.array(MultiaddrStringSchema).max(LIMITS.maxAddrs),
  /** 1 for the first announcement, then 2, 3 … for retries. */
  attempt: z.number().int().min(1).max(100),
  /** When the task was first created (epoch ms); used for priority aging. */
  createdAt: TimestampSchema,
  verify: VerifyPolicySchema.default('none'),
  /**
   * Offers wanted per required member: only the agents ranked first for this task (by a hash
   * of task id, attempt and peer id over the capable agents each bidder knows) offer. 0: every
   * capable agent offers.
   */
  offerCap: z.number().int().min(0).max(1000).default(0)
}).strict()
export type TaskAnnounceBody = z.infer<typeof TaskAnnounceBodySchema>

export const SkillOfferBodySchema = z.object({
  taskId: IdSchema,
  attempt: z.number().int().min(1).max(100),
  /** Required skills this bidder covers, with its level in each. */
  skills: z.array(z.object({ name: SkillNameSchema, level: LevelSchema, successRate: FractionSchema, avgCompletionMs: z.number().nonnegative() }).strict()).min(1).max(LIMITS.maxSkillsPerTask),
  /** The bidder's own score of its fit, 0..1 (the announcer recomputes its own). */
  score: FractionSchema,
  /** Expected completion time, milliseconds. */
  estimateMs: z.number().nonnegative(),
  load: z.number().int().min(0).max(1024),
  capacity: z.number().int().min(0).max(1024),
  /** Until when (epoch ms) the bidder holds a capacity reservation for this task. */
  leaseExpiresAt: TimestampSchema
}).strict()
export type SkillOfferBody = z.infer<typeof SkillOfferBodySchema>

export const GroupMemberSchema = z.object({
  peerId: PeerIdStringSchema,
  skills: z.array(SkillNameSchema).min(1).max(LIMITS.maxSkillsPerTask)
}).strict()
export type GroupMember = z.infer<typeof GroupMemberSchema>

export const GroupInviteBodySchema = z.object({
  taskId: IdSchema,
  attempt: z.number().int().min(1).max(100),
  groupId: IdSchema,
  /** Skills this member is asked to perform. */
  skills: z.array(SkillNameSchema).min(1).max(LIMITS.maxSkillsPerTask),
  /** The invitee must answer before this time (epoch ms). */
  answerBy: TimestampSchema
}).strict()

export const GroupAcceptBodySchema = z.object({
  taskId: IdSchema,
  groupId: IdSchema
}).strict()

export const GroupRejectBodySchema = z.object({
  taskId: IdSchema,
  groupId: IdSchema,
  reason: ShortTextSchema
}).strict()

export const GroupFormedBodySchema = z.object({
  taskId: IdSchema,
  attempt: z.number().int().min(1).max(100),
  groupId: IdSchema,
  members: z.array(GroupMemberSchema).min(1).max(LIMITS.maxGroupSize)
}).strict()

// ---------------------------------------------------------------------------
// Execution
// ---------------------------------------------------------------------------

export const TaskStartBodySchema = z.object({
  taskId: IdSchema,
  groupId: IdSchema,
  description: DescriptionSchema,
  skills: z.array(SkillNameSchema).min(1).max(LIMITS.maxSkillsPerTask),
  input: TaskInputSchema,
  deadline: TimestampSchema,
  members: z.array(GroupMemberSchema).min(1).max(LIMITS.maxGroupSize),
  /** Last checkpoint of a previous member, when this start is a handoff. */
  checkpoint: JsonSchema.optional()
}).strict()

export const TaskUpdateBodySchema = z.object({
  taskId: IdSchema,
  groupId: IdSchema,
  skill: SkillNameSchema,
  /** Fraction done, 0..1. */
  progress: FractionSchema,
  message: ShortTextSchema.optional(),
  /** State a replacement member can resume from. */
  checkpoint: JsonSchema.optional()
}).strict()

export const TaskErrorSchema = z.object({
  code: ShortTextSchema,
  message: DescriptionSchema
}).strict()

export const TaskCompleteBodySchema = z.object({
  taskId: IdSchema,
  groupId: IdSchema,
  skill: SkillNameSchema,
  ok: z.boolean(),
  output: JsonSchema.optional(),
  error: TaskErrorSchema.optional(),
  durationMs: z.number().nonnegative()
}).strict()

export const HandoffBodySchema = z.object({
  taskId: IdSchema,
  groupId: IdSchema,
  skill: SkillNameSchema,
  /** The member whose part moves. */
  from: PeerIdStringSchema,
  /** The member that takes it over. */
  to: PeerIdStringSchema,
  reason: ShortTextSchema,
  checkpoint: JsonSchema.optional()
}).strict()

export const TaskCancelBodySchema = z.object({
  taskId: IdSchema,
  groupId: IdSchema.optional(),
  reason: ShortTextSchema
}).strict()

export const DissolveBodySchema = z.object({
  taskId: IdSchema,
  groupId: IdSchema,
  reason: z.enum(['completed', 'verified', 'failed', 'cancelled', 'deadline'])
}).strict()

export const InputRequestBodySchema = z.object({
  taskId: IdSchema
}).strict()

export const InputResponseBodySchema = z.object({
  taskId: IdSchema,
  value: JsonSchema
}).strict()

/** Asks a peer for the agent cards it heard first-hand (a newcomer's catch-up). */
export const DirectoryRequestBodySchema = z.object({
  /** Most cards wanted. */
  limit: z.number().int().min(1).max(2000).default(1000),
  /** Only agents with this skill. */
  skill: SkillNameSchema.optional(),
  /**
   * Agents the requester already knows, as tags (the last 10 characters of each peer id): the
   * answer leaves them out, so a periodic catch-up costs little once directories agree.
   */
  have: z.array(z.string().min(1).max(16)).max(4000).optional(),
  /** The requester's own card: the responder learns it first-hand, so a catch-up works both ways. */
  card: AgentCardBodySchema.optional()
}).strict()

/**
 * Agent cards as the responder heard them. Hearsay: the receiver treats them as hints (where to
 * find whom) until it hears the agent itself.
 */
export const DirectoryResponseBodySchema = z.object({
  agents: z.array(z.object({
    peerId: PeerIdStringSchema,
    card: AgentCardBodySchema,
    /** How long ago the responder last heard the agent, milliseconds. */
    ageMs: z.number().int().nonnegative()
  }).strict()).max(2000)
}).strict()

// ---------------------------------------------------------------------------
// Group decisions
// ---------------------------------------------------------------------------

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

/** A member claims a resource of the group for a lease (the holder is the signer). */
export const ClaimBodySchema = z.object({
  taskId: IdSchema,
  groupId: IdSchema,
  resourceId: ShortTextSchema.min(1),
  /** Higher wins. */
  priority: z.number().int().min(-1000).max(1000),
  claimedAt: TimestampSchema,
  /** 0 releases the claim. */
  leaseMs: DurationMsSchema,
  /** The holder's claim counter: a higher one replaces the holder's earlier claims. */
  seq: z.number().int().nonnegative()
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
// Generic
// ---------------------------------------------------------------------------

export const AckBodySchema = z.object({
  /** Id of the message acknowledged. */
  ref: IdSchema,
  /** Data returned with the acknowledgement, if any. */
  data: JsonSchema.optional()
}).strict()

export const ErrorBodySchema = z.object({
  /** Id of the message refused, when the error answers one. */
  ref: IdSchema.optional(),
  code: ShortTextSchema,
  message: DescriptionSchema
}).strict()

export const BroadcastBodySchema = z.object({
  text: DescriptionSchema,
  data: JsonSchema.optional()
}).strict()

// ---------------------------------------------------------------------------
// Envelope
// ---------------------------------------------------------------------------

/** Every message type and the schema of its body. */
export const BODY_SCHEMAS = {
  AGENT_CARD: AgentCardBodySchema,
  HEARTBEAT: HeartbeatBodySchema,
  TASK_ANNOUNCE: TaskAnnounceBodySchema,
  SKILL_OFFER: SkillOfferBodySchema,
  GROUP_INVITE: GroupInviteBodySchema,
  GROUP_ACCEPT: GroupAcceptBodySchema,
  GROUP_REJECT: GroupRejectBodySchema,
  GROUP_FORMED: GroupFormedBodySchema,
  TASK_START: TaskStartBodySchema,
  TASK_UPDATE: TaskUpdateBodySchema,
  TASK_COMPLETE: TaskCompleteBodySchema,
  TASK_CANCEL: TaskCancelBodySchema,
  HANDOFF: HandoffBodySchema,
  DISSOLVE: DissolveBodySchema,
  INPUT_REQUEST: InputRequestBodySchema,
  INPUT_RESPONSE: InputResponseBodySchema,
  DIRECTORY_REQUEST: DirectoryRequestBodySchema,
  DIRECTORY_RESPONSE: DirectoryResponseBodySchema,
  PROPOSAL: ProposalBodySchema,
  VOTE: VoteBodySchema,
  PROPOSAL_DECIDED: ProposalDecidedBodySchema,
  BLACKBOARD_UPDATE: BlackboardUpdateBodySchema,
  GROUP_SYNC_REQUEST: GroupSyncRequestBodySchema,
  GROUP_SYNC_RESPONSE: GroupSyncResponseBodySchema,
  ESCALATE: EscalateBodySchema,
  ESCALATION: EscalationBodySchema,
  CLAIM: ClaimBodySchema,
  DATA_WRITE: DataWriteBodySchema,
  ACK: AckBodySchema,
  ERROR: ErrorBodySchema,
  BROADCAST: BroadcastBodySchema
} as const

export type MessageType = keyof typeof BODY_SCHEMAS
export const MESSAGE_TYPES = Object.keys(BODY_SCHEMAS) as MessageType[]

function envelope<T extends MessageType> (type: T): z.ZodObject<{
  v: z.ZodLiteral<typeof PROTOCOL_VERSION>
  id: typeof IdSchema
  ts: typeof TimestampSchema
  type: z.ZodLiteral<T>
  body: (typeof BODY_SCHEMAS)[T]
}, z.core.$strict> {
  return z.object({
    v: z.literal(PROTOCOL_VERSION),
    id: IdSchema,
    ts: TimestampSchema,
    type: z.literal(type),
    body: BODY_SCHEMAS[type]
  }).strict()
}

export const SwarmMessageSchema = z.discriminatedUnion('type', [
  envelope('AGENT_CARD'),
  envelope('HEARTBEAT'),
  envelope('TASK_ANNOUNCE'),
  envelope('SKILL_OFFER'),
  envelope('GROUP_INVITE'),
  envelope('GROUP_ACCEPT'),
  envelope('GROUP_REJECT'),
  envelope('GROUP_FORMED'),
  envelope('TASK_START'),
  envelope('TASK_UPDATE'),
  envelope('TASK_COMPLETE'),
  envelope('TASK_CANCEL'),
  envelope('HANDOFF'),
  envelope('DISSOLVE'),
  envelope('INPUT_REQUEST'),
  envelope('INPUT_RESPONSE'),
  envelope('DIRECTORY_REQUEST'),
  envelope('DIRECTORY_RESPONSE'),
  envelope('PROPOSAL'),
  envelope('VOTE'),
  envelope('PROPOSAL_DECIDED'),
  envelope('BLACKBOARD_UPDATE'),
  envelope('GROUP_SYNC_REQUEST'),
  envelope('GROUP_SYNC_RESPONSE'),
  envelope('ESCALATE'),
  envelope('ESCALATION'),
  envelope('CLAIM'),
  envelope('DATA_WRITE'),
  envelope('ACK'),
  envelope('ERROR'),
  envelope('BROADCAST')
])

export type SwarmMessage = z.infer<typeof SwarmMessageSchema>
export type MessageOf<T extends MessageType> = Extract<SwarmMessage, { type: T }>
export type BodyOf<T extends MessageType> = MessageOf<T>['body']
/** A body as a sender writes it: fields with defaults may be left out. */
export type BodyInput<T extends MessageType> = z.input<(typeof BODY_SCHEMAS)[T]>

/** Which message types may travel on each kind of channel; anything else is rejected. */
export const CHANNEL_MESSAGE_TYPES = {
  agents: ['AGENT_CARD', 'HEARTBEAT'],
  skill: ['TASK_ANNOUNCE', 'TASK_CANCEL'],
  group: ['TASK_UPDATE', 'HEARTBEAT', 'PROPOSAL', 'VOTE', 'PROPOSAL_DECIDED', 'BLACKBOARD_UPDATE', 'ESCALATION', 'CLAIM', 'DATA_WRITE', 'DISSOLVE', 'BROADCAST', 'HANDOFF'],
  direct: ['TASK_ANNOUNCE', 'SKILL_OFFER', 'GROUP_INVITE', 'GROUP_ACCEPT', 'GROUP_REJECT', 'GROUP_FORMED', 'TASK_START', 'TASK_COMPLETE', 'TASK_CANCEL', 'TASK_UPDATE', 'HANDOFF', 'DISSOLVE', 'DIRECTORY_REQUEST', 'DIRECTORY_RESPONSE', 'GROUP_SYNC_REQUEST', 'GROUP_SYNC_RESPONSE', 'ESCALATE', 'ACK', 'ERROR'],
  input: ['INPUT_REQUEST', 'INPUT_RESPONSE', 'ERROR']
} as const satisfies Record<string, readonly MessageType[]>
export type Channel = keyof typeof CHANNEL_MESSAGE_TYPES
