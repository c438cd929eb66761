/**
 * The workflow scheduler: a pure function from a workflow's state and one event (started, a
 * task ended, a person decided, cancelled) to the next state and the actions the service carries
 * out (announce a task, cancel one, raise an escalation, emit an event). It decides which steps
 * are ready, holds them under `maxParallel`, fans `forEach` out, joins it, runs review loops,
 * and applies `onFailure`. The service (service.ts) only performs the actions and stores the
 * state after every event, before it performs them.
 */
import { decisionChoice } from '../group/escalations.js'
import { depthsOf, MAX_ITEMS, upstreamOf } from './spec.js'
import { dependentsOf, stepOutputOf, stepTaskSpec, verdictOf } from './step-tasks.js'
import { resolveTemplates } from './templates.js'
import type { StepSpec, WorkflowSpec } from './spec.js'
import type { TemplateScope } from './templates.js'
import type { StepStatus, StepTask, WorkflowEvent, WorkflowStatus } from './types.js'
import type { TaskSpecInput } from '../negotiation/task-spec.js'
import type { Json } from '@swarm/protocol'

/** A step as the scheduler keeps it. */
export interface StepState {
  status: StepStatus
  iteration: number
  /** Runs so far (task ids derive from it: a loop or a retry gives new ids). */
  run: number
  readyAt?: number
  startedAt?: number
  finishedAt?: number
  output?: Json
  error?: string
  /** A person approved this iteration (approval steps). */
  approved?: boolean
  escalationId?: string
  escalationKind?: 'approval' | 'failure'
  /** What the loop that sent it back said. */
  feedback?: Json
  /** forEach: the items of this run, and their outputs as they come. */
  items?: Json[]
  itemOutputs?: Array<Json | null>
  tasks: StepTask[]
}

/** A workflow as the scheduler keeps it (and the store holds it). */
export interface WorkflowState {
  workflowId: string
  spec: WorkflowSpec
  input?: Json
  status: WorkflowStatus
  createdAt: number
  updatedAt: number
  finishedAt?: number
  reason?: string
  /** Why it failed, for a caller's exit code: a step failed, or a step can never be assigned. */
  code?: 'STEP_FAILED' | 'STEP_UNASSIGNABLE'
  steps: Record<string, StepState>
  /** Depths whose every step is done (phase:completed was emitted). */
  phases: number[]
}

/** What happens to a workflow. */
export type SchedulerEvent =
  | { type: 'start', at: number }
  | { type: 'task-ended', at: number, taskId: string, ok: boolean, status: string, output?: Json, reason?: string, members?: Array<{ peerId: string, skill: string }>, tokens?: number }
  /** A task was cancelled because this node stopped while it ran: it is sent again (a new task id, the same run). */
  | { type: 'task-interrupted', at: number, taskId: string, reason: string }
  | { type: 'escalated', at: number, stepId: string, escalationId: string }
  | { type: 'decided', at: number, escalationId: string, decision: string }
  | { type: 'cancel', at: number, reason: string }

/** What the service does next. */
export type SchedulerAction =
  | { type: 'announce', stepId: string, spec: TaskSpecInput & { taskId: string } }
  | { type: 'cancel-task', taskId: string, reason: string }
  | { type: 'escalate', stepId: string, kind: 'approval' | 'failure', issue: string, choices: string[] }
  | { type: 'emit', event: WorkflowEvent }

/** The state of a workflow before it starts. */
export function newWorkflow (workflowId: string, spec: WorkflowSpec, input: Json | undefined, now: number): WorkflowState {
  const steps: Record<string, StepState> = {}
  for (const s of spec.steps) steps[s.id] = { status: 'waiting', iteration: 1, run: 0, tasks: [] }
  const wfInput = input ?? spec.input
  return { workflowId, spec, ...(wfInput !== undefined ? { input: wfInput } : {}), status: 'running', createdAt: now, updatedAt: now, steps, phases: [] }
}

const DONE: readonly StepStatus[] = ['completed', 'failed', 'skipped', 'cancelled']
/** A step its dependents may go on from: completed, skipped, or failed with `onFailure: continue`. */
function satisfied (s: StepState, spec: StepSpec): boolean {
  return s.status === 'completed' || s.status === 'skipped' || (s.status === 'failed' && spec.onFailure === 'continue')
}

/** Tasks running now, items counted one by one. */
function runningTasks (wf: WorkflowState): number {
  let n = 0
  for (const s of Object.values(wf.steps)) for (const t of s.tasks) if (t.status === 'running') n++
  return n
}

/** One reduction: a mutable draft of the state and the actions it produced. */
class Step {
  readonly wf: WorkflowState
  readonly actions: SchedulerAction[] = []
  readonly at: number
  readonly #byId: Map<string, StepSpec>

  constructor (wf: WorkflowState, at: number) {
    this.wf = structuredClone(wf)
    this.wf.updatedAt = Math.max(wf.updatedAt, at)
    this.at = at
    this.#byId = new Map(wf.spec.steps.map(s => [s.id, s]))
  }

  spec (id: string): StepSpec {
    const s = this.#byId.get(id)
    if (s === undefined) throw new Error(`no step ${id}`)
    return s
  }

  state (id: string): StepState {
    const s = this.wf.steps[id]
    if (s === undefined) throw new Error(`no step ${id}`)
    return s
  }

  emit (event: WorkflowEvent): void {
    this.actions.push({ type: 'emit', event })
  }

  base (): { workflowId: string, at: number } {
    return { workflowId: this.wf.workflowId, at: this.at }
  }

  scope (st: StepState): TemplateScope {
    return scopeOf(this.wf, st)
  }
}

/** What a step's templates read: the workflow's input, the outputs of the steps done, its feedback. */
function scopeOf (wf: WorkflowState, st: StepState): TemplateScope {
  const outputs = new Map<string, Json>()
  for (const [id, s] of Object.entries(wf.steps)) {
    if (s.status === 'completed' || s.status === 'failed' || s.status === 'skipped') outputs.set(id, s.output ?? null)
  }
  return { ...(wf.input !== undefined ? { workflowInput: wf.input } : {}), outputs, ...(st.feedback !== undefined ? { feedback: st.feedback } : {}) }
}

/**
 * The spec of a task a step has out, computed again from the state (the same as when it was
 * sent: its inputs are in the state): a node that stopped before the task was announced sends it
 * on restart. Undefined when the step has no such task.
 */
export function taskSpecOf (wf: WorkflowState, stepId: string, taskId: string): (TaskSpecInput & { taskId: string }) | undefined {
  const step = wf.spec.steps.find(s => s.id === stepId)
  const st = wf.steps[stepId]
  const t = st?.tasks.find(x => x.taskId === taskId)
  if (step === undefined || st === undefined || t === undefined) return undefined
  const items = st.items
  const item = t.item !== undefined && items !== undefined ? { value: items[t.item] as Json, index: t.item, of: items.length } : undefined
  return stepTaskSpec({ workflowId: wf.workflowId, workflowName: wf.spec.name, step, iteration: t.iteration, run: t.run, scope: scopeOf(wf, st), dependents: dependentsOf(wf.spec).get(stepId) ?? 0, resend: resendOf(st, t), ...(item !== undefined ? { item } : {}) })
}

/** How many tasks of the same run and item the step sent before `t`: the times it was sent again (task-interrupted). */
function resendOf (st: StepState, t: StepTask): number {
  return st.tasks.slice(0, st.tasks.indexOf(t)).filter(x => x.run === t.run && x.item === t.item).length
}

/** Applies one event; returns the next state and what to do. Pure. */
export function reduce (wf: WorkflowState, event: SchedulerEvent): { state: WorkflowState, actions: SchedulerAction[] } {
  const r = new Step(wf, event.at)
  if (wf.status !== 'running') return { state: wf, actions: [] }
  switch (event.type) {
    case 'start':
      r.emit({ type: 'workflow:started', ...r.base(), name: wf.spec.name, steps: wf.spec.steps.length })
      break
    case 'task-ended': taskEnded(r, event); break
    case 'task-interrupted': taskInterrupted(r, event); break
    case 'escalated': {
      const st = r.wf.steps[event.stepId]
      if (st?.status === 'escalated') {
        st.escalationId = event.escalationId
        r.emit({ type: 'step:escalated', ...r.base(), stepId: event.stepId, escalationId: event.escalationId, kind: st.escalationKind ?? 'failure' })
      }
      break
    }
    case 'decided': decided(r, event); break
    case 'cancel': finish(r, 'cancelled', event.reason); return { state: r.wf, actions: r.actions }
  }
  advance(r)
  return { state: r.wf, actions: r.actions }
}

/** Marks ready what can run, starts what fits under maxParallel, emits phases, ends the workflow when nothing is left. */
function advance (r: Step): void {
  const wf = r.wf
  if (wf.status !== 'running') return
  for (const spec of wf.spec.steps) {
    const st = r.state(spec.id)
    if (st.status !== 'waiting') continue
    if (!spec.needs.every(n => satisfied(r.state(n), r.spec(n)))) continue
    if (spec.approval && st.approved !== true) {
      st.status = 'escalated'
      st.escalationKind = 'approval'
      delete st.escalationId
      r.actions.push({ type: 'escalate', stepId: spec.id, kind: 'approval', issue: `workflow ${wf.spec.name} (${wf.workflowId}): step "${spec.id}" waits for a person's approval before it runs`, choices: ['approve', 'reject'] })
      continue
    }
    st.status = 'ready'
    st.readyAt = r.at
    r.emit({ type: 'step:ready', ...r.base(), stepId: spec.id, iteration: st.iteration })
  }
  const cap = wf.spec.maxParallel ?? Number.POSITIVE_INFINITY
  const dependents = dependentsOf(wf.spec)
  for (const spec of wf.spec.steps) {
    const st = r.state(spec.id)
    if (st.status === 'ready' && runningTasks(wf) < cap) startStep(r, spec, st, dependents.get(spec.id) ?? 0)
    if (st.status === 'running' && st.items !== undefined) fanOut(r, spec, st, cap, dependents.get(spec.id) ?? 0)
  }
  phases(r)
  const states = Object.values(wf.steps)
  if (states.every(s => DONE.includes(s.status))) {
    const failed = wf.spec.steps.find(s => r.state(s.id).status === 'failed' && s.onFailure !== 'continue')
    if (failed === undefined) finish(r, 'completed')
    else finish(r, 'failed', `step ${failed.id} failed: ${r.state(failed.id).error ?? 'no reason given'}`)
  } else if (!states.some(s => s.status === 'running' || s.status === 'ready' || s.status === 'escalated') && states.some(s => s.status === 'waiting')) {
    // Nothing can move any more (a need failed for good): the waiting steps will never run.
    const failed = wf.spec.steps.find(s => r.state(s.id).status === 'failed')
    finish(r, 'failed', failed !== undefined ? `step ${failed.id} failed: ${r.state(failed.id).error ?? ''}` : 'no step can run')
  }
}

/** Sends a ready step's task out (or, with forEach, resolves its items and sends the first ones). */
function startStep (r: Step, spec: StepSpec, st: StepState, dependents: number): void {
  st.run++
  st.status = 'running'
  st.startedAt = r.at
  delete st.finishedAt
  delete st.error
  const scope = r.scope(st)
  if (spec.forEach !== undefined) {
    const items = resolveTemplates(spec.forEach, scope)
    if (!Array.isArray(items)) { stepFailed(r, spec, st, `forEach names ${items === null ? 'nothing' : `a ${typeof items}`}, not an array`); return }
    if (items.length > MAX_ITEMS) { stepFailed(r, spec, st, `forEach names ${items.length} items, more than the ${MAX_ITEMS} a step may fan out to`); return }
    st.items = items
    st.itemOutputs = items.map(() => null)
    r.emit({ type: 'step:started', ...r.base(), stepId: spec.id, iteration: st.iteration, taskIds: [] })
    if (items.length === 0) stepCompleted(r, spec, st, [])
    return
  }
  const task = stepTaskSpec({ workflowId: r.wf.workflowId, workflowName: r.wf.spec.name, step: spec, iteration: st.iteration, run: st.run, scope, dependents })
  announce(r, spec, st, task)
  r.emit({ type: 'step:started', ...r.base(), stepId: spec.id, iteration: st.iteration, taskIds: [task.taskId] })
}

function announce (r: Step, spec: StepSpec, st: StepState, task: TaskSpecInput & { taskId: string }, item?: number): void {
  const { taskId } = task
  st.tasks.push({ taskId, ...(item !== undefined ? { item } : {}), iteration: st.iteration, run: st.run, status: 'running', startedAt: r.at })
  r.actions.push({ type: 'announce', stepId: spec.id, spec: { ...task, taskId } })
}

/** Sends the items of a running forEach step that fit under the cap and are not out yet. */
function fanOut (r: Step, spec: StepSpec, st: StepState, cap: number, dependents: number): void {
  const items = st.items ?? []
  const sent = new Set(st.tasks.filter(t => t.run === st.run).map(t => t.item))
  for (let i = 0; i < items.length && runningTasks(r.wf) < cap; i++) {
    if (sent.has(i)) continue
    const task = stepTaskSpec({ workflowId: r.wf.workflowId, workflowName: r.wf.spec.name, step: spec, iteration: st.iteration, run: st.run, item: { value: items[i] as Json, index: i, of: items.length }, scope: r.scope(st), dependents })
    announce(r, spec, st, task, i)
  }
}

function taskEnded (r: Step, e: Extract<SchedulerEvent, { type: 'task-ended' }>): void {
  for (const spec of r.wf.spec.steps) {
    const st = r.state(spec.id)
    const t = st.tasks.find(x => x.taskId === e.taskId)
    if (t === undefined) continue
    if (t.status !== 'running') return
    const current = t.run === st.run
    t.status = e.ok ? 'completed' : 'failed'
    t.finishedAt = e.at
    if (e.members !== undefined) t.members = e.members
    if (e.tokens !== undefined && e.tokens > 0) t.tokens = e.tokens
    if (e.ok && e.output !== undefined) t.output = e.output
    if (!e.ok) t.error = e.reason ?? e.status
    if (st.status !== 'running' || !current) return
    const output = stepOutputOf(e.output, spec)
    if (st.items !== undefined && t.item !== undefined) {
      if (!e.ok) { stepFailed(r, spec, st, `item ${t.item + 1} of ${st.items.length}: ${e.reason ?? e.status}`, e.status === 'REJECTED'); return }
      const outs = st.itemOutputs ?? []
      outs[t.item] = output
      st.itemOutputs = outs
      const done = st.tasks.filter(x => x.run === st.run && x.status === 'completed').length
      if (done >= st.items.length) stepCompleted(r, spec, st, outs)
      return
    }
    if (spec.loop !== undefined) {
      const verdict = verdictOf({ ok: e.ok, ...(e.output !== undefined ? { output: e.output } : {}), ...(e.reason !== undefined ? { reason: e.reason } : {}) })
      if (verdict.rejected) { loopBack(r, spec, st, verdict.feedback); return }
    }
    if (e.ok) stepCompleted(r, spec, st, output)
    else stepFailed(r, spec, st, e.reason ?? `its task ended ${e.status}`, e.status === 'REJECTED')
    return
  }
}

/** A task of the current run that this node's stop cancelled: it counts as failed, and the same task goes out again under a new id. */
function taskInterrupted (r: Step, e: Extract<SchedulerEvent, { type: 'task-interrupted' }>): void {
  for (const spec of r.wf.spec.steps) {
    const st = r.state(spec.id)
    const t = st.tasks.find(x => x.taskId === e.taskId)
    if (t === undefined) continue
    if (t.status !== 'running') return
    t.status = 'failed'
    t.finishedAt = e.at
    t.error = `interrupted: ${e.reason}`
    if (st.status !== 'running' || t.run !== st.run) return
    const items = st.items
    const item = t.item !== undefined && items !== undefined ? { value: items[t.item] as Json, index: t.item, of: items.length } : undefined
    const resend = st.tasks.filter(x => x.run === t.run && x.item === t.item).length
    const task = stepTaskSpec({ workflowId: r.wf.workflowId, workflowName: r.wf.spec.name, step: spec, iteration: st.iteration, run: st.run, scope: r.scope(st), dependents: dependentsOf(r.wf.spec).get(spec.id) ?? 0, resend, ...(item !== undefined ? { item } : {}) })
    announce(r, spec, st, task, t.item)
    return
  }
}

function stepCompleted (r: Step, spec: StepSpec, st: StepState, output: Json): void {
  st.status = 'completed'
  st.output = output
  st.finishedAt = r.at
  r.emit({ type: 'step:completed', ...r.base(), stepId: spec.id, iteration: st.iteration, durationMs: r.at - (st.startedAt ?? r.at) })
}

/** A failed step: its running tasks are cancelled; then onFailure decides. */
function stepFailed (r: Step, spec: StepSpec, st: StepState, error: string, unassignable = false): void {
  for (const t of st.tasks) if (t.status === 'running') cancelTask(r, t, `step ${spec.id} failed`)
  st.error = error
  st.finishedAt = r.at
  if (spec.onFailure === 'escalate') {
    st.status = 'escalated'
    st.escalationKind = 'failure'
    delete st.escalationId
    r.actions.push({ type: 'escalate', stepId: spec.id, kind: 'failure', issue: `workflow ${r.wf.spec.name} (${r.wf.workflowId}): step "${spec.id}" failed: ${error}. Decide: retry, skip or fail`, choices: ['retry', 'skip', 'fail'] })
    return
  }
  st.status = 'failed'
  if (spec.onFailure === 'continue') st.output = null
  else if (unassignable) r.wf.code = 'STEP_UNASSIGNABLE'
  r.emit({ type: 'step:failed', ...r.base(), stepId: spec.id, iteration: st.iteration, error })
  if (spec.onFailure === 'fail') {
    r.wf.code ??= 'STEP_FAILED'
    finish(r, 'failed', `step ${spec.id} failed: ${error}`)
  }
}

/** A loop step rejected: the steps from `loop.back` to it run again with the feedback, or the step fails after `max` runs. */
function loopBack (r: Step, spec: StepSpec, st: StepState, feedback: Json): void {
  const loop = spec.loop
  if (loop === undefined) return
  if (st.iteration >= loop.max) {
    stepFailed(r, spec, st, `rejected in each of its ${loop.max} iterations; last feedback: ${typeof feedback === 'string' ? feedback : JSON.stringify(feedback)}`)
    return
  }
  const upstream = upstreamOf(r.wf.spec.steps)
  const again = r.wf.spec.steps.filter(s => s.id === spec.id || s.id === loop.back || ((upstream.get(spec.id)?.has(s.id) ?? false) && (upstream.get(s.id)?.has(loop.back) ?? false)))
  const iteration = st.iteration + 1
  for (const s of again) {
    const x = r.state(s.id)
    x.status = 'waiting'
    x.iteration = iteration
    x.feedback = feedback
    delete x.output
    delete x.error
    delete x.items
    delete x.itemOutputs
    if (s.approval) x.approved = false
  }
  r.emit({ type: 'step:failed', ...r.base(), stepId: spec.id, iteration: iteration - 1, error: `rejected: ${loop.back} runs again (iteration ${iteration} of ${loop.max})` })
}

function decided (r: Step, e: Extract<SchedulerEvent, { type: 'decided' }>): void {
  const entry = Object.entries(r.wf.steps).find(([, s]) => s.escalationId === e.escalationId && s.status === 'escalated')
  if (entry === undefined) return
  const [id, st] = entry
  const spec = r.spec(id)
  const choice = decisionChoice({ choices: st.escalationKind === 'approval' ? ['approve', 'reject'] : ['retry', 'skip', 'fail'] }, e.decision)
  delete st.escalationId
  if (st.escalationKind === 'approval') {
    if (choice === 'approve') { st.approved = true; st.status = 'waiting'; return }
    st.status = 'failed'
    st.error = `the approval was refused: ${e.decision}`
    st.finishedAt = r.at
    r.emit({ type: 'step:failed', ...r.base(), stepId: id, iteration: st.iteration, error: st.error })
    if (spec.onFailure === 'continue') { st.output = null; return }
    r.wf.code = 'STEP_FAILED'
    finish(r, 'failed', `step ${id} failed: ${st.error}`)
    return
  }
  if (choice === 'retry') { st.status = 'waiting'; return }
  if (choice === 'skip') {
    st.status = 'skipped'
    st.output = null
    st.finishedAt = r.at
    return
  }
  st.status = 'failed'
  r.emit({ type: 'step:failed', ...r.base(), stepId: id, iteration: st.iteration, error: st.error ?? e.decision })
  r.wf.code = 'STEP_FAILED'
  finish(r, 'failed', `step ${id} failed: ${st.error ?? ''} (a person decided: ${e.decision})`)
}

/** Emits phase:completed for every depth whose steps are all done, once. */
function phases (r: Step): void {
  const depths = depthsOf(r.wf.spec.steps)
  const byDepth = new Map<number, string[]>()
  for (const [id, d] of depths) byDepth.set(d, [...(byDepth.get(d) ?? []), id])
  for (const [d, ids] of [...byDepth].sort((a, b) => a[0] - b[0])) {
    if (r.wf.phases.includes(d)) continue
    if (!ids.every(id => DONE.includes(r.state(id).status))) continue
    r.wf.phases.push(d)
    r.emit({ type: 'phase:completed', ...r.base(), depth: d, steps: ids })
  }
}

/** Cancels a task still out: it counts as failed from now on, whatever it ends with. */
function cancelTask (r: Step, t: StepTask, reason: string): void {
  t.status = 'failed'
  t.error = `cancelled: ${reason}`
  t.finishedAt = r.at
  r.actions.push({ type: 'cancel-task', taskId: t.taskId, reason })
}

/** Ends the workflow: running tasks are cancelled, steps not begun are skipped (cancelled when the workflow is). */
function finish (r: Step, status: WorkflowStatus, reason?: string): void {
  const wf = r.wf
  if (wf.status !== 'running') return
  wf.status = status
  wf.finishedAt = r.at
  if (reason !== undefined) wf.reason = reason
  for (const st of Object.values(wf.steps)) {
    for (const t of st.tasks) if (t.status === 'running') cancelTask(r, t, `workflow ${wf.workflowId} ${status}`)
    if (!DONE.includes(st.status)) {
      st.status = status === 'cancelled' ? 'cancelled' : 'skipped'
      st.finishedAt ??= r.at
    }
  }
  if (status === 'completed') r.emit({ type: 'workflow:completed', ...r.base(), durationMs: r.at - wf.createdAt })
  else if (status === 'failed') r.emit({ type: 'workflow:failed', ...r.base(), reason: reason ?? 'failed' })
  else r.emit({ type: 'workflow:cancelled', ...r.base(), reason: reason ?? 'cancelled' })
}
