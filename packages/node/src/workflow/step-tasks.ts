/**
 * From a step to its task, and from the task's outcome back to the step: the task's id (the
 * same on every replay of the workflow, so that a restarted node finds the task it had sent out),
 * its spec (templates resolved, the default input, the workflow tag, the dependency count), and
 * the verdict a review step's outcome carries. Pure.
 */
import { createHash } from 'node:crypto'
import { resolveTemplates } from './templates.js'
import type { StepSpec, WorkflowSpec } from './spec.js'
import type { TemplateScope } from './templates.js'
import type { TaskSpecInput } from '../negotiation/task-spec.js'
import type { Json } from '@swarm/protocol'

/**
 * The id of one task of a step: a digest of the workflow, the step, the step's run (it grows
 * with every loop iteration and every retry a person asks for), the item, and how many times
 * the task was sent again because its node stopped while it ran (`resend`, 0 at first).
 */
function stepTaskId (workflowId: string, stepId: string, run: number, item?: number, resend = 0): string {
  const again = resend > 0 ? `\0${resend}` : ''
  return 'wt' + createHash('sha256').update(`${workflowId}\0${stepId}\0${run}\0${item ?? -1}${again}`).digest('base64url').slice(0, 30)
}

/** The steps that wait for each step, directly or through others. */
export function dependentsOf (wf: WorkflowSpec): Map<string, number> {
  const downstream = new Map<string, Set<string>>(wf.steps.map(s => [s.id, new Set()]))
  const byId = new Map(wf.steps.map(s => [s.id, s]))
  const mark = (id: string, from: string): void => {
    for (const need of byId.get(id)?.needs ?? []) {
      const set = downstream.get(need)
      if (set === undefined || set.has(from)) continue
      set.add(from)
      mark(need, from)
    }
  }
  for (const s of wf.steps) mark(s.id, s.id)
  return new Map([...downstream].map(([id, set]) => [id, set.size]))
}

/** What one task of a step is announced with. */
export interface StepTaskPlan {
  workflowId: string
  workflowName: string
  step: StepSpec
  iteration: number
  run: number
  /** With forEach: this item, its index and the number of items. */
  item?: { value: Json, index: number, of: number }
  scope: TemplateScope
  dependents: number
  /** How many times this task was sent again after its node stopped while it ran (0 or absent at first). */
  resend?: number
}

/** The input a step without `input` gets: its needs' outputs by id (and the feedback of a loop). */
function defaultInput (plan: StepTaskPlan): Json | undefined {
  const { step, scope } = plan
  if (plan.item !== undefined) return plan.item.value
  if (step.needs.length === 0) return scope.feedback !== undefined ? { input: scope.workflowInput ?? null, feedback: scope.feedback } : scope.workflowInput
  const input: Record<string, Json> = {}
  for (const need of step.needs) input[need] = scope.outputs.get(need) ?? null
  if (scope.feedback !== undefined) input.feedback = scope.feedback
  return input
}

/** The spec of one task of a step. */
export function stepTaskSpec (plan: StepTaskPlan): TaskSpecInput & { taskId: string } {
  const { step } = plan
  const scope = plan.item !== undefined ? { ...plan.scope, item: plan.item.value, index: plan.item.index } : plan.scope
  const described = step.description === undefined ? `${step.id} (step of workflow ${plan.workflowName})` : String(resolveTemplates(step.description, scope))
  const description = (plan.item !== undefined ? `${described} [item ${plan.item.index + 1} of ${plan.item.of}]` : described).slice(0, 4096)
  const input = step.input !== undefined ? resolveTemplates(step.input, scope) : defaultInput({ ...plan, scope })
  const buildsOn = step.input === undefined && plan.item === undefined ? step.needs : []
  return {
    taskId: stepTaskId(plan.workflowId, step.id, plan.run, plan.item?.index, plan.resend),
    description,
    skills: step.skills,
    ...(input !== undefined ? { input } : {}),
    ...(step.verify !== undefined ? { verify: step.verify } : {}),
    ...(step.priority !== undefined ? { priority: step.priority } : {}),
    ...(step.deadlineMs !== undefined ? { deadlineMs: step.deadlineMs } : {}),
    ...(step.bidWindowMs !== undefined ? { bidWindowMs: step.bidWindowMs } : {}),
    ...(step.maxAttempts !== undefined ? { maxAttempts: step.maxAttempts } : {}),
    ...(step.maxGroupSize !== undefined ? { maxGroupSize: step.maxGroupSize } : {}),
    ...(plan.dependents > 0 ? { dependents: plan.dependents } : {}),
    workflow: { workflowId: plan.workflowId, stepId: step.id, iteration: plan.iteration, buildsOn }
  }
}

/** What a review step said. */
export type Verdict = { rejected: false } | { rejected: true, feedback: Json }

const REJECT_WORDS = new Set(['reject', 'rejected', 'changes-requested', 'changes_requested', 'no', 'fail', 'failed'])

/** The reasons a member's output gives, when it gives some. */
function reasonsOf (o: Record<string, Json>): Json | undefined {
  for (const key of ['feedback', 'reasons', 'reason', 'comments', 'issues', 'findings']) {
    if (o[key] !== undefined && o[key] !== null) return o[key]
  }
  return undefined
}

/** Whether one member's output rejects: `approved: false`, `approve: false`, or a verdict/decision word of rejection (also inside an llm answer's `json`). */
function rejects (o: Json | undefined): { feedback: Json } | undefined {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return undefined
  if (typeof o.json === 'object' && o.json !== null && !Array.isArray(o.json)) {
    const inner = rejects(o.json)
    if (inner !== undefined) return inner
  }
  const word = [o.verdict, o.decision].find(v => typeof v === 'string')
  const rejected = o.approved === false || o.approve === false || (typeof word === 'string' && REJECT_WORDS.has(word.toLowerCase()))
  if (!rejected) return undefined
  return { feedback: reasonsOf(o) ?? (typeof word === 'string' ? word : 'rejected') }
}

/**
 * The verdict of a loop step from its task's outcome: rejected when a member's output rejects
 * (the feedback: the reasons of every member that rejected), or when the group's verification
 * rejected the result.
 */
export function verdictOf (outcome: { ok: boolean, output?: Json, reason?: string }): Verdict {
  if (!outcome.ok) {
    return outcome.reason !== undefined && /rejected the result/.test(outcome.reason) ? { rejected: true, feedback: outcome.reason } : { rejected: false }
  }
  const parts: Json[] = []
  const out = outcome.output
  if (typeof out === 'object' && out !== null && !Array.isArray(out)) {
    for (const v of Object.values(out)) parts.push(...(Array.isArray(v) ? v : [v]))
  }
  const feedback = parts.flatMap(p => { const r = rejects(p); return r === undefined ? [] : [r.feedback] })
  if (feedback.length === 0) return { rejected: false }
  return { rejected: true, feedback: feedback.length === 1 ? feedback[0] as Json : feedback }
}

/** The output a step gives its dependents: a single skill's single output unwrapped, else the task's `{ skill: output }`. */
export function stepOutputOf (output: Json | undefined, step: StepSpec): Json {
  if (output === undefined) return null
  if (step.skills.length === 1 && (step.skills[0]?.count ?? 1) === 1 && typeof output === 'object' && output !== null && !Array.isArray(output)) {
    const only = output[step.skills[0]?.name ?? '']
    if (only !== undefined) return only
  }
  return output
}
