/**
 * Reports of workflows, from their views alone (pure: no clock, no I/O): a self-contained HTML
 * page of one workflow (`swarm-node workflow <id> --html`), the critical path of its steps, and a
 * CSV of the steps of many workflows (`swarm-node workflows --csv`).
 *
 * Descriptions, errors and outputs come from other peers: the page escapes every value it shows
 * and runs no script, so that opening a report never runs what a peer wrote.
 */
import type { Json } from '@swarm/protocol'
import type { StepTask, StepView, WorkflowView } from './types.js'

/** Characters of a step's pretty-printed output the page shows before cutting it. */
const MAX_OUTPUT_CHARS = 4096

/** Statuses of a step that may still give an output. */
const OPEN_STATUSES: readonly string[] = ['waiting', 'ready', 'running', 'escalated']

/** When a workflow ended, or (still running) when its view was last updated. */
function workflowEnd (view: WorkflowView): number {
  return view.finishedAt ?? view.updatedAt
}

/**
 * The time a step ran: from its start to its end; a step that has not ended counts up to the
 * end of the workflow (its last update while it runs). A step that never started has none.
 */
function stepSpan (step: StepView, end: number): { start: number, end: number } | undefined {
  if (step.startedAt === undefined) return undefined
  const stop = step.finishedAt ?? Math.max(step.startedAt, end)
  return { start: step.startedAt, end: Math.max(step.startedAt, stop) }
}

function stepMs (step: StepView, end: number): number {
  const span = stepSpan(step, end)
  return span === undefined ? 0 : span.end - span.start
}

/**
 * The chain of needs whose steps' durations add up to the most: the steps, from a root to the
 * step it ends at, and that sum. Ties go to the step (and the need) listed first. Needs naming
 * no step of the view are left out; a cycle (never in a valid workflow) is cut where it closes.
 */
export function criticalPath (view: WorkflowView): { steps: string[], ms: number } {
  const byId = new Map(view.steps.map(s => [s.id, s]))
  const end = workflowEnd(view)
  const best = new Map<string, { ms: number, prev?: string }>()
  const visit = (id: string, trail: Set<string>): number => {
    const known = best.get(id)
    if (known !== undefined) return known.ms
    const step = byId.get(id)
    if (step === undefined || trail.has(id)) return 0
    trail.add(id)
    let prev: string | undefined
    let longest = 0
    for (const need of step.needs) {
      if (!byId.has(need) || trail.has(need)) continue
      const ms = visit(need, trail)
      if (prev === undefined || ms > longest) {
        prev = need
        longest = ms
      }
    }
    trail.delete(id)
    const ms = longest + stepMs(step, end)
    best.set(id, prev === undefined ? { ms } : { ms, prev })
    return ms
  }
  let last: string | undefined
  let ms = 0
  for (const step of view.steps) {
    const total = visit(step.id, new Set())
    if (last === undefined || total > ms) {
      last = step.id
      ms = total
    }
  }
  const steps: string[] = []
  for (let id = last; id !== undefined && !steps.includes(id); id = best.get(id)?.prev) steps.unshift(id)
  return { steps, ms }
}

// --- formatting -------------------------------------------------------------------------

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Text made safe for HTML content and quoted attribute values. */
function esc (text: string): string {
  return text.replace(/[&<>"']/g, c => HTML_ESCAPES[c] ?? c)
}

/** 80 → "80 ms", 1234 → "1.2 s", 185000 → "3 min 5 s", 3900000 → "1 h 5 min". */
function duration (ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.floor((ms % 60_000) / 1000)} s`
  return `${Math.floor(ms / 3_600_000)} h ${Math.floor((ms % 3_600_000) / 60_000)} min`
}

const iso = (at: number | undefined): string => at === undefined ? '' : new Date(at).toISOString()

/** A peer id shortened for reading: 12D3KooW…abcdef. */
function shortPeer (id: string): string {
  return id.length > 16 ? `${id.slice(0, 8)}…${id.slice(-6)}` : id
}

/** The tokens the tasks of a step used, when any of them reports some. */
function tokensOf (tasks: StepTask[]): number | undefined {
  let total: number | undefined
  for (const t of tasks) if (t.tokens !== undefined) total = (total ?? 0) + t.tokens
  return total
}

/** Who did a step's tasks: each peer once, with its skills in the order first seen. */
function membersOf (tasks: StepTask[]): Array<{ peerId: string, skills: string[] }> {
  const out: Array<{ peerId: string, skills: string[] }> = []
  for (const t of tasks) {
    for (const m of t.members ?? []) {
      const seen = out.find(x => x.peerId === m.peerId)
      if (seen === undefined) out.push({ peerId: m.peerId, skills: [m.skill] })
      else if (!seen.skills.includes(m.skill)) seen.skills.push(m.skill)
    }
  }
  return out
}

/** Pretty JSON, cut after MAX_OUTPUT_CHARS characters (never inside a surrogate pair), and what was cut. */
function prettyJson (value: Json): { text: string, cut: number } {
  const full = JSON.stringify(value, null, 2)
  if (full.length <= MAX_OUTPUT_CHARS) return { text: full, cut: 0 }
  let at = MAX_OUTPUT_CHARS
  const code = full.charCodeAt(at - 1)
  if (code >= 0xd800 && code <= 0xdbff) at--
  return { text: full.slice(0, at), cut: full.length - at }
}

function jsonBlock (value: Json | undefined, empty: string): string {
  if (value === undefined) return `<p class="muted">${esc(empty)}</p>`
  const { text, cut } = prettyJson(value)
  const note = cut > 0 ? `\n<p class="note">Truncated: ${cut.toLocaleString('en')} more characters are not shown (the full value is in the node's API: <code>GET /v1/workflows/:id</code>).</p>` : ''
  return `<pre>${esc(text)}</pre>${note}`
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`

// --- the page ---------------------------------------------------------------------------

const STYLE = `
:root { color-scheme: light dark; --bg: #f6f7f9; --panel: #fff; --fg: #1d2330; --muted: #6b7280; --line: #e3e6eb;
  --ok: #15803d; --bad: #b91c1c; --warn: #b45309; --run: #7c3aed; --wait: #94a3b8; --accent: #2563eb;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
@media (prefers-color-scheme: dark) { :root { --bg: #11151c; --panel: #181d26; --fg: #e5e7eb; --muted: #9aa3b2; --line: #2a3140;
  --ok: #4ade80; --bad: #f87171; --warn: #fbbf24; --run: #a78bfa; --wait: #64748b; --accent: #60a5fa; } }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1200px; padding: 16px 20px 40px; background: var(--bg); color: var(--fg); }
h1 { font-size: 22px; margin: 0 0 6px; overflow-wrap: anywhere; }
h2 { font-size: 15px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin: 0 0 10px; }
h3 { font-size: 15px; margin: 0 0 6px; overflow-wrap: anywhere; }
section, header { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 12px 14px; margin: 0 0 14px; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
pre { background: var(--bg); border: 1px solid var(--line); border-radius: 4px; padding: 8px; overflow: auto; max-height: 420px; white-space: pre-wrap; overflow-wrap: anywhere; margin: 6px 0; }
.muted { color: var(--muted); }
.note { color: var(--warn); margin: 2px 0 8px; }
.error { color: var(--bad); overflow-wrap: anywhere; }
dl.facts { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 2px 14px; margin: 8px 0 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.status { display: inline-block; border-radius: 4px; padding: 0 7px; font-weight: 600; font-size: 12px; color: #fff; background: var(--wait); }
.s-completed { background: var(--ok); } .s-failed { background: var(--bad); } .s-cancelled { background: var(--muted); }
.s-running { background: var(--run); } .s-escalated { background: var(--warn); } .s-ready { background: var(--accent); }
.s-waiting, .s-skipped { background: var(--wait); }
.timeline { display: grid; grid-template-columns: minmax(120px, 200px) minmax(0, 1fr) minmax(160px, 340px); gap: 4px 12px; align-items: center; }
.timeline .label { overflow-wrap: anywhere; }
.timeline .info { color: var(--muted); font-size: 12.5px; overflow-wrap: anywhere; }
.track { position: relative; height: 18px; background: var(--bg); border: 1px solid var(--line); border-radius: 3px; }
.track .bar { position: absolute; top: 2px; bottom: 2px; min-width: 2px; border-radius: 2px; }
.track .wait { position: absolute; top: 7px; height: 2px; background: var(--wait); opacity: .6; }
.critical .track { border-color: var(--accent); box-shadow: 0 0 0 1px var(--accent); }
.label.critical code { font-weight: 700; }
.axis { position: relative; height: 18px; color: var(--muted); font-size: 11.5px; }
.axis span { position: absolute; transform: translateX(-50%); white-space: nowrap; }
.axis span:first-child { transform: none; } .axis span:last-child { transform: translateX(-100%); }
table { border-collapse: collapse; width: 100%; margin: 6px 0; }
th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid var(--line); vertical-align: top; font-size: 12.5px; }
th { color: var(--muted); font-weight: 600; }
article { border-top: 1px solid var(--line); padding: 10px 0 4px; }
article:first-of-type { border-top: 0; padding-top: 0; }
`

function statusBadge (status: string): string {
  return `<span class="status s-${esc(status)}">${esc(status)}</span>`
}

function membersHtml (tasks: StepTask[]): string {
  const members = membersOf(tasks)
  if (members.length === 0) return ''
  return members.map(m => `<code title="${esc(m.peerId)}">${esc(shortPeer(m.peerId))}</code> (${esc(m.skills.join(', '))})`).join(', ')
}

function headerHtml (view: WorkflowView): string {
  const end = workflowEnd(view)
  const facts: Array<[string, string]> = [
    ['id', `<code>${esc(view.workflowId)}</code>`],
    ['status', `${statusBadge(view.status)}${view.reason !== undefined ? ` <span class="error">${esc(view.reason)}</span>` : ''}`],
    ['created', esc(iso(view.createdAt))],
    [view.finishedAt !== undefined ? 'finished' : 'last update', esc(iso(end))],
    ['wall time', `${esc(duration(Math.max(0, end - view.createdAt)))}${view.finishedAt === undefined ? ' so far' : ''}`],
    ['steps', esc(stepCounts(view))]
  ]
  if (view.maxParallel !== undefined) facts.push(['max parallel', esc(String(view.maxParallel))])
  const tokens = tokensOf(view.steps.flatMap(s => s.tasks))
  if (tokens !== undefined) facts.push(['tokens', esc(tokens.toLocaleString('en'))])
  return `<header>
<h1>${esc(view.name)}</h1>
<dl class="facts">
${facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('\n')}
</dl>
${view.input !== undefined ? `<details><summary>Input</summary>${jsonBlock(view.input, '')}</details>` : ''}
</header>`
}

/** "5 steps: 3 completed, 1 running, 1 waiting". */
function stepCounts (view: WorkflowView): string {
  const counts = new Map<string, number>()
  for (const s of view.steps) counts.set(s.status, (counts.get(s.status) ?? 0) + 1)
  const parts = [...counts].map(([status, n]) => `${n} ${status}`)
  return `${plural(view.steps.length, 'step')}${parts.length > 0 ? `: ${parts.join(', ')}` : ''}`
}

/** Steps in the order the timeline draws them: by start, those not started last (by depth). */
function timelineOrder (view: WorkflowView): StepView[] {
  return view.steps
    .map((step, index) => ({ step, index }))
    .sort((a, b) => (a.step.startedAt ?? Infinity) - (b.step.startedAt ?? Infinity) || a.step.depth - b.step.depth || a.index - b.index)
    .map(x => x.step)
}

function timelineHtml (view: WorkflowView, critical: Set<string>): string {
  if (view.steps.length === 0) return '<section><h2>Timeline</h2><p class="muted">This workflow has no steps.</p></section>'
  const end = workflowEnd(view)
  const times = view.steps.flatMap(s => [s.readyAt, s.startedAt, s.finishedAt]).filter((t): t is number => t !== undefined)
  const t0 = Math.min(view.createdAt, ...times)
  const t1 = Math.max(end, ...times)
  const span = Math.max(1, t1 - t0)
  const pct = (t: number): string => `${(((t - t0) / span) * 100).toFixed(2)}%`
  const width = (from: number, to: number): string => `${((Math.max(0, to - from) / span) * 100).toFixed(2)}%`
  const ticks = [0, 0.25, 0.5, 0.75, 1].map(f => `<span style="left:${(f * 100).toFixed(0)}%">+${esc(duration(f * span))}</span>`).join('')
  const rows = timelineOrder(view).map(step => {
    const run = stepSpan(step, end)
    const waitFrom = step.readyAt
    const waitTo = run?.start ?? (step.status === 'ready' ? end : undefined)
    const wait = waitFrom !== undefined && waitTo !== undefined && waitTo > waitFrom
      ? `<div class="wait" style="left:${pct(waitFrom)};width:${width(waitFrom, waitTo)}" title="ready, waiting for a place"></div>`
      : ''
    const bar = run === undefined ? '' : `<div class="bar s-${esc(step.status)}" data-step="${esc(step.id)}" style="left:${pct(run.start)};width:${width(run.start, run.end)}" title="${esc(`${iso(run.start)} → ${step.finishedAt !== undefined ? iso(run.end) : 'still running'}`)}"></div>`
    const tokens = tokensOf(step.tasks)
    const info = [
      run === undefined ? 'not started' : `${duration(run.end - run.start)}${step.finishedAt === undefined ? ' so far' : ''}`,
      plural(step.tasks.length, 'task'),
      ...(step.iteration > 1 ? [`iteration ${step.iteration}`] : []),
      ...(tokens !== undefined ? [`${tokens.toLocaleString('en')} tokens`] : [])
    ].map(esc).join(' · ')
    const who = membersHtml(step.tasks)
    return `<div class="label${critical.has(step.id) ? ' critical' : ''}"><code>${esc(step.id)}</code> ${statusBadge(step.status)}</div>
<div class="${critical.has(step.id) ? 'critical' : ''}"><div class="track">${wait}${bar}</div></div>
<div class="info">${info}${who !== '' ? `<br>${who}` : ''}</div>`
  })
  return `<section><h2>Timeline</h2>
<div class="timeline"><div></div><div class="axis">${ticks}</div><div></div>
${rows.join('\n')}
</div>
<p class="muted">Bars run from each step's start to its end on one time axis from the workflow's creation; a thin line before a bar is the time the step waited for a place after its needs were done. Outlined: the critical path.</p>
</section>`
}

function criticalHtml (view: WorkflowView, path: { steps: string[], ms: number }): string {
  const end = workflowEnd(view)
  const sum = view.steps.reduce((n, s) => n + stepMs(s, end), 0)
  const wall = Math.max(0, end - view.createdAt)
  const chain = path.steps.length === 0 ? '<span class="muted">none</span>' : path.steps.map(id => `<code>${esc(id)}</code>`).join(' → ')
  return `<section id="critical-path"><h2>Critical path</h2>
<dl class="facts">
<dt>critical path</dt><dd>${chain} (${plural(path.steps.length, 'step')})</dd>
<dt>its length</dt><dd>${esc(duration(path.ms))}</dd>
<dt>all steps' durations</dt><dd>${esc(duration(sum))}${sum > 0 && path.ms > 0 ? ` (${esc((sum / path.ms).toFixed(2))}× the critical path)` : ''}</dd>
<dt>wall time</dt><dd>${esc(duration(wall))}${view.finishedAt === undefined ? ' so far' : ''}${wall > 0 && path.ms > 0 ? ` (the critical path is ${esc(String(Math.round((path.ms / wall) * 100)))}% of it; the rest is negotiation, waiting and scheduling)` : ''}</dd>
</dl>
</section>`
}

function tasksTable (tasks: StepTask[]): string {
  if (tasks.length === 0) return '<p class="muted">No task sent out.</p>'
  const rows = tasks.map(t => `<tr><td><code>${esc(t.taskId)}</code></td><td>${t.item === undefined ? '' : esc(String(t.item))}</td><td>${esc(String(t.iteration))}</td><td>${statusBadge(t.status)}</td><td>${esc(iso(t.startedAt))}</td><td>${t.finishedAt === undefined ? '' : esc(duration(Math.max(0, t.finishedAt - t.startedAt)))}</td><td>${membersHtml([t])}</td><td>${t.tokens === undefined ? '' : esc(String(t.tokens))}</td><td class="error">${esc(t.error ?? '')}</td></tr>`)
  return `<table><thead><tr><th>task</th><th>item</th><th>iteration</th><th>status</th><th>started</th><th>took</th><th>members</th><th>tokens</th><th>error</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table>`
}

function stepHtml (step: StepView, end: number): string {
  const facts: Array<[string, string]> = [
    ['needs', step.needs.length === 0 ? '<span class="muted">nothing</span>' : step.needs.map(n => `<code>${esc(n)}</code>`).join(', ')],
    ['depth', esc(String(step.depth))],
    ['iteration', esc(String(step.iteration))]
  ]
  if (step.readyAt !== undefined) facts.push(['ready', esc(iso(step.readyAt))])
  if (step.startedAt !== undefined) facts.push(['started', esc(iso(step.startedAt))])
  if (step.finishedAt !== undefined) facts.push(['finished', esc(iso(step.finishedAt))])
  if (step.startedAt !== undefined) facts.push(['duration', esc(`${duration(stepMs(step, end))}${step.finishedAt === undefined ? ' so far' : ''}`)])
  const tokens = tokensOf(step.tasks)
  if (tokens !== undefined) facts.push(['tokens', esc(tokens.toLocaleString('en'))])
  const who = membersHtml(step.tasks)
  if (who !== '') facts.push(['who', who])
  if (step.escalationId !== undefined) facts.push(['escalation', `<code>${esc(step.escalationId)}</code> (answer it with <code>swarm-node resolve ${esc(step.escalationId)}</code>)`])
  if (step.error !== undefined) facts.push(['error', `<span class="error">${esc(step.error)}</span>`])
  return `<article id="step-${esc(step.id)}">
<h3><code>${esc(step.id)}</code> ${statusBadge(step.status)}</h3>
${step.description !== '' ? `<p>${esc(step.description)}</p>` : ''}
<dl class="facts">
${facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('\n')}
</dl>
${tasksTable(step.tasks)}
<div class="output"><b>Output</b>${jsonBlock(step.output, OPEN_STATUSES.includes(step.status) ? 'no output yet' : 'no output')}</div>
</article>`
}

/**
 * The report of one workflow as a self-contained HTML page (inline style, no script, nothing
 * fetched): its name, id, status and times; a timeline of its steps on one time axis with who did
 * each, how long it took and the tokens it used; the critical path against the sum of the steps'
 * durations and the wall time; and each step's tasks and output (pretty JSON, cut after about 4 KB).
 */
export function workflowReportHtml (view: WorkflowView): string {
  const path = criticalPath(view)
  const critical = new Set(path.steps)
  const end = workflowEnd(view)
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="swarm-node">
<title>${esc(`workflow ${view.name} (${view.status})`)}</title>
<style>${STYLE}</style>
</head>
<body>
${headerHtml(view)}
${timelineHtml(view, critical)}
${criticalHtml(view, path)}
<section id="steps"><h2>Steps</h2>
${view.steps.length === 0 ? '<p class="muted">This workflow has no steps.</p>' : view.steps.map(s => stepHtml(s, end)).join('\n')}
</section>
<p class="muted">Report of workflow <code>${esc(view.workflowId)}</code> as of ${esc(iso(view.updatedAt))}.</p>
</body>
</html>
`
}

// --- CSV --------------------------------------------------------------------------------

const CSV_HEADER = ['workflow_id', 'workflow_name', 'workflow_status', 'step_id', 'step_status', 'iteration', 'depth', 'needs', 'started_at', 'finished_at', 'duration_ms', 'tasks', 'members', 'tokens', 'error'] as const

/** One field as RFC 4180 writes it: quoted (quotes doubled) when it holds a comma, a quote or a line break. */
function csvField (value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value
}

/**
 * The steps of `views` as CSV (RFC 4180: CRLF line ends, a header row): one row per step of every
 * workflow, in the order given. Times are ISO 8601 (UTC); `duration_ms` is empty for a step that
 * has not both started and ended; `needs` are step ids and `members` are `skill@peerId`, each
 * joined with `;`; `tokens` is empty when no task of the step reported any.
 */
export function workflowsCsv (views: WorkflowView[]): string {
  const rows: string[][] = [[...CSV_HEADER]]
  for (const view of views) {
    for (const step of view.steps) {
      const tokens = tokensOf(step.tasks)
      const members = membersOf(step.tasks).flatMap(m => m.skills.map(skill => `${skill}@${m.peerId}`))
      rows.push([
        view.workflowId,
        view.name,
        view.status,
        step.id,
        step.status,
        String(step.iteration),
        String(step.depth),
        step.needs.join(';'),
        iso(step.startedAt),
        iso(step.finishedAt),
        step.startedAt !== undefined && step.finishedAt !== undefined ? String(Math.max(0, step.finishedAt - step.startedAt)) : '',
        String(step.tasks.length),
        members.join(';'),
        tokens === undefined ? '' : String(tokens),
        step.error ?? ''
      ])
    }
  }
  return rows.map(r => r.map(csvField).join(',')).join('\r\n') + '\r\n'
}
