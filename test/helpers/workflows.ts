/**
 * Helpers of the workflow integration tests: the scripted module handler (test/fixtures/
 * workflow-handlers.mjs) as the nodes and the tests of this process share it, and ways to await
 * what a workflow does.
 */
import { pathToFileURL } from 'node:url'
import { FIXTURES, nextEvent } from './negotiation.js'
import type { NodeConfigInput, SwarmNode, WorkflowEvents } from '@swarm/node'
import type { Json } from '@swarm/protocol'

const WORKFLOW_FIXTURE = `${FIXTURES}workflow-handlers.mjs`

type SkillInput = NonNullable<NodeConfigInput['skills']>[number]

/** A skill whose handler runs the test's script of each workflow step. */
export function scriptedSkill (name: string): SkillInput {
  return { name, level: 'expert', handler: { kind: 'module', path: WORKFLOW_FIXTURE, export: 'scripted' } }
}

/** One run of the scripted handler. */
export interface HandlerCall {
  workflowId?: string
  stepId?: string
  iteration?: number
  taskId: string
  description: string
  input: Json
  /** The order of its start and its end among every start and end of the process's runs. */
  start: number
  end?: number
  outcome?: 'done' | 'failed' | 'aborted'
}

/** What a script reads of the handler's context (the package root does not export HandlerContext). */
export interface ScriptContext {
  taskId: string
  signal: AbortSignal
  attempt: number
  workflow?: { workflowId: string, stepId: string, iteration: number, buildsOn: string[] }
}

type StepScript = (input: Json, ctx: ScriptContext, call: HandlerCall) => Promise<Json>

/** What the fixture exports (it is plain JavaScript). */
export interface WorkflowFixture {
  calls: HandlerCall[]
  script(workflowId: string, steps: Record<string, StepScript>): void
  callsOf(workflowId: string, stepId: string): HandlerCall[]
  running(workflowId: string, stepId: string): number
  when(check: () => boolean, signal?: AbortSignal): Promise<void>
  meet(name: string, who: string, count: number, signal: AbortSignal): Promise<void>
  atGate(name: string, signal: AbortSignal): Promise<void>
  openGate(name: string): void
}

/** The fixture as the nodes of this process see it. */
export async function workflowFixture (): Promise<WorkflowFixture> {
  return await import(pathToFileURL(WORKFLOW_FIXTURE).href) as WorkflowFixture
}

let n = 0
/** A workflow id of its own for each run of a test (the scripts and the records are keyed by it). */
export function workflowId (label: string): string {
  return `wf-${label}-${process.pid}-${++n}`
}

/** Resolves with the `step:escalated` event of `stepId` in workflow `id` on `node`. */
export async function escalated (node: SwarmNode, id: string, stepId: string): Promise<WorkflowEvents['step:escalated']> {
  return await nextEvent(node, 'step:escalated', e => e.workflowId === id && e.stepId === stepId, 30_000)
}

/** The step's state in a view. */
export function stepOf<T extends { steps: Array<{ id: string }> }> (view: T, stepId: string): T['steps'][number] {
  const step = view.steps.find(s => s.id === stepId)
  if (step === undefined) throw new Error(`no step ${stepId} in the view (steps: ${view.steps.map(s => s.id).join(', ')})`)
  return step
}
