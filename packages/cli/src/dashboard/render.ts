/**
 * The dashboard's picture: a pure function of the state and the terminal's size to lines of text
 * no wider than the terminal and no more than its height. Styling (bold titles) is optional and
 * only ever wraps whole lines, so widths are those of the plain text.
 */
import { formatMs, shortId } from '../output.js'
import { isFinal, nameOf, taskLabel } from './state.js'
import { agentActivity, metricsOf, queueOrder } from './views.js'
import { workflowsSection } from './workflows.js'
import type { DashboardState, TaskRow, WorkRow } from './state.js'

export interface RenderOptions {
  width: number
  /** Lines available; Infinity prints everything (a one-off frame to a file or a pipe). */
  height: number
  /** Bold section titles with ANSI escapes. */
  color?: boolean
  /** A last line, e.g. the keys. */
  footer?: string
  /** Event lines shown when the height does not limit them. */
  maxEvents?: number
  /** A live screen (default): shows the event stream's state and the recent events; a one-off frame has neither. */
  live?: boolean
}

const BOLD = '\x1b[1m'
const DIM = '\x1b[2m'
const RESET = '\x1b[0m'

/** Cuts `text` to `width` characters, ending with an ellipsis when it was longer. */
export function fit (text: string, width: number): string {
  if (width <= 0) return ''
  return text.length <= width ? text : width === 1 ? '…' : text.slice(0, width - 1) + '…'
}

/** A progress bar `█████░░░░░ 50%` of `cells` cells. */
export function progressBar (progress: number, cells = 10): string {
  const p = Math.max(0, Math.min(1, progress))
  const full = Math.round(p * cells)
  return `${'█'.repeat(full)}${'░'.repeat(cells - full)} ${String(Math.round(p * 100)).padStart(3)}%`
}


function clock (at: number): string {
  const d = new Date(at)
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map(n => String(n).padStart(2, '0')).join(':')
}

/**
 * Lays out a table: each column as wide as its widest cell up to its maximum, the last one taking
 * what is left of `width`. Returns the header line and the row lines.
 */
export function tableLines (headers: string[], rows: string[][], maxWidths: number[], width: number): { header: string, rows: string[] } {
  const last = headers.length - 1
  const widths = headers.map((h, i) => i === last ? 0 : Math.min(maxWidths[i] ?? 40, Math.max(h.length, ...rows.map(r => (r[i] ?? '').length))))
  const line = (cells: string[]): string => {
    const used = widths.slice(0, last).reduce((a, b) => a + b + 2, 0)
    const text = cells.map((c, i) => i === last ? fit(c, Math.max(0, width - used)) : fit(c, widths[i] ?? 0).padEnd(widths[i] ?? 0)).join('  ')
    return fit(text.trimEnd(), width)
  }
  return { header: line(headers), rows: rows.map(line) }
}

interface Section {
  title: string
  header?: string
  rows: string[]
  /** Rows at most, whatever the height (events). */
  cap?: number
}

function workText (w: WorkRow): string {
  if (w.state === 'done') return 'done'
  if (w.state === 'failed') return 'failed'
  if (w.progress !== undefined) return progressBar(w.progress)
  return w.state
}

function agentsSection (state: DashboardState, width: number): Section {
  const agents = Object.values(state.agents).sort((a, b) => (a.self === b.self ? a.name.localeCompare(b.name) : a.self ? -1 : 1))
  const rows = agents.map(a => {
    const { status, work, parts } = agentActivity(state, a)
    const task = work === undefined ? '-' : `${taskLabel(work.taskId)} ${work.skill}${parts > 1 ? ` +${parts - 1}` : ''}`
    return [a.name + (a.self ? ' *' : ''), shortId(a.peerId), status, `${a.load}/${a.capacity}`, task, work === undefined ? '' : workText(work), a.skills.join(', ')]
  })
  const t = tableLines(['NAME', 'PEER', 'STATUS', 'LOAD', 'TASK', 'PROGRESS', 'SKILLS'], rows, [20, 15, 8, 7, 24, 15, 0], width)
  return { title: `AGENTS (${agents.length})`, header: t.header, rows: agents.length === 0 ? ['(no agents known yet)'] : t.rows }
}

function durationOf (t: TaskRow, now: number): string {
  return formatMs(Math.max(0, (isFinal(t.status) ? (t.finishedAt ?? t.updatedAt) : now) - t.createdAt))
}

function tasksSection (state: DashboardState, width: number): Section {
  const tasks = queueOrder(state)
  const rows = tasks.map(t => [
    taskLabel(t.taskId),
    t.priority,
    t.status,
    `${t.attempts}${t.maxAttempts !== undefined ? `/${t.maxAttempts}` : ''}`,
    t.offers === undefined ? '-' : String(t.offers),
    durationOf(t, state.now),
    t.tokens === undefined ? '-' : String(t.tokens),
    t.skills.join(', '),
    t.description === '' ? '…' : t.description + (t.reason !== undefined && isFinal(t.status) && t.status !== 'COMPLETE' && t.status !== 'VERIFIED' ? ` (${t.reason})` : '')
  ])
  const t = tableLines(['ID', 'PRIORITY', 'STATE', 'TRY', 'OFFERS', 'TIME', 'TOKENS', 'SKILLS', 'DESCRIPTION'], rows, [8, 8, 9, 5, 6, 7, 7, 36, 0], width)
  const active = tasks.filter(x => !isFinal(x.status)).length
  return { title: `TASKS (${active} active, ${tasks.length - active} finished)`, header: t.header, rows: tasks.length === 0 ? ['(no tasks announced through this node)'] : t.rows }
}

function groupsSection (state: DashboardState): Section {
  const tasks = queueOrder(state).filter(t => t.members.length > 0)
  const work = Object.values(state.work)
  const rows = tasks.map(t => {
    const members = t.members.map(m => {
      const parts = m.skills.map(skill => {
        const w = work.find(x => x.taskId === t.taskId && x.peerId === m.peerId && x.skill === skill)
        const how = w === undefined ? '' : w.state === 'done' || w.state === 'failed' ? ` ${w.state}` : w.progress !== undefined ? ` ${Math.round(w.progress * 100)}%` : ` ${w.state}`
        return `${skill}${how}`
      })
      return `${nameOf(state, m.peerId)} (${parts.join(', ')})`
    })
    return `${taskLabel(t.taskId)}  ${t.status.padEnd(9)} ${members.join(', ')}`
  })
  return { title: `GROUPS (${tasks.filter(t => !isFinal(t.status)).length} working)`, rows: rows.length === 0 ? ['(no groups yet)'] : rows }
}

function eventsSection (state: DashboardState, maxEvents: number): Section {
  const rows = state.recent.slice(-maxEvents).map(e => `${clock(e.at)}  ${e.text}`)
  return { title: 'EVENTS', rows: rows.length === 0 ? ['(waiting for events)'] : rows, cap: maxEvents }
}

/** Joins `parts` with ' · ' into as few lines no wider than `width` as it takes. */
export function wrapParts (parts: string[], width: number): string[] {
  const lines: string[] = []
  let current = ''
  for (const part of parts) {
    const next = current === '' ? part : `${current} · ${part}`
    if (next.length > width && current !== '') {
      lines.push(current)
      current = part
    } else {
      current = next
    }
  }
  if (current !== '') lines.push(current)
  return lines
}

function headLines (state: DashboardState, width: number, live: boolean): string[] {
  const n = state.node
  const m = metricsOf(state)
  const stream = state.stream.state === 'live' ? 'live' : state.stream.state === 'connecting' ? 'connecting…' : `DOWN${state.stream.message !== undefined ? ` (${state.stream.message})` : ''}`
  const title = n === undefined
    ? `swarm dashboard · connecting… · ${clock(state.now)}`
    : `swarm dashboard · ${n.name} ${shortId(n.peerId)} · network ${n.network} · v${n.version} · ${clock(state.now)}`
  const facts = [
    ...(n === undefined ? [] : [`peers ${n.peers}`, `agents ${Object.keys(state.agents).length || n.agents}`, `load ${n.load}/${n.capacity}`, `uptime ${formatMs(n.uptimeMs + Math.max(0, state.now - n.at))}`]),
    ...(live ? [`stream ${stream}`] : [])
  ]
  const windowText = m.windowMs % 60_000 === 0 ? `${m.windowMs / 60_000}m` : formatMs(m.windowMs)
  const metrics = [
    `done ${m.done}`, `failed ${m.failed}`, `rejected ${m.rejected}`, `cancelled ${m.cancelled}`, `active ${m.active}`,
    `success ${m.successRate === undefined ? '-' : `${Math.round(m.successRate * 100)}%`}`,
    `throughput ${m.throughputPerMin.toFixed(1)}/min (${windowText})`,
    `avg ${m.avgDurationMs === undefined ? '-' : formatMs(m.avgDurationMs)}`,
    `errors ${m.errors}`
  ]
  return [title, ...wrapParts(facts, width), ...wrapParts(metrics, width), ...(m.lastError !== undefined ? [`last error: ${m.lastError}`] : [])]
}

/**
 * Shares `budget` rows among sections round-robin, each taking no more than it has (or its cap);
 * returns the rows each one gets.
 */
export function shareRows (wants: number[], budget: number): number[] {
  const got = wants.map(() => 0)
  let left = budget
  let progress = true
  while (left > 0 && progress) {
    progress = false
    for (let i = 0; i < wants.length && left > 0; i++) {
      if ((got[i] ?? 0) < (wants[i] ?? 0)) {
        got[i] = (got[i] ?? 0) + 1
        left--
        progress = true
      }
    }
  }
  return got
}

/** The lines of one frame: never more than `height`, none wider than `width`. */
export function renderDashboard (state: DashboardState, options: RenderOptions): string[] {
  const width = Math.max(20, Math.floor(options.width))
  const height = options.height
  const live = options.live !== false
  const head = headLines(state, width, live)
  const footer = options.footer !== undefined ? [options.footer] : []
  const maxEvents = options.maxEvents ?? 10
  // Workflows get a section once this node runs some.
  const workflows = Object.keys(state.workflows).length > 0 ? [workflowsSection(state.workflows, state.now)] : []
  let sections: Section[] = [agentsSection(state, width), tasksSection(state, width), ...workflows, groupsSection(state)]
  if (options.live !== false) sections.push(eventsSection(state, Number.isFinite(height) ? state.recent.length : maxEvents))
  const overhead = (s: Section): number => 2 + (s.header !== undefined ? 1 : 0)
  // Drop sections from the end while even their titles do not fit.
  while (sections.length > 0 && head.length + footer.length + sections.reduce((n, s) => n + overhead(s) + 1, 0) > height) sections = sections.slice(0, -1)
  const budget = height - head.length - footer.length - sections.reduce((n, s) => n + overhead(s), 0)
  const wants = sections.map(s => Math.min(s.rows.length, s.cap ?? Infinity))
  const got = Number.isFinite(budget) ? shareRows(wants, budget) : wants
  const style = (text: string, code: string): string => options.color === true ? code + text + RESET : text
  const lines: string[] = head.map((l, i) => i === 0 ? style(fit(l, width), BOLD) : fit(l, width))
  sections.forEach((s, i) => {
    const n = got[i] ?? 0
    lines.push('')
    lines.push(style(fit(s.title, width), BOLD))
    if (s.header !== undefined) lines.push(style(s.header, DIM))
    // Events show the newest; tables and groups show the first and say how many more there are.
    const rows = s.title === 'EVENTS' ? s.rows.slice(s.rows.length - n) : n < s.rows.length ? [...s.rows.slice(0, Math.max(0, n - 1)), `… ${s.rows.length - Math.max(0, n - 1)} more`] : s.rows
    for (const r of rows.slice(0, n)) lines.push(fit(r, width))
  })
  for (const f of footer) lines.push(fit(f, width))
  return Number.isFinite(height) ? lines.slice(0, Math.max(0, height)) : lines
}
