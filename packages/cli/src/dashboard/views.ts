/**
 * What the screen and `dashboard --once --json` derive from the dashboard state: the metrics
 * line, what each agent is doing, the order of the task queue, the tasks still to be read, and
 * the state as JSON. Pure functions of the state (dashboard/state.ts), which never needs them.
 */
import { isFinal } from './state.js'
import { shownWorkflows } from './workflows.js'
import type { AgentRow, DashboardState, TaskRow, WorkRow } from './state.js'

const DONE_STATUSES: readonly string[] = ['COMPLETE', 'VERIFIED']
const FAILED_STATUSES: readonly string[] = ['FAILED', 'ESCALATED']

export interface DashboardMetrics {
  /** Tasks this node announced, by outcome. */
  done: number
  failed: number
  rejected: number
  cancelled: number
  active: number
  /** done / (done + failed + rejected); undefined before any of them. */
  successRate?: number
  /** Tasks completed per minute over the window. */
  throughputPerMin: number
  windowMs: number
  /** Mean creation → completion time of the completed tasks. */
  avgDurationMs?: number
  /** Failed member parts and API errors seen. */
  errors: number
  lastError?: string
}

/** The figures of the metrics line, from the tasks the state holds. */
export function metricsOf (state: DashboardState): DashboardMetrics {
  let done = 0; let failed = 0; let rejected = 0; let cancelled = 0; let active = 0; let recent = 0; let durations = 0
  const since = state.now - state.windowMs
  for (const t of Object.values(state.tasks)) {
    if (DONE_STATUSES.includes(t.status)) {
      done++
      const end = t.finishedAt ?? t.updatedAt
      durations += Math.max(0, end - t.createdAt)
      if (end > since) recent++
    } else if (FAILED_STATUSES.includes(t.status)) failed++
    else if (t.status === 'REJECTED') rejected++
    else if (t.status === 'CANCELLED') cancelled++
    else active++
  }
  const judged = done + failed + rejected
  return {
    done,
    failed,
    rejected,
    cancelled,
    active,
    ...(judged > 0 ? { successRate: done / judged } : {}),
    throughputPerMin: recent / (state.windowMs / 60_000),
    windowMs: state.windowMs,
    ...(done > 0 ? { avgDurationMs: durations / done } : {}),
    errors: state.errors.count,
    ...(state.errors.last !== undefined ? { lastError: state.errors.last.message } : {})
  }
}

export type AgentStatus = 'gone' | 'working' | 'assigned' | 'full' | 'busy' | 'idle'

/** What an agent is doing now: its status and its current part of a task, if any. */
export function agentActivity (state: DashboardState, agent: AgentRow): { status: AgentStatus, work?: WorkRow, parts: number } {
  const parts = Object.values(state.work).filter(w => w.peerId === agent.peerId && (w.state === 'running' || w.state === 'assigned'))
    .sort((a, b) => (a.state === b.state ? a.since - b.since : a.state === 'running' ? -1 : 1))
  const work = parts[0]
  let status: AgentStatus
  if (agent.gone) status = 'gone'
  else if (work?.state === 'running') status = 'working'
  else if (work?.state === 'assigned') status = 'assigned'
  else if (agent.capacity > 0 && agent.load >= agent.capacity) status = 'full'
  else if (agent.load > 0) status = 'busy'
  else status = 'idle'
  return { status, ...(work !== undefined ? { work } : {}), parts: parts.length }
}

const PRIORITY_RANK: Record<string, number> = { critical: 0, high: 1, normal: 2, low: 3 }

/** Tasks in the order the queue shows them: active ones by priority then age, then the finished, newest first. */
export function queueOrder (state: DashboardState): TaskRow[] {
  const rows = Object.values(state.tasks)
  const active = rows.filter(t => !isFinal(t.status))
    .sort((a, b) => (PRIORITY_RANK[a.priority] ?? 2) - (PRIORITY_RANK[b.priority] ?? 2) || a.createdAt - b.createdAt)
  const finished = rows.filter(t => isFinal(t.status)).sort((a, b) => (b.finishedAt ?? b.updatedAt) - (a.finishedAt ?? a.updatedAt))
  return [...active, ...finished]
}

/** Tasks whose ids the state holds without their summary (to read with `GET /v1/tasks/:id`). */
export function unknownTasks (state: DashboardState): string[] {
  return Object.values(state.tasks).filter(t => !t.known).map(t => t.taskId)
}

/** The state as `dashboard --once --json` prints it: lists instead of maps, with what the screen derives. */
export function stateForJson (state: DashboardState): Record<string, unknown> {
  return {
    at: state.now,
    node: state.node ?? null,
    stream: state.stream,
    metrics: metricsOf(state),
    agents: Object.values(state.agents).map(a => {
      const { status, work } = agentActivity(state, a)
      return { ...a, status, ...(work !== undefined ? { task: { taskId: work.taskId, skill: work.skill, state: work.state, ...(work.progress !== undefined ? { progress: work.progress } : {}) } } : {}) }
    }),
    tasks: queueOrder(state),
    groups: queueOrder(state).filter(t => t.members.length > 0).map(t => ({ taskId: t.taskId, status: t.status, groupId: t.groupId ?? null, members: t.members })),
    work: Object.values(state.work),
    workflows: shownWorkflows(state.workflows, Infinity),
    recent: state.recent
  }
}
