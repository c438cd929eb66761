/**
 * The dashboard's state and its reducer: snapshots of the control API and the events of its
 * stream go in, the view of the swarm as one node sees it comes out. Pure: no clock, no I/O
 * (every action carries its time), so that a sequence of actions always gives the same state.
 * What the screen derives from the state (metrics, agent activity, queue order) is in views.ts.
 */
import { FINAL_STATUSES } from '@swarm/node'
import { shortId } from '../output.js'
import { outcomeTokens } from './schemas.js'
import { withWorkflowEvent, withWorkflowViews, workflowRecentText } from './workflows.js'
import type { WorkflowEvent, WorkflowView } from '@swarm/node'
import type { AgentSnapshot, StatusSnapshot, TaskEvent, TaskSummary } from './schemas.js'
import type { WorkflowRows } from './workflows.js'

/** How many lines of recent events, and how many tasks, the state keeps. */
const MAX_RECENT = 100
const MAX_TASKS = 500
/** Default window of the throughput figure. */
export const DEFAULT_WINDOW_MS = 5 * 60_000

/**
 * Whether a task in `status` has ended, by its status alone (the node's list): a summary does not
 * say whether a COMPLETE task still awaits verification, so COMPLETE counts as ended here.
 */
export function isFinal (status: string): boolean {
  return (FINAL_STATUSES as readonly string[]).includes(status)
}

export interface NodeInfo {
  peerId: string
  name: string
  network: string
  version: string
  uptimeMs: number
  connections: number
  peers: number
  agents: number
  capacity: number
  load: number
  /** When this snapshot was taken. */
  at: number
}

export interface AgentRow {
  peerId: string
  name: string
  self: boolean
  /** `name:level`. */
  skills: string[]
  capacity: number
  load: number
  lastSeen: number
  /** The directory dropped it (agent:left); kept until the next snapshot. */
  gone: boolean
}

export interface Member {
  peerId: string
  skills: string[]
}

/** A task this node announced. */
export interface TaskRow {
  taskId: string
  /** Empty until the task's summary was read (a task first seen through an event). */
  description: string
  status: string
  priority: string
  /** `name:minLevel` (`×count` when more than one member). */
  skills: string[]
  createdAt: number
  updatedAt: number
  finishedAt?: number
  attempts: number
  maxAttempts?: number
  groupId?: string
  members: Member[]
  /** Offers received, counted from the stream (unknown for a task first read from a snapshot). */
  offers?: number
  /** Tokens its model-served parts used (from the outcome; llm skills only). */
  tokens?: number
  reason?: string
  /** Whether the summary of the task was read (false: only events were seen). */
  known: boolean
}

export type WorkState = 'assigned' | 'running' | 'done' | 'failed'

/** One agent's part of a task (one skill), as this node sees it. */
export interface WorkRow {
  taskId: string
  peerId: string
  skill: string
  state: WorkState
  /** 0..1, from the latest progress report. */
  progress?: number
  message?: string
  since: number
}

export interface DashboardState {
  /** Time of the latest action. */
  now: number
  /** Throughput is counted over this window. */
  windowMs: number
  node?: NodeInfo
  stream: { state: 'connecting' | 'live' | 'down', since: number, message?: string }
  agents: Record<string, AgentRow>
  tasks: Record<string, TaskRow>
  /** Key: `taskId skill peerId`. */
  work: Record<string, WorkRow>
  /** The workflows this node runs, by id (workflows.ts). */
  workflows: WorkflowRows
  /** Failed member parts (handler errors, timeouts, lost members) seen, and API errors. */
  errors: { count: number, last?: { at: number, message: string }, seen: string[] }
  /** The latest events, oldest first. */
  recent: Array<{ at: number, text: string }>
}

export type WorkKind = 'offered' | 'accepted' | 'started' | 'progress' | 'finished' | 'released'

/** This node's own work as a member (`work:*` events). */
export interface WorkEventAction {
  type: 'work'
  at: number
  kind: WorkKind
  taskId: string
  skills: string[]
  progress?: number
  ok?: boolean
  message?: string
}

export interface TaskEventAction {
  type: 'task'
  at: number
  event: TaskEvent
}

export type DashboardAction =
  | { type: 'status', at: number, status: StatusSnapshot }
  | { type: 'agents', at: number, agents: AgentSnapshot[] }
  | { type: 'tasks', at: number, tasks: TaskSummary[] }
  | { type: 'agent', at: number, joined: boolean, agent: AgentSnapshot }
  | { type: 'agent-left', at: number, peerId: string }
  | { type: 'peer', at: number, peerId: string, connected: boolean }
  | { type: 'stream', at: number, state: DashboardState['stream']['state'], message?: string }
  | { type: 'error', at: number, message: string }
  | { type: 'tick', at: number }
  | { type: 'workflows', at: number, workflows: WorkflowView[] }
  | { type: 'workflow', at: number, event: WorkflowEvent }
  | TaskEventAction
  | WorkEventAction

export function initialState (now: number, windowMs = DEFAULT_WINDOW_MS): DashboardState {
  return { now, windowMs, stream: { state: 'connecting', since: now }, agents: {}, tasks: {}, work: {}, workflows: {}, errors: { count: 0, seen: [] }, recent: [] }
}

const workKey = (taskId: string, skill: string, peerId: string): string => `${taskId} ${skill} ${peerId}`

function agentRow (a: AgentSnapshot): AgentRow {
  return { peerId: a.peerId, name: a.name, self: a.self, skills: a.skills.map(s => `${s.name}:${s.level}`), capacity: a.capacity, load: a.load, lastSeen: a.lastSeen, gone: false }
}

function taskRowOf (t: TaskSummary, previous: TaskRow | undefined): TaskRow {
  return {
    taskId: t.taskId,
    description: t.description,
    status: t.status,
    priority: t.priority ?? previous?.priority ?? 'normal',
    skills: t.skills.map(s => `${s.name}:${s.minLevel}${s.count > 1 ? `×${s.count}` : ''}`),
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
    ...(t.finishedAt !== undefined ? { finishedAt: t.finishedAt } : isFinal(t.status) ? { finishedAt: t.updatedAt } : {}),
    attempts: t.attempts,
    maxAttempts: t.maxAttempts,
    ...(t.groupId !== undefined ? { groupId: t.groupId } : {}),
    members: t.members.map(m => ({ peerId: m.peerId, skills: [...m.skills] })),
    ...(previous?.offers !== undefined ? { offers: previous.offers } : {}),
    ...(t.reason !== undefined ? { reason: t.reason } : {}),
    known: true
  }
}

/** A row for a task first seen through an event. */
function unknownTask (taskId: string, at: number): TaskRow {
  return { taskId, description: '', status: 'ANNOUNCED', priority: 'normal', skills: [], createdAt: at, updatedAt: at, attempts: 1, members: [], offers: 0, known: false }
}

/** A short task id: its first 8 characters. */
export function taskLabel (taskId: string): string {
  return taskId.length > 8 ? taskId.slice(0, 8) : taskId
}

/** The display name of a peer: its agent name, or its shortened id. */
export function nameOf (state: DashboardState, peerId: string): string {
  return state.agents[peerId]?.name ?? shortId(peerId)
}

function withRecent (state: DashboardState, at: number, text: string): DashboardState {
  const recent = [...state.recent, { at, text }]
  return { ...state, recent: recent.length > MAX_RECENT ? recent.slice(recent.length - MAX_RECENT) : recent }
}

function withError (state: DashboardState, at: number, key: string, message: string): DashboardState {
  if (state.errors.seen.includes(key)) return state
  const seen = [...state.errors.seen, key]
  return { ...state, errors: { count: state.errors.count + 1, last: { at, message }, seen: seen.length > MAX_TASKS ? seen.slice(seen.length - MAX_TASKS) : seen } }
}

function withoutWorkOf (work: Record<string, WorkRow>, taskId: string, keep: (w: WorkRow) => boolean = () => false): Record<string, WorkRow> {
  const out: Record<string, WorkRow> = {}
  for (const [key, w] of Object.entries(work)) if (w.taskId !== taskId || keep(w)) out[key] = w
  return out
}

/** Work rows of the members of an active task, where the stream did not bring them (the dashboard started late). */
function seedWork (work: Record<string, WorkRow>, task: TaskRow, at: number): Record<string, WorkRow> {
  if (isFinal(task.status)) return withoutWorkOf(work, task.taskId)
  if (task.status !== 'ASSIGNED' && task.status !== 'RUNNING') return work
  let out = work
  for (const m of task.members) {
    for (const skill of m.skills) {
      const key = workKey(task.taskId, skill, m.peerId)
      if (out[key] === undefined) {
        out = { ...out, [key]: { taskId: task.taskId, peerId: m.peerId, skill, state: task.status === 'RUNNING' ? 'running' : 'assigned', since: at } }
      }
    }
  }
  return out
}

/** Keeps at most MAX_TASKS tasks: the finished ones that ended first go. */
function capTasks (tasks: Record<string, TaskRow>): Record<string, TaskRow> {
  const rows = Object.values(tasks)
  if (rows.length <= MAX_TASKS) return tasks
  const finished = rows.filter(t => isFinal(t.status)).sort((a, b) => (a.finishedAt ?? a.updatedAt) - (b.finishedAt ?? b.updatedAt))
  const drop = new Set(finished.slice(0, rows.length - MAX_TASKS).map(t => t.taskId))
  return Object.fromEntries(rows.filter(t => !drop.has(t.taskId)).map(t => [t.taskId, t]))
}

function percent (p: number): string {
  return `${Math.round(Math.max(0, Math.min(1, p)) * 100)}%`
}

function reduceTask (state: DashboardState, action: TaskEventAction): DashboardState {
  const e = action.event
  const at = e.at
  const row = state.tasks[e.taskId] ?? unknownTask(e.taskId, at)
  const id = taskLabel(e.taskId)
  const put = (next: TaskRow, work: Record<string, WorkRow> = state.work): DashboardState =>
    ({ ...state, tasks: capTasks({ ...state.tasks, [e.taskId]: { ...next, updatedAt: Math.max(next.updatedAt, at) } }), work })
  switch (e.type) {
    case 'announced':
      return withRecent(put({ ...row, status: 'ANNOUNCED', attempts: e.attempt, offers: e.attempt === 1 ? 0 : row.offers ?? 0 }), at, `task ${id} announced (attempt ${e.attempt})`)
    case 'offer':
      return withRecent(put({ ...row, offers: (row.offers ?? 0) + 1 }), at, `task ${id} offer from ${nameOf(state, e.peerId)} for ${e.skills.join(', ')} (score ${e.score.toFixed(2)})`)
    case 'bidding-closed':
      return withRecent(put(row), at, `task ${id} bidding closed: ${e.offers} offer${e.offers === 1 ? '' : 's'}${e.early ? ' (early)' : ''}`)
    case 'formed': {
      const next: TaskRow = { ...row, status: 'ASSIGNED', groupId: e.groupId, members: e.members.map(m => ({ peerId: m.peerId, skills: [...m.skills] })) }
      const work = seedWork(withoutWorkOf(state.work, e.taskId), next, at)
      return withRecent(put(next, work), at, `task ${id} group formed in ${Math.round(e.formationMs)}ms: ${next.members.map(m => `${nameOf(state, m.peerId)} (${m.skills.join(', ')})`).join(', ')}`)
    }
    case 'started': {
      const work: Record<string, WorkRow> = { ...state.work }
      for (const [key, w] of Object.entries(work)) if (w.taskId === e.taskId && w.state === 'assigned') work[key] = { ...w, state: 'running', since: at }
      return withRecent(put({ ...row, status: 'RUNNING' }, work), at, `task ${id} started`)
    }
    case 'progress': {
      const key = workKey(e.taskId, e.skill, e.peerId)
      const w = state.work[key] ?? { taskId: e.taskId, peerId: e.peerId, skill: e.skill, state: 'running' as const, since: at }
      const work = { ...state.work, [key]: { ...w, progress: e.progress, ...(e.message !== undefined ? { message: e.message } : {}) } }
      return withRecent(put(row, work), at, `task ${id} ${nameOf(state, e.peerId)} ${e.skill} ${percent(e.progress)}${e.message !== undefined ? ` ${e.message}` : ''}`)
    }
    case 'member-result': {
      const key = workKey(e.taskId, e.skill, e.peerId)
      const w = state.work[key] ?? { taskId: e.taskId, peerId: e.peerId, skill: e.skill, state: 'running' as const, since: at }
      const work = { ...state.work, [key]: { ...w, state: e.ok ? 'done' as const : 'failed' as const, since: at, ...(e.ok ? { progress: 1 } : {}), ...(e.error !== undefined ? { message: e.error.message } : {}) } }
      const text = `task ${id} ${nameOf(state, e.peerId)} ${e.skill} ${e.ok ? 'done' : 'failed'} in ${Math.round(e.durationMs)}ms${e.error !== undefined ? `: ${e.error.message}` : ''}`
      const next = withRecent(put(row, work), at, text)
      return e.ok ? next : withError(next, at, `${key} ${row.attempts}`, text)
    }
    case 'member-replaced': {
      const from = workKey(e.taskId, e.skill, e.from)
      const to = workKey(e.taskId, e.skill, e.to)
      const { [from]: _gone, ...rest } = state.work
      const work = { ...rest, [to]: { taskId: e.taskId, peerId: e.to, skill: e.skill, state: row.status === 'RUNNING' ? 'running' as const : 'assigned' as const, since: at } }
      const members = row.members
        .map(m => m.peerId === e.from ? { ...m, skills: m.skills.filter(s => s !== e.skill) } : m)
        .filter(m => m.skills.length > 0)
      const target = members.find(m => m.peerId === e.to)
      const nextMembers = target === undefined ? [...members, { peerId: e.to, skills: [e.skill] }] : members.map(m => m.peerId === e.to ? { ...m, skills: [...m.skills, e.skill] } : m)
      const text = `task ${id} ${e.skill}: ${nameOf(state, e.from)} replaced by ${nameOf(state, e.to)} (${e.reason})`
      return withError(withRecent(put({ ...row, members: nextMembers }, work), at, text), at, `${from} replaced ${row.attempts}`, text)
    }
    case 'retry':
      return withRecent(put({ ...row, status: 'RETRY', attempts: e.attempt, members: [] }, withoutWorkOf(state.work, e.taskId)), at, `task ${id} retry ${e.attempt} in ${Math.round(e.delayMs)}ms: ${e.reason}`)
    case 'state':
      return put({ ...row, status: e.to, ...(e.reason !== undefined ? { reason: e.reason } : {}) }, isFinal(e.to) ? withoutWorkOf(state.work, e.taskId) : state.work)
    case 'completed':
    case 'failed':
    case 'rejected':
    case 'cancelled': {
      const tokens = outcomeTokens(e.outcome)
      const next: TaskRow = { ...row, status: e.outcome.status, finishedAt: at, ...(e.outcome.attempts !== undefined ? { attempts: e.outcome.attempts } : {}), ...(e.outcome.reason !== undefined ? { reason: e.outcome.reason } : {}), ...(tokens !== undefined ? { tokens } : {}) }
      return withRecent(put(next, withoutWorkOf(state.work, e.taskId)), at, `task ${id} ${e.type}${e.outcome.reason !== undefined ? `: ${e.outcome.reason}` : ''}`)
    }
  }
}

function reduceWork (state: DashboardState, a: WorkEventAction): DashboardState {
  const self = state.node?.peerId
  if (self === undefined) return state
  const id = taskLabel(a.taskId)
  switch (a.kind) {
    case 'offered':
      return withRecent(state, a.at, `this node offered for ${id} (${a.skills.join(', ')})`)
    case 'accepted':
    case 'started': {
      const work = { ...state.work }
      for (const skill of a.skills) {
        const key = workKey(a.taskId, skill, self)
        const w = work[key]
        work[key] = { ...w, taskId: a.taskId, peerId: self, skill, state: a.kind === 'accepted' ? 'assigned' : 'running', since: a.at }
      }
      return withRecent({ ...state, work }, a.at, `this node ${a.kind === 'accepted' ? 'joined the group of' : 'started work on'} ${id} (${a.skills.join(', ')})`)
    }
    case 'progress': {
      const work = { ...state.work }
      for (const skill of a.skills) {
        const key = workKey(a.taskId, skill, self)
        work[key] = { ...(work[key] ?? { taskId: a.taskId, peerId: self, skill, state: 'running' as const, since: a.at }), ...(a.progress !== undefined ? { progress: a.progress } : {}), ...(a.message !== undefined ? { message: a.message } : {}) }
      }
      return { ...state, work }
    }
    case 'finished': {
      // The part is over for this node; where it also announced the task the member-result keeps the row.
      const skill = a.skills[0] ?? ''
      const key = workKey(a.taskId, skill, self)
      const announced = state.tasks[a.taskId] !== undefined
      const { [key]: row, ...rest } = state.work
      const work = announced && row !== undefined ? { ...rest, [key]: { ...row, state: a.ok === true ? 'done' as const : 'failed' as const, since: a.at } } : rest
      const text = `this node ${a.ok === true ? 'finished' : 'failed'} ${id} (${skill})${a.message !== undefined ? `: ${a.message}` : ''}`
      const next = withRecent({ ...state, work }, a.at, text)
      const attempts = state.tasks[a.taskId]?.attempts ?? 1
      return a.ok === true ? next : withError(next, a.at, `${key} ${attempts}`, text)
    }
    case 'released': {
      const work = withoutWorkOf(state.work, a.taskId, w => w.peerId !== self)
      return { ...state, work }
    }
  }
}

/** The next state after `action`. */
export function reduce (state: DashboardState, action: DashboardAction): DashboardState {
  const s: DashboardState = action.at > state.now ? { ...state, now: action.at } : state
  switch (action.type) {
    case 'tick':
      return s
    case 'status': {
      const st = action.status
      return { ...s, node: { peerId: st.peerId, name: st.name, network: st.network, version: st.software.version, uptimeMs: st.uptimeMs, connections: st.connections, peers: st.peers, agents: st.agents, capacity: st.capacity, load: st.load, at: action.at } }
    }
    case 'agents':
      return { ...s, agents: Object.fromEntries(action.agents.map(a => [a.peerId, agentRow(a)])) }
    case 'agent': {
      const row = agentRow(action.agent)
      const next = { ...s, agents: { ...s.agents, [row.peerId]: row } }
      return action.joined ? withRecent(next, action.at, `agent ${row.name} joined (${row.skills.join(', ') || 'no skills'})`) : next
    }
    case 'agent-left': {
      const row = s.agents[action.peerId]
      if (row === undefined) return s
      return withRecent({ ...s, agents: { ...s.agents, [action.peerId]: { ...row, gone: true } } }, action.at, `agent ${row.name} left`)
    }
    case 'peer': {
      if (s.node === undefined) return s
      const peers = Math.max(0, s.node.peers + (action.connected ? 1 : -1))
      return { ...s, node: { ...s.node, peers, connections: Math.max(0, s.node.connections + (action.connected ? 1 : -1)) } }
    }
    case 'tasks': {
      const tasks = { ...s.tasks }
      let work = s.work
      for (const t of action.tasks) {
        const previous = tasks[t.taskId]
        // A summary older than what the stream already showed does not roll the row back.
        if (previous?.known === true && previous.updatedAt > t.updatedAt) continue
        const row = taskRowOf(t, previous)
        tasks[t.taskId] = row
        work = seedWork(work, row, action.at)
      }
      return { ...s, tasks: capTasks(tasks), work }
    }
    case 'stream': {
      if (s.stream.state === action.state && s.stream.message === action.message) return s
      const next = { ...s, stream: { state: action.state, since: action.at, ...(action.message !== undefined ? { message: action.message } : {}) } }
      if (action.state === 'down') return withRecent(next, action.at, `event stream down${action.message !== undefined ? `: ${action.message}` : ''}`)
      return action.state === 'live' && s.stream.state === 'down' ? withRecent(next, action.at, 'event stream back') : next
    }
    case 'error':
      return { ...withRecent(s, action.at, `error: ${action.message}`), errors: { ...s.errors, count: s.errors.count + 1, last: { at: action.at, message: action.message } } }
    case 'task':
      return reduceTask(s, action)
    case 'work':
      return reduceWork(s, action)
    case 'workflows':
      return { ...s, workflows: withWorkflowViews(s.workflows, action.workflows) }
    case 'workflow': {
      const next = { ...s, workflows: withWorkflowEvent(s.workflows, action.event) }
      return withRecent(next, action.event.at, workflowRecentText(s.workflows, action.event))
    }
  }
}
