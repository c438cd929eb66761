/**
 * The workflow file: its schema, and the checks of its graph that run before anything does
 * (needs that name no step, cycles, templates that read a step that is not upstream, a loop
 * that goes back to a step that is not upstream, unknown fields). Every error names the step and
 * the field. Pure.
 */
import { JsonSchema, LevelSchema, LIMITS, SkillNameSchema } from '@swarm/protocol'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { TaskSpecSchema } from '../negotiation/task-spec.js'
import { refsOf, TemplateError } from './templates.js'
import type { Json } from '@swarm/protocol'

/** Steps a workflow has at most. */
const MAX_STEPS = 200
/** Items one `forEach` fans out to at most. */
export const MAX_ITEMS = 1000

const StepIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'must be 1 to 64 characters of A-Z a-z 0-9 _ - starting with a letter or digit')

const SkillObjectSchema = z.object({ name: SkillNameSchema, minLevel: LevelSchema.default('novice'), count: z.number().int().min(1).max(LIMITS.maxGroupSize).default(1) }).strict()
type SkillRequirement = z.infer<typeof SkillObjectSchema>

/** `name[:level[:count]]`, or the object form of announce's skills; the message says which part is wrong. */
const StepSkillSchema = z.unknown().transform((value, ctx): SkillRequirement => {
  const fail = (why: string): typeof z.NEVER => {
    ctx.addIssue({ code: 'custom', message: why })
    return z.NEVER
  }
  if (typeof value !== 'string') {
    const parsed = SkillObjectSchema.safeParse(value)
    if (parsed.success) return parsed.data
    return fail(`${parsed.error.issues.map(i => `${i.path.join('.') || 'skill'}: ${i.message}`).join('; ')} (write name[:level[:count]] or { name, minLevel, count })`)
  }
  const [name = '', level, count, ...rest] = value.split(':')
  const bad = (why: string): typeof z.NEVER => fail(`"${value}": ${why}; write name[:level[:count]], e.g. reviewer:advanced:3`)
  if (rest.length > 0) return bad('too many ":"')
  if (!SkillNameSchema.safeParse(name).success) return bad(`the name "${name}" must be 1 to 64 characters of a-z 0-9 . _ - starting with a letter or digit`)
  const minLevel = LevelSchema.safeParse(level ?? 'novice')
  if (!minLevel.success) return bad(`unknown level "${String(level)}" (${LevelSchema.options.join(', ')})`)
  const n = count === undefined ? 1 : /^\d+$/.test(count) ? Number(count) : NaN
  if (!(n >= 1 && n <= LIMITS.maxGroupSize)) return bad(`the count "${String(count)}" must be a whole number from 1 to ${LIMITS.maxGroupSize}`)
  return { name, minLevel: minLevel.data, count: n }
})

const task = TaskSpecSchema.shape

export const StepSpecSchema = z.object({
  id: StepIdSchema,
  /** What the step's task asks for (default: the step's id and the workflow's name). Templates allowed. */
  description: z.string().min(1).max(LIMITS.maxDescriptionChars).optional(),
  skills: z.array(StepSkillSchema).min(1).max(LIMITS.maxSkillsPerTask),
  /** Steps that must complete before this one starts. */
  needs: z.array(StepIdSchema).max(64).default([]),
  /** The task input (templates allowed); without it, `{ <need id>: output }` of its needs. */
  input: JsonSchema.optional(),
  /** One task per element of the array this template names, joined before the dependents. */
  forEach: z.string().regex(/^\$\{\{[^}]*\}\}$/, 'must be one template, e.g. "${{ steps.plan.output.items }}"').optional(),
  /** A person approves (swarm-node resolve) before the step runs. */
  approval: z.boolean().default(false),
  /** What a failure does: fail the workflow, continue (dependents see null), or escalate to a person. */
  onFailure: z.enum(['fail', 'continue', 'escalate']).default('fail'),
  /** A review loop: when this step rejects, `back` and the steps between run again, at most `max` times in all. */
  loop: z.object({ back: StepIdSchema, max: z.number().int().min(1).max(20) }).strict().optional(),
  verify: task.verify.unwrap().optional(),
  priority: task.priority.unwrap().optional(),
  deadlineMs: task.deadlineMs.unwrap().optional(),
  bidWindowMs: task.bidWindowMs.unwrap().optional(),
  maxAttempts: task.maxAttempts.unwrap().optional(),
  maxGroupSize: task.maxGroupSize
}).strict()

export const WorkflowSpecSchema = z.object({
  name: z.string().min(1).max(128),
  description: z.string().max(LIMITS.maxDescriptionChars).optional(),
  input: JsonSchema.optional(),
  /** Steps running at once, items of a forEach counted one by one (default: no cap). */
  maxParallel: z.number().int().min(1).max(1000).optional(),
  steps: z.array(StepSpecSchema).min(1).max(MAX_STEPS)
}).strict()

export type StepSpec = z.infer<typeof StepSpecSchema>
export type WorkflowSpec = z.infer<typeof WorkflowSpecSchema>
export type WorkflowSpecInput = z.input<typeof WorkflowSpecSchema>

/** One thing wrong with a workflow file. */
export interface WorkflowProblem {
  /** Where: `steps[2] (review).loop.back`, `maxParallel`, … */
  where: string
  message: string
}

/** A workflow file that cannot run: every problem found, each naming the step and the field. */
export class WorkflowSpecError extends Error {
  readonly code = 'WORKFLOW_INVALID'
  readonly problems: WorkflowProblem[]

  constructor (problems: WorkflowProblem[], source?: string) {
    super(`${source ?? 'the workflow'} cannot run:\n${problems.map(p => `  ${p.where}: ${p.message}`).join('\n')}`)
    this.name = 'WorkflowSpecError'
    this.problems = problems
  }
}

/** The steps each step needs, directly or through others. Assumes no cycle. */
export function upstreamOf (steps: readonly StepSpec[]): Map<string, Set<string>> {
  const byId = new Map(steps.map(s => [s.id, s]))
  const memo = new Map<string, Set<string>>()
  const visit = (id: string): Set<string> => {
    const known = memo.get(id)
    if (known !== undefined) return known
    const all = new Set<string>()
    memo.set(id, all)
    for (const need of byId.get(id)?.needs ?? []) {
      all.add(need)
      for (const u of visit(need)) all.add(u)
    }
    return all
  }
  for (const s of steps) visit(s.id)
  return memo
}

/** The length of the longest chain of needs before each step (0: it needs nothing). Assumes no cycle. */
export function depthsOf (steps: readonly StepSpec[]): Map<string, number> {
  const byId = new Map(steps.map(s => [s.id, s]))
  const memo = new Map<string, number>()
  const visit = (id: string): number => {
    const known = memo.get(id)
    if (known !== undefined) return known
    const needs = byId.get(id)?.needs ?? []
    const d = needs.length === 0 ? 0 : 1 + Math.max(...needs.map(visit))
    memo.set(id, d)
    return d
  }
  for (const s of steps) visit(s.id)
  return memo
}

/** A cycle of needs, as the step ids along it; undefined when there is none. */
function findCycle (steps: readonly StepSpec[]): string[] | undefined {
  const byId = new Map(steps.map(s => [s.id, s]))
  const state = new Map<string, 'open' | 'done'>()
  const path: string[] = []
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done') return undefined
    if (state.get(id) === 'open') return [...path.slice(path.indexOf(id)), id]
    state.set(id, 'open')
    path.push(id)
    for (const need of byId.get(id)?.needs ?? []) {
      if (!byId.has(need)) continue
      const cycle = visit(need)
      if (cycle !== undefined) return cycle
    }
    path.pop()
    state.set(id, 'done')
    return undefined
  }
  for (const s of steps) {
    const cycle = visit(s.id)
    if (cycle !== undefined) return cycle
  }
  return undefined
}

const stepWhere = (s: StepSpec, i: number, field?: string): string => `steps[${i}] (${s.id})${field !== undefined ? `.${field}` : ''}`

/** The problems of the graph of a schema-valid workflow (empty: it can run). */
function graphProblems (wf: WorkflowSpec): WorkflowProblem[] {
  const problems: WorkflowProblem[] = []
  const ids = new Map<string, number>()
  wf.steps.forEach((s, i) => {
    if (ids.has(s.id)) problems.push({ where: stepWhere(s, i, 'id'), message: `"${s.id}" is already the id of steps[${ids.get(s.id) ?? 0}]` })
    else ids.set(s.id, i)
  })
  wf.steps.forEach((s, i) => {
    for (const need of s.needs) {
      if (need === s.id) problems.push({ where: stepWhere(s, i, 'needs'), message: 'a step cannot need itself' })
      else if (!ids.has(need)) problems.push({ where: stepWhere(s, i, 'needs'), message: `"${need}" is not a step of this workflow (steps: ${[...ids.keys()].join(', ')})` })
    }
  })
  if (problems.length > 0) return problems
  const cycle = findCycle(wf.steps)
  if (cycle !== undefined) return [{ where: 'steps', message: `the needs go round in a cycle: ${cycle.join(' → ')}` }]
  const upstream = upstreamOf(wf.steps)
  wf.steps.forEach((s, i) => {
    const before = upstream.get(s.id) ?? new Set()
    const check = (field: string, value: Json | undefined, itemAllowed: boolean): void => {
      let refs
      try {
        refs = refsOf(value)
      } catch (err) {
        if (err instanceof TemplateError) { problems.push({ where: stepWhere(s, i, field), message: err.message }); return }
        throw err
      }
      for (const ref of refs) {
        if (ref.kind === 'step-output' && !before.has(ref.step)) {
          problems.push({ where: stepWhere(s, i, field), message: ids.has(ref.step) ? `reads steps.${ref.step}.output, but "${ref.step}" is not upstream of "${s.id}": add it to needs (directly or through another step)` : `reads steps.${ref.step}.output, but there is no step "${ref.step}"` })
        }
        if ((ref.kind === 'item' || ref.kind === 'index') && !itemAllowed) {
          problems.push({ where: stepWhere(s, i, field), message: `${ref.kind} is only known in a step with forEach` })
        }
        if (ref.kind === 'feedback' && field === 'forEach') problems.push({ where: stepWhere(s, i, field), message: 'forEach cannot read the feedback' })
      }
    }
    check('input', s.input, s.forEach !== undefined)
    check('description', s.description, s.forEach !== undefined)
    if (s.forEach !== undefined) check('forEach', s.forEach, false)
    if (s.loop !== undefined && s.loop.back !== s.id && !before.has(s.loop.back)) {
      problems.push({ where: stepWhere(s, i, 'loop.back'), message: ids.has(s.loop.back) ? `"${s.loop.back}" is not upstream of "${s.id}": a loop goes back to a step this one needs (directly or through others)` : `"${s.loop.back}" is not a step of this workflow` })
    }
    if (s.approval && s.forEach !== undefined) problems.push({ where: stepWhere(s, i, 'approval'), message: 'an approval is asked once per step: it cannot be combined with forEach' })
  })
  return problems
}

/** The problems zod found, worded with the step's id. */
function schemaProblems (raw: unknown, error: z.ZodError): WorkflowProblem[] {
  const steps = typeof raw === 'object' && raw !== null && Array.isArray((raw as { steps?: unknown }).steps) ? (raw as { steps: unknown[] }).steps : []
  return error.issues.map(issue => {
    const path = issue.path.map(String)
    let where = path.join('.')
    if (path[0] === 'steps' && path[1] !== undefined) {
      const step = steps[Number(path[1])]
      const id = typeof step === 'object' && step !== null && typeof (step as { id?: unknown }).id === 'string' ? (step as { id: string }).id : undefined
      where = `steps[${path[1]}]${id !== undefined ? ` (${id})` : ''}${path.length > 2 ? `.${path.slice(2).join('.')}` : ''}`
    }
    return { where: where === '' ? '(top)' : where, message: issue.message }
  })
}

/** A workflow checked through and through; throws WorkflowSpecError naming every problem. */
export function parseWorkflow (raw: unknown, source?: string): WorkflowSpec {
  const parsed = WorkflowSpecSchema.safeParse(raw)
  if (!parsed.success) throw new WorkflowSpecError(schemaProblems(raw, parsed.error), source)
  const problems = graphProblems(parsed.data)
  if (problems.length > 0) throw new WorkflowSpecError(problems, source)
  return parsed.data
}

/** A workflow file's text (YAML, of which JSON is a part) to a checked workflow. */
export function parseWorkflowText (text: string, source?: string): WorkflowSpec {
  let raw: unknown
  try {
    raw = parseYaml(text, { maxAliasCount: 100 })
  } catch (err) {
    throw new WorkflowSpecError([{ where: '(file)', message: `not YAML or JSON: ${(err as Error).message}` }], source)
  }
  return parseWorkflow(raw, source)
}
