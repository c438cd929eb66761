/**
 * Validation of blackboard entries: the schemas every entry is checked against, on writing (a
 * {@link BlackboardError} for the caller) and on reading (invalid entries from a faulty or
 * hostile member are skipped, the same way on every member).
 */
import { z } from 'zod'
import type { Json } from '@swarm/protocol'
import { FractionSchema, ID_PATTERN, TimestampSchema } from '@swarm/protocol'
import { BLACKBOARD_LIMITS, BlackboardError, HYPOTHESIS_STATUSES } from './blackboard-types.js'
import { FINDING_KINDS } from './confidence.js'

const IdSchema = z.string().regex(ID_PATTERN)
const AuthorSchema = z.string().min(1).max(BLACKBOARD_LIMITS.maxShortChars)
const TextSchema = z.string().max(BLACKBOARD_LIMITS.maxTextChars)

export const FindingSchema = z.object({
  id: IdSchema,
  kind: z.enum(FINDING_KINDS),
  content: TextSchema,
  confidence: FractionSchema,
  evidence: z.array(z.string().max(BLACKBOARD_LIMITS.maxShortChars)).max(BLACKBOARD_LIMITS.maxEvidence),
  hypothesisId: IdSchema.optional(),
  supports: z.boolean().optional(),
  author: AuthorSchema,
  at: TimestampSchema
}).strict()

export const StoredHypothesisSchema = z.object({
  id: IdSchema,
  statement: TextSchema,
  status: z.enum(HYPOTHESIS_STATUSES),
  author: AuthorSchema,
  at: TimestampSchema
}).strict()
export type StoredHypothesis = z.infer<typeof StoredHypothesisSchema>

export const StatusChangeSchema = z.object({
  hypothesisId: IdSchema,
  status: z.enum(HYPOTHESIS_STATUSES),
  author: AuthorSchema,
  at: TimestampSchema
}).strict()

export const ActionSchema = z.object({
  id: IdSchema,
  description: TextSchema,
  author: AuthorSchema,
  at: TimestampSchema,
  result: z.custom<Json>(value => jsonProblem(value) === undefined).optional()
}).strict()

/** `id` when it is a valid entry id; a {@link BlackboardError} otherwise. */
export function checkId (id: unknown): string {
  if (typeof id !== 'string' || !ID_PATTERN.test(id)) {
    throw new BlackboardError('INVALID_ENTRY', `invalid id "${String(id)}": use 8 to 64 characters of A-Z a-z 0-9 _ -`)
  }
  return id
}

/** Validates a local entry, turning the first problem into a BlackboardError. */
export function parseEntry<T> (schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value)
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]
  const where = issue === undefined || issue.path.length === 0 ? '' : ` at "${issue.path.join('.')}"`
  throw new BlackboardError('INVALID_ENTRY', `invalid ${what}${where}: ${issue?.message ?? 'invalid'}`)
}

/**
 * Why a value is not an acceptable action result (not plain JSON, too deep, too long), or
 * undefined when it is fine. Iterative, so deep values cannot exhaust the stack.
 */
export function jsonProblem (value: unknown): string | undefined {
  const stack: Array<[unknown, number]> = [[value, 1]]
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number]
    if (v === null || typeof v === 'string' || typeof v === 'boolean') continue
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return 'holds a number that is not finite'
      continue
    }
    if (typeof v !== 'object') return `holds a ${typeof v}, which is not JSON`
    if (depth > BLACKBOARD_LIMITS.maxResultDepth) return `is nested deeper than ${BLACKBOARD_LIMITS.maxResultDepth} levels`
    if (Array.isArray(v)) {
      for (const item of v) stack.push([item, depth + 1])
    } else if (isRecord(v)) {
      for (const item of Object.values(v)) stack.push([item, depth + 1])
    } else {
      return 'holds an object that is not plain JSON'
    }
  }
  const chars = JSON.stringify(value).length
  if (chars > BLACKBOARD_LIMITS.maxResultChars) return `is ${chars} characters of JSON, more than the ${BLACKBOARD_LIMITS.maxResultChars} allowed`
  return undefined
}

export function isRecord (value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const proto: unknown = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}
