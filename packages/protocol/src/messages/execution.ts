/**
 * Bodies of the execution of a task by its working group: start, progress updates, completion,
 * handoff to a replacement, cancellation, dissolution, and fetching an input by reference.
 */
import { z } from 'zod'
import { LIMITS } from '../limits.js'
import { GroupKeySchema } from './group.js'
import { GroupMemberSchema, TaskInputSchema } from './negotiation.js'
import { DescriptionSchema, FractionSchema, IdSchema, JsonSchema, PeerIdStringSchema, ShortTextSchema, SkillNameSchema, TimestampSchema } from './scalars.js'

export const TaskStartBodySchema = z.object({
  taskId: IdSchema,
  groupId: IdSchema,
  description: DescriptionSchema,
  skills: z.array(SkillNameSchema).min(1).max(LIMITS.maxSkillsPerTask),
  input: TaskInputSchema,
  deadline: TimestampSchema,
  members: z.array(GroupMemberSchema).min(1).max(LIMITS.maxGroupSize),
  /** Last checkpoint of a previous member, when this start is a handoff. */
  checkpoint: JsonSchema.optional(),
  /** The group's current key: the group topic carries only messages sealed with it. */
  groupKey: GroupKeySchema.optional()
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
  /**
   * The member that takes it over. Absent in a member's request to its announcer (the member
   * does not know who; the announcer picks a backup and names it in its ACK's `data.to` and in
   * its audit trail).
   */
  to: PeerIdStringSchema.optional(),
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
