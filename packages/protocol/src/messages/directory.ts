/**
 * Bodies of the agent directory: the agent card and heartbeats gossiped on the agents topic, and
 * the direct catch-up request and response of a newcomer.
 */
import { z } from 'zod'
import { LIMITS } from '../limits.js'
import { DescriptionSchema, FractionSchema, IdSchema, LevelSchema, MultiaddrStringSchema, PeerIdStringSchema, ShortTextSchema, SkillNameSchema, TimestampSchema } from './scalars.js'

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
