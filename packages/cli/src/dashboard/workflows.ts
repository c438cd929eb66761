/**
 * The workflows of the dashboard: the views `GET /v1/workflows` (and `/v1/workflows/:id`) give,
 * patched by the workflow events of the stream between two reads, and the lines the screen draws
 * of them. Pure, like the rest of the state (state.ts holds these rows and calls in here).
 */
import { workflowEventLine, workflowSummaryLine, workflowTree } from '../commands/workflow-format.js'
import type { StepTask, StepView, WorkflowEvent, WorkflowView } from '@swarm/node'

/** How many workflows the state keeps (the finished ones that ended first go), and how many finished ones the screen shows. */
const MAX_WORKFLOWS = 50
const SHOWN_FINISHED = 3

export interface WorkflowRow {
  view: WorkflowView
  /** Whether the view was read from the API (false: only events were seen; its steps are partial). */
  known: boolean
}

export type WorkflowRows = Record<string, WorkflowRow>

/** Keeps at most MAX_WORKFLOWS: the finished ones that ended first go. */
function capWorkflows (rows: WorkflowRows): WorkflowRows {
  const all = Object.values(rows)
  if (all.length <= MAX_WORKFLOWS) return rows
  const finished = all.filter(r => r.view.status !== 'running').sort((a, b) => (a.view.finishedAt ?? a.view.updatedAt) - (b.view.finishedAt ?? b.view.updatedAt))
  const drop = new Set(finished.slice(0, all.length - MAX_WORKFLOWS).map(r => r.view.workflowId))
  return Object.fromEntries(all.filter(r => !drop.has(r.view.workflowId)).map(r => [r.view.workflowId, r]))
}

/** The rows with these views read from the API; a view older than what the stream already showed does not roll a row back. */
export function withWorkflowViews (rows: WorkflowRows, views: WorkflowView[]): WorkflowRows {
  const out = { ...rows }
  for (const view of views) {
    const previous = out[view.workflowId]
    if (previous?.known === true && previous.view.updatedAt > view.updatedAt) continue
    out[view.workflowId] = { view, known: true }
  }
  return capWorkflows(out)
}

function newStep (id: string): StepView {
  return { id, description: '', needs: [], depth: 0, status: 'waiting', iteration: 1, tasks: [] }
}

/** The view with one step changed (added when the view does not have it yet). */
function patchStep (view: WorkflowView, stepId: string, change: (step: StepView) => StepView): WorkflowView {
  const found = view.steps.some(s => s.id === stepId)
  const steps = found ? view.steps.map(s => s.id === stepId ? change(s) : s) : [...view.steps, change(newStep(stepId))]
  return { ...view, steps }
}

/** A step that becomes ready again in a later iteration starts over. */
function atIteration (step: StepView, iteration: number): StepView {
  if (iteration <= step.iteration) return step
  const { startedAt: _s, finishedAt: _f, error: _e, escalationId: _x, output: _o, ...rest } = step
  return { ...rest, iteration }
}

function withoutEnd (step: StepView): StepView {
  const { finishedAt: _f, error: _e, escalationId: _x, ...rest } = step
  return rest
}

function patched (view: WorkflowView, ev: WorkflowEvent): WorkflowView {
  switch (ev.type) {
    case 'workflow:started':
      return { ...view, name: ev.name, status: 'running' }
    case 'step:ready':
      return patchStep(view, ev.stepId, s => ({ ...withoutEnd(atIteration(s, ev.iteration)), status: 'ready', readyAt: ev.at }))
    case 'step:started':
      return patchStep(view, ev.stepId, s => {
        const step = withoutEnd(atIteration(s, ev.iteration))
        const run = Math.max(0, ...step.tasks.map(t => t.run)) + 1
        const fresh: StepTask[] = ev.taskIds.filter(id => !step.tasks.some(t => t.taskId === id))
          .map(taskId => ({ taskId, iteration: ev.iteration, run, status: 'running', startedAt: ev.at }))
        return { ...step, status: 'running', startedAt: ev.at, tasks: [...step.tasks, ...fresh] }
      })
    case 'step:completed':
      return patchStep(view, ev.stepId, s => ({
        ...withoutEnd(s),
        status: 'completed',
        startedAt: s.startedAt ?? ev.at - ev.durationMs,
        finishedAt: ev.at,
        tasks: s.tasks.map(t => t.status === 'running' ? { ...t, status: 'completed', finishedAt: ev.at } : t)
      }))
    case 'step:failed':
      return patchStep(view, ev.stepId, s => ({ ...s, status: 'failed', finishedAt: ev.at, error: ev.error }))
    case 'step:escalated':
      return patchStep(view, ev.stepId, s => ({ ...s, status: 'escalated', escalationId: ev.escalationId }))
    case 'phase:completed':
      return view
    case 'workflow:completed':
      return { ...view, status: 'completed', finishedAt: ev.at }
    case 'workflow:failed':
      return { ...view, status: 'failed', finishedAt: ev.at, reason: ev.reason }
    case 'workflow:cancelled':
      return { ...view, status: 'cancelled', finishedAt: ev.at, reason: ev.reason }
  }
}

/** The rows after a workflow event: the workflow's view patched (a workflow first heard of here gets a row of its own, not `known`). */
export function withWorkflowEvent (rows: WorkflowRows, ev: WorkflowEvent): WorkflowRows {
  const row = rows[ev.workflowId] ?? {
    view: { workflowId: ev.workflowId, name: '', status: 'running', createdAt: ev.at, updatedAt: ev.at, steps: [] },
    known: false
  }
  const view = patched(row.view, ev)
  return capWorkflows({ ...rows, [ev.workflowId]: { ...row, view: { ...view, updatedAt: Math.max(view.updatedAt, ev.at) } } })
}

/** A workflow's name, or its id while the name is unknown. */
function labelOf (view: WorkflowView): string {
  return view.name !== '' ? view.name : view.workflowId
}

/** The line of the dashboard's recent events for a workflow event (`rows` as they were before it). */
export function workflowRecentText (rows: WorkflowRows, ev: WorkflowEvent): string {
  const view = rows[ev.workflowId]?.view
  const label = ev.type === 'workflow:started' ? '' : `${view !== undefined ? labelOf(view) : ev.workflowId}: `
  return `${label}${workflowEventLine(ev)}`
}

/** What the screen shows: the running workflows (oldest first), then the last few finished (newest first). */
export function shownWorkflows (rows: WorkflowRows, finished = SHOWN_FINISHED): WorkflowView[] {
  const views = Object.values(rows).map(r => r.view)
  const running = views.filter(v => v.status === 'running').sort((a, b) => a.createdAt - b.createdAt)
  const ended = views.filter(v => v.status !== 'running').sort((a, b) => (b.finishedAt ?? b.updatedAt) - (a.finishedAt ?? a.updatedAt))
  return [...running, ...ended.slice(0, finished)]
}

/** The WORKFLOWS section of the screen: its title and rows (each workflow's summary, then its tree of steps). */
export function workflowsSection (rows: WorkflowRows, now: number): { title: string, rows: string[] } {
  const views = Object.values(rows).map(r => r.view)
  const running = views.filter(v => v.status === 'running').length
  const lines = shownWorkflows(rows).flatMap(view => {
    const at = view.status === 'running' ? now : view.updatedAt
    return [workflowSummaryLine(view, at), ...workflowTree(view, { now: at }).map(l => `  ${l}`)]
  })
  return { title: `WORKFLOWS (${running} running, ${views.length - running} finished)`, rows: lines }
}
