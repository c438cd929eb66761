/**
 * Bodies of the negotiation: the task announcement (with its required skills, input and
 * verification policy), offers, and forming the working group (invite, accept, reject, formed).
 */
import { z } from 'zod'
import { LIMITS } from '../limits.js'
import { DescriptionSchema, FractionSchema, IdSchema, JsonSchema, LevelSchema, MultiaddrStringSchema, PeerIdStringSchema, PrioritySchema, ShortTextSchema, SkillNameSchema, TimestampSchema } from './scalars.js'

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

/** Step ids of a workflow a task builds on at most (see {@link WorkflowTagSchema}). */
const MAX_BUILDS_ON = 64

/** A workflow step's id: 1 to 64 characters of A-Z a-z 0-9 _ -. */
export const StepIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1 to 64 characters of A-Z a-z 0-9 _ -')

/**
 * Which workflow step a task serves: the workflow, the step, the step's run (a review loop that
 * sends the work back raises it), and the steps whose outputs the task input holds under their
 * ids (set when the step has no explicit input: the input is then
 * `{ <step id>: output, …, feedback?: … }`; empty otherwise).
 */
export const WorkflowTagSchema = z.object({
  workflowId: IdSchema,
  stepId: StepIdSchema,
  iteration: z.number().int().min(1).max(100),
  buildsOn: z.array(StepIdSchema).max(MAX_BUILDS_ON)
}).strict()
export type WorkflowTag = z.infer<typeof WorkflowTagSchema>

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
  offerCap: z.number().int().min(0).max(1000).default(0),
  /**
   * Set when a queued task is asked again (1, 2 …; absent on the first ask of an attempt): a
   * bidder treats a re-ask as a new announcement, not as a copy of one it already heard.
   */
  ask: z.number().int().min(1).max(100_000).optional(),
  /**
   * Tasks waiting for this one (a workflow sets it): raises its place in a bidder's queue, by
   * at most the bidder's largest dependents boost. Absent means 0.
   */
  dependents: z.number().int().min(0).max(1000).optional(),
  /** The workflow step this task serves (absent for a task outside a workflow). */
  workflow: WorkflowTagSchema.optional()
}).strict()
export type TaskAnnounceBody = z.infer<typeof TaskAnnounceBodySchema>

/** A skill as a bidder offers it: its level, and its record so far. */
const OfferedSkillSchema = z.object({ name: SkillNameSchema, level: LevelSchema, successRate: FractionSchema, avgCompletionMs: z.number().nonnegative() }).strict()

/** A signature (base64url, no padding) by a peer's libp2p key: 86 characters for Ed25519. */
export const SignatureSchema = z.string().regex(/^[A-Za-z0-9_-]+$/, 'must be base64url').min(16).max(1024)

/** A sha256 digest, base64url without padding (43 characters). */
const DigestSchema = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be a sha256 digest in base64url')

export const SkillOfferBodySchema = z.object({
  taskId: IdSchema,
  attempt: z.number().int().min(1).max(100),
  /** Required skills this bidder covers, with its level in each. */
  skills: z.array(OfferedSkillSchema).min(1).max(LIMITS.maxSkillsPerTask),
  /** The bidder's own score of its fit, 0..1 (the announcer recomputes its own). */
  score: FractionSchema,
  /** Expected completion time, milliseconds. */
  estimateMs: z.number().nonnegative(),
  load: z.number().int().min(0).max(1024),
  capacity: z.number().int().min(0).max(1024),
  /** Until when (epoch ms) the bidder holds a capacity reservation for this task. */
  leaseExpiresAt: TimestampSchema,
  /**
   * The bidder's signature, by its libp2p key, of the canonical JSON of this body without the
   * signature, bound to the task and the announcer's peer id (docs/protocol.md, "Signed offers
   * and awards"): the announcer cannot alter the offer, nor replay it to another task.
   */
  signature: SignatureSchema
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

// ---------------------------------------------------------------------------
// Awards (docs/protocol.md, "Signed offers and awards")
// ---------------------------------------------------------------------------

/** Offers an award lists at most (~300 bytes each with a few skills: well inside a direct frame). */
export const MAX_AWARD_OFFERS = 128

/** One signed offer as the selection saw it: its digest and every input of its score. */
export const AwardOfferSchema = z.object({
  peerId: PeerIdStringSchema,
  /** sha256 (base64url) of the canonical JSON of { bidder, offer } (the signed body). */
  digest: DigestSchema,
  skills: z.array(OfferedSkillSchema).min(1).max(LIMITS.maxSkillsPerTask),
  load: z.number().int().min(0).max(1024),
  capacity: z.number().int().min(0).max(1024),
  estimateMs: z.number().nonnegative(),
  /** The announcer's reputation of the bidder, 0..1. */
  reputation: FractionSchema,
  /** What the announcer saw of the bidder's work (its reliability factor comes from this). */
  observed: z.object({ successes: z.number().int().min(0), total: z.number().int().min(0) }).strict()
}).strict()
export type AwardOffer = z.infer<typeof AwardOfferSchema>

const WeightSchema = z.number().min(0).max(1e6)

/**
 * What a task's group was chosen from and by which rule, so that any bidder can re-run the
 * selection: the digests and inputs of the offers, the rule's parameters, the members the rule
 * chose, the backups invited in order (each the best remaining one for its skill) and the group.
 */
export const AwardSchema = z.object({
  v: z.literal(1),
  taskId: IdSchema,
  attempt: z.number().int().min(1).max(100),
  announcer: PeerIdStringSchema,
  rule: z.object({
    skills: z.array(RequiredSkillSchema).min(1).max(LIMITS.maxSkillsPerTask),
    maxGroupSize: z.number().int().min(1).max(LIMITS.maxGroupSize),
    weights: z.object({ level: WeightSchema, successRate: WeightSchema, availability: WeightSchema, speed: WeightSchema, reputation: WeightSchema }).strict(),
    speedReferenceMs: z.number().positive().max(1e12),
    /** Peers not chosen because they failed this task before (used unless no group comes without them). */
    excluded: z.array(PeerIdStringSchema).max(MAX_AWARD_OFFERS)
  }).strict(),
  offers: z.array(AwardOfferSchema).max(MAX_AWARD_OFFERS),
  /** Offers received but not listed (beyond MAX_AWARD_OFFERS, the lowest ranked). */
  omitted: z.number().int().min(0).max(1_000_000),
  /** The members the selection rule chose. */
  selected: z.array(GroupMemberSchema).min(1).max(LIMITS.maxGroupSize),
  /** Backups invited, in order, when a chosen member declined or stayed silent. */
  replacements: z.array(z.object({ skill: SkillNameSchema, by: PeerIdStringSchema }).strict()).max(MAX_AWARD_OFFERS),
  /** The group as formed. */
  members: z.array(GroupMemberSchema).min(1).max(LIMITS.maxGroupSize)
}).strict()
export type Award = z.infer<typeof AwardSchema>

export const GroupFormedBodySchema = z.object({
  taskId: IdSchema,
  attempt: z.number().int().min(1).max(100),
  groupId: IdSchema,
  members: z.array(GroupMemberSchema).min(1).max(LIMITS.maxGroupSize),
  award: AwardSchema
}).strict()

/**
 * To a bidder that is not in the group: its lease is released. It names no group id (only the
 * members learn it) but carries the award, so the bidder can check it was not passed over.
 */
export const OfferReleaseBodySchema = z.object({
  taskId: IdSchema,
  attempt: z.number().int().min(1).max(100),
  award: AwardSchema
}).strict()
