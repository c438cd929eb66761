import { IdSchema, JsonSchema, LevelSchema, LIMITS, PrioritySchema, SkillNameSchema, VerifyPolicySchema, WorkflowTagSchema } from '@swarm/protocol'
import { z } from 'zod'

/** One required skill as a user gives it. */
export const SkillRequirementSchema = z.object({
  name: SkillNameSchema,
  minLevel: LevelSchema.default('novice'),
  count: z.number().int().min(1).max(LIMITS.maxGroupSize).default(1)
}).strict()

/**
 * What a user asks for when announcing a task (library, control API and CLI all validate
 * with this schema).
 */
export const TaskSpecSchema = z.object({
  description: z.string().min(1).max(LIMITS.maxDescriptionChars),
  skills: z.array(SkillRequirementSchema).min(1).max(LIMITS.maxSkillsPerTask),
  /** Task input: any JSON. Small inputs travel in the announcement, larger ones are fetched. */
  input: JsonSchema.optional(),
  /** Largest group (default: one member per required slot). */
  maxGroupSize: z.number().int().min(1).max(LIMITS.maxGroupSize).optional(),
  priority: PrioritySchema.default('normal'),
  /** Time from announcement to deadline, milliseconds. */
  deadlineMs: z.number().int().min(100).max(7 * 24 * 3600 * 1000).default(60_000),
  /** How long offers are collected at most, milliseconds. */
  bidWindowMs: z.number().int().min(0).max(60_000).default(500),
  /** Attempts in all (1 = no retry). */
  maxAttempts: z.number().int().min(1).max(10).default(3),
  verify: VerifyPolicySchema.default('none'),
  /** An id chosen by the caller (idempotency); generated when absent. */
  taskId: IdSchema.optional(),
  /**
   * Tasks waiting for this one (a workflow sets it): raises the task's effective priority in the
   * announcer's queue and in the bidders' (core/priority.ts, capped by maxDependentsBoost).
   */
  dependents: z.number().int().min(0).max(1000).optional(),
  /**
   * The workflow step this task serves (a workflow sets it): travels in the announcement to the
   * members' handlers (HandlerContext.workflow). `buildsOn` names the steps whose outputs the
   * input holds under their ids.
   */
  workflow: WorkflowTagSchema.optional()
}).strict()

export type TaskSpec = z.infer<typeof TaskSpecSchema>
export type TaskSpecInput = z.input<typeof TaskSpecSchema>
