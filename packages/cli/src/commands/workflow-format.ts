/**
 * How workflows look in the terminal: the tree of a workflow's steps (`swarm-node workflow <id>`,
 * the dashboard), one summary line per workflow (lists), and one line per workflow event (what
 * `swarm-node run` prints as the steps become ready, start and end). Pure: a function of the view
 * (and the time it is drawn at).
 */
import { formatMs } from '../output.js'
import type { StepStatus, StepView, WorkflowEvent, WorkflowView } from '@swarm/node'

export interface WorkflowTreeOptions {
  /** ANSI colours, each line wrapped whole in its step's colour. */
  color?: boolean
  /** The time running steps are measured to (default: the view's last update). */
  now?: number
}

/** The mark in front of a step, by its status. */
const MARKS: Record<StepStatus, string> = {
  waiting: '·',
  ready: '○',
  running: '●',
  escalated: '!',
  completed: '✓',
  failed: '✗',
  skipped: '-',
  cancelled: '⊘'
}

const COLORS: Record<StepStatus, string> = {
  waiting: '\x1b[2m',
  ready: '\x1b[34m',
  running: '\x1b[36m',
  escalated: '\x1b[33m',
  completed: '\x1b[32m',
  failed: '\x1b[31m',
  skipped: '\x1b[2m',
  cancelled: '\x1b[2m'
}
const RESET = '\x1b[0m'

/** The longest error shown on a step's line. */
const MAX_ERROR = 200

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`

/** A text on one line, no longer than `max`. */
function oneLine (text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  return flat.length > max ? flat.slice(0, max - 1) + '…' : flat
}

/** How long a step ran (so far, when it has not ended); undefined before it started. */
function stepMs (step: StepView, now: number): number | undefined {
  if (step.startedAt === undefined) return undefined
  return Math.max(0, (step.finishedAt ?? now) - step.startedAt)
}

function stepText (step: StepView, now: number, alsoNeeds: string[]): string {
  const ms = stepMs(step, now)
  const failedTasks = step.tasks.filter(t => t.status === 'failed').length
  const parts = [
    step.status,
    ...(step.iteration > 1 ? [`iteration ${step.iteration}`] : []),
    ...(ms !== undefined ? [formatMs(ms)] : []),
    ...(step.tasks.length > 0 ? [`${plural(step.tasks.length, 'task')}${failedTasks > 0 ? ` (${failedTasks} failed)` : ''}`] : [])
  ]
  let text = `${MARKS[step.status]} ${step.id}  ${parts.join(' · ')}`
  if (alsoNeeds.length > 0) text += `  (also needs ${alsoNeeds.join(', ')})`
  if (step.escalationId !== undefined && step.status === 'escalated') text += `  escalation ${step.escalationId}: swarm-node resolve ${step.escalationId} --decision ${step.error === undefined ? 'approve|reject' : 'retry|skip|fail'}`
  if (step.error !== undefined && step.error !== '') text += `  error: ${oneLine(step.error, MAX_ERROR)}`
  return text
}

/**
 * The steps of a workflow as a tree, one line each: the steps that need nothing first, each
 * other step under the first of its needs (its other needs noted as "(also needs b, c)"),
 * siblings in the workflow's order. A line has the step's status mark, id and status, its
 * iteration when past the first, how long it ran, its task count, and its error or the
 * escalation to answer.
 */
export function workflowTree (view: WorkflowView, opts: WorkflowTreeOptions = {}): string[] {
  const now = opts.now ?? view.updatedAt
  const ids = new Set(view.steps.map(s => s.id))
  const parentOf = (s: StepView): string | undefined => s.needs.find(n => n !== s.id && ids.has(n))
  const children = new Map<string, StepView[]>()
  const roots: StepView[] = []
  for (const step of view.steps) {
    const parent = parentOf(step)
    if (parent === undefined) roots.push(step)
    else children.set(parent, [...(children.get(parent) ?? []), step])
  }
  const lines: string[] = []
  const placed = new Set<string>()
  const draw = (step: StepView, lead: string, branch: string): void => {
    if (placed.has(step.id)) return
    placed.add(step.id)
    const parent = parentOf(step)
    const alsoNeeds = step.needs.filter(n => n !== parent)
    const text = `${branch}${stepText(step, now, alsoNeeds)}`
    lines.push(opts.color === true ? COLORS[step.status] + text + RESET : text)
    const kids = (children.get(step.id) ?? []).filter(k => !placed.has(k.id))
    kids.forEach((kid, i) => {
      const last = i === kids.length - 1
      draw(kid, lead + (last ? '   ' : '│  '), lead + (last ? '└─ ' : '├─ '))
    })
  }
  for (const root of roots) draw(root, '', '')
  // Steps whose needs go round in a circle (never in a valid workflow) still get a line.
  for (const step of view.steps) draw(step, '', '')
  return lines
}

/** How long a workflow has run: to its end, or (running) to `now`. */
function workflowMs (view: WorkflowView, now: number): number {
  return Math.max(0, (view.finishedAt ?? now) - view.createdAt)
}

/**
 * One line for a list of workflows: id, status, how many steps are done (and running, failed,
 * waiting for a person), how long it ran, its name, and why it failed or was cancelled.
 */
export function workflowSummaryLine (view: WorkflowView, now: number = view.updatedAt): string {
  const count = (status: StepStatus): number => view.steps.filter(s => s.status === status).length
  const counts = [
    `${count('completed')}/${view.steps.length} steps done`,
    ...(count('running') > 0 ? [`${count('running')} running`] : []),
    ...(count('failed') > 0 ? [`${count('failed')} failed`] : []),
    ...(count('escalated') > 0 ? [`${count('escalated')} escalated`] : [])
  ]
  const why = view.reason !== undefined && view.status !== 'completed' ? ` (${oneLine(view.reason, MAX_ERROR)})` : ''
  return `${view.workflowId}  ${view.status}  ${counts.join(' · ')}  ${formatMs(workflowMs(view, now))}  ${view.name}${why}`
}

/** A short task id: its first 8 characters. */
function taskLabel (taskId: string): string {
  return taskId.length > 8 ? taskId.slice(0, 8) : taskId
}

const iterationNote = (iteration: number): string => iteration > 1 ? ` (iteration ${iteration})` : ''

/** One readable line for a workflow event. */
export function workflowEventLine (ev: WorkflowEvent): string {
  switch (ev.type) {
    case 'workflow:started':
      return `workflow "${ev.name}" started: ${plural(ev.steps, 'step')} (${ev.workflowId})`
    case 'step:ready':
      return `step ${ev.stepId} ready${iterationNote(ev.iteration)}`
    case 'step:started':
      return `step ${ev.stepId} started${iterationNote(ev.iteration)}: ${ev.taskIds.length === 1 ? `task ${taskLabel(ev.taskIds[0] ?? '')}` : plural(ev.taskIds.length, 'task')}`
    case 'step:completed':
      return `step ${ev.stepId} completed in ${formatMs(ev.durationMs)}${iterationNote(ev.iteration)}`
    case 'step:failed':
      return `step ${ev.stepId} FAILED${iterationNote(ev.iteration)}: ${oneLine(ev.error, MAX_ERROR)}`
    case 'step:escalated':
      return `step ${ev.stepId} waits for a person (${ev.kind === 'approval' ? 'approval' : 'failure to decide on'}): swarm-node resolve ${ev.escalationId} --decision ${ev.kind === 'approval' ? 'approve|reject' : 'retry|skip|fail'}`
    case 'phase:completed':
      return `phase ${ev.depth} completed: ${ev.steps.join(', ')}`
    case 'workflow:completed':
      return `workflow completed in ${formatMs(ev.durationMs)}`
    case 'workflow:failed':
      return `workflow FAILED: ${oneLine(ev.reason, MAX_ERROR)}`
    case 'workflow:cancelled':
      return `workflow cancelled: ${oneLine(ev.reason, MAX_ERROR)}`
  }
}
