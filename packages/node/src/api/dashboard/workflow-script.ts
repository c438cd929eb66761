/**
 * The web dashboard's workflows (inline in the page, after script.ts's code, in the same
 * script: it uses that code's helpers h, $, api, guard, soon, badge, none, short, clock, pretty
 * and agentName, and script.ts calls loadWorkflows and onWorkflowEvent). Plain browser
 * JavaScript: the Workflows panel lists the workflows of `GET /v1/workflows`; selecting one
 * draws its steps as an SVG graph (columns by depth, an edge from each need to the step, nodes
 * coloured by status), read again with `GET /v1/workflows/:id` on each of its events.
 *
 * Its top level only declares: nothing runs, and no document is touched, until script.ts calls
 * in, so that the tests run layoutWorkflow (pure) and renderWorkflowGraph on this text alone in
 * node:vm. Every value from the API goes in as text (textContent, text nodes, attribute values
 * set through the DOM), never as markup: step ids, descriptions and outputs come from peers.
 */
export const WORKFLOW_SCRIPT = String.raw`
// --- workflows --------------------------------------------------------------------------

const wf = { list: [], selected: null, view: null, step: null, missing: false }
const WF_BOX = { width: 184, height: 60, columnGap: 72, rowGap: 18, pad: 12, maxLabel: 24 }
const WF_EVENT = /^(workflow|step|phase):/
const SVG_NS = 'http://www.w3.org/2000/svg'

function wfCut (text, max) {
  const s = String(text ?? '')
  return s.length > max ? s.slice(0, max - 1) + '…' : s
}

// 80 → "80 ms", 1234 → "1.2 s", 185000 → "3 min 5 s" (the layout's own, so that it needs nothing else).
function wfDuration (n) {
  if (n < 1000) return Math.round(n) + ' ms'
  if (n < 60000) return (n / 1000).toFixed(1) + ' s'
  return Math.floor(n / 60000) + ' min ' + Math.floor((n % 60000) / 1000) + ' s'
}

// How long a step ran: to its end, or (still running) to now.
function wfStepMs (step, now) {
  if (typeof step.startedAt !== 'number') return undefined
  const end = typeof step.finishedAt === 'number' ? step.finishedAt : now
  return Math.max(0, end - step.startedAt)
}

/**
 * Where each step of a view goes (pure: no document). Columns by depth (the distinct depths in
 * order, so that a gap leaves no empty column); in a column, steps by the mean row of their
 * needs in the columns before (fewer crossings), then in the view's order; shorter columns are
 * centred. An edge from the right side of each need to the left side of the step that needs
 * it; needs naming no step have none. Labels: the id, the status (and iteration past the first),
 * the duration (so far, while running: measured to now, default the view's last update).
 */
function layoutWorkflow (view, now) {
  const steps = view && Array.isArray(view.steps) ? view.steps : []
  const at = typeof now === 'number' ? now : view && typeof view.updatedAt === 'number' ? view.updatedAt : 0
  const depthOf = s => Number.isInteger(s.depth) && s.depth >= 0 ? s.depth : 0
  const depths = [...new Set(steps.map(depthOf))].sort((a, b) => a - b)
  const columns = depths.map(d => steps.map((step, index) => ({ step, index })).filter(x => depthOf(x.step) === d))
  const rowOf = new Map()
  for (const column of columns) {
    const key = x => {
      const rows = (x.step.needs || []).filter(n => rowOf.has(n)).map(n => rowOf.get(n))
      return rows.length === 0 ? Infinity : rows.reduce((a, b) => a + b, 0) / rows.length
    }
    column.sort((a, b) => (key(a) - key(b)) || (a.index - b.index))
    column.forEach((x, row) => { if (!rowOf.has(x.step.id)) rowOf.set(x.step.id, row) })
  }
  const tallest = Math.max(0, ...columns.map(c => c.length))
  const pitch = WF_BOX.height + WF_BOX.rowGap
  const nodes = []
  const byId = new Map()
  columns.forEach((column, col) => {
    const offset = (tallest - column.length) * pitch / 2
    column.forEach((x, row) => {
      const s = x.step
      const took = wfStepMs(s, at)
      const node = {
        id: String(s.id),
        status: String(s.status),
        column: col,
        row,
        x: WF_BOX.pad + col * (WF_BOX.width + WF_BOX.columnGap),
        y: WF_BOX.pad + offset + row * pitch,
        width: WF_BOX.width,
        height: WF_BOX.height,
        labels: [
          wfCut(s.id, WF_BOX.maxLabel),
          String(s.status) + (s.iteration > 1 ? ' · iteration ' + s.iteration : ''),
          took === undefined ? '' : wfDuration(took) + (typeof s.finishedAt === 'number' ? '' : ' so far')
        ]
      }
      nodes.push(node)
      if (!byId.has(node.id)) byId.set(node.id, node)
    })
  })
  const edges = []
  for (const s of steps) {
    const to = byId.get(String(s.id))
    for (const need of s.needs || []) {
      const from = byId.get(String(need))
      if (!from || !to) continue
      const x1 = from.x + from.width
      const y1 = from.y + from.height / 2
      const x2 = to.x
      const y2 = to.y + to.height / 2
      const bend = Math.max(24, (x2 - x1) / 2)
      edges.push({ from: from.id, to: to.id, x1, y1, x2, y2, d: 'M' + x1 + ' ' + y1 + ' C' + (x1 + bend) + ' ' + y1 + ' ' + (x2 - bend) + ' ' + y2 + ' ' + x2 + ' ' + y2 })
    }
  }
  const width = columns.length === 0 ? 0 : WF_BOX.pad * 2 + columns.length * WF_BOX.width + (columns.length - 1) * WF_BOX.columnGap
  const height = tallest === 0 ? 0 : WF_BOX.pad * 2 + tallest * WF_BOX.height + (tallest - 1) * WF_BOX.rowGap
  return { width, height, nodes, edges }
}

function svg (tag, attrs, ...kids) {
  const el = document.createElementNS(SVG_NS, tag)
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) el.setAttribute(k, String(v))
  for (const kid of kids) if (kid) el.append(kid)
  return el
}

function svgText (x, y, text, cls) {
  const el = svg('text', { x, y, class: cls })
  el.textContent = text
  return el
}

/** The graph of a workflow's steps as an SVG element (clicking a step shows it below). */
function renderWorkflowGraph (view, now) {
  const layout = layoutWorkflow(view, now)
  const root = svg('svg', { class: 'wf-graph', width: layout.width, height: layout.height, viewBox: '0 0 ' + layout.width + ' ' + layout.height, role: 'img' })
  root.setAttribute('aria-label', 'steps of workflow ' + String(view.name ?? ''))
  const marker = svg('marker', { id: 'wf-arrow', viewBox: '0 0 8 8', refX: 8, refY: 4, markerWidth: 7, markerHeight: 7, orient: 'auto' }, svg('path', { d: 'M0 0 L8 4 L0 8 z' }))
  root.append(svg('defs', null, marker))
  for (const e of layout.edges) {
    const path = svg('path', { class: 'wf-edge', d: e.d, 'marker-end': 'url(#wf-arrow)' })
    path.setAttribute('data-from', e.from)
    path.setAttribute('data-to', e.to)
    root.append(path)
  }
  const description = new Map((view.steps || []).map(s => [String(s.id), s.description]))
  for (const n of layout.nodes) {
    const g = svg('g', { class: 'wf-node' + (n.id === wf.step ? ' selected' : ''), transform: 'translate(' + n.x + ' ' + n.y + ')', tabindex: 0 })
    g.setAttribute('data-status', n.status)
    g.setAttribute('data-step-id', n.id)
    const title = svg('title')
    title.textContent = n.id + (description.get(n.id) ? ' — ' + description.get(n.id) : '')
    g.append(title, svg('rect', { width: n.width, height: n.height, rx: 6, ry: 6 }),
      svgText(10, 18, n.labels[0], 'wf-id'), svgText(10, 35, n.labels[1], 'wf-sub'), svgText(10, 51, n.labels[2], 'wf-sub'))
    g.addEventListener('click', () => selectWorkflowStep(n.id))
    g.addEventListener('keydown', ev => { if (ev.key === 'Enter' || ev.key === ' ') selectWorkflowStep(n.id) })
    root.append(g)
  }
  return root
}

function wfProgress (view) {
  const steps = view.steps || []
  return steps.filter(s => s.status === 'completed').length + '/' + steps.length
}

function wfMs (view) {
  const end = typeof view.finishedAt === 'number' ? view.finishedAt : Date.now()
  return wfDuration(Math.max(0, end - view.createdAt))
}

async function loadWorkflows () {
  const body = await api('/v1/workflows')
  wf.missing = body === null
  wf.list = body && Array.isArray(body.workflows) ? body.workflows : []
  renderWorkflows()
}

async function loadSelectedWorkflow () {
  const id = wf.selected
  if (!id) return
  const body = await api('/v1/workflows/' + encodeURIComponent(id))
  if (id !== wf.selected) return
  wf.view = body ? body.workflow : null
  renderSelectedWorkflow()
}

function renderWorkflows () {
  const rows = wf.list.map(v => h('tr', {
    class: 'task' + (v.workflowId === wf.selected ? ' selected' : ''),
    dataset: { workflowId: v.workflowId, status: v.status },
    onclick: () => selectWorkflow(v.workflowId)
  },
  h('td', null, v.name),
  h('td', null, h('code', { title: v.workflowId }, short(v.workflowId))),
  h('td', null, badge(v.status), v.reason ? h('span', { class: 'muted' }, ' ' + v.reason) : null),
  h('td', { class: 'mono' }, wfProgress(v)),
  h('td', { class: 'mono' }, wfMs(v)),
  h('td', { class: 'muted' }, clock(v.createdAt))))
  $('workflows').replaceChildren(rows.length ? h('table', null,
    h('thead', null, h('tr', null, ['Workflow', 'Id', 'Status', 'Steps done', 'Time', 'Created'].map(t => h('th', null, t)))),
    h('tbody', null, rows)) : none(wf.missing ? 'this node does not run workflows' : 'no workflows run from this node yet'))
  $('workflow-count').textContent = '(' + wf.list.length + ')'
}

function selectWorkflow (workflowId) {
  // A second click on the selected workflow closes it.
  wf.selected = wf.selected === workflowId ? null : workflowId
  wf.view = null
  wf.step = null
  for (const tr of document.querySelectorAll('#workflows tr.task')) tr.classList.toggle('selected', tr.dataset.workflowId === wf.selected)
  $('workflow-detail').hidden = wf.selected === null
  if (wf.selected === null) return
  $('workflow-graph').replaceChildren(none('loading…'))
  $('workflow-step').replaceChildren()
  guard(loadSelectedWorkflow())
}

function selectWorkflowStep (stepId) {
  wf.step = wf.step === stepId ? null : stepId
  renderSelectedWorkflow()
}

function renderSelectedWorkflow () {
  const v = wf.view
  if (!v) {
    $('workflow-title').textContent = ''
    $('workflow-graph').replaceChildren(none('this node has no workflow ' + wf.selected))
    $('workflow-step').replaceChildren()
    return
  }
  $('workflow-title').replaceChildren(v.name + ' ', badge(v.status), h('span', { class: 'muted' }, ' ' + wfProgress(v) + ' steps done · ' + wfMs(v) + (v.reason ? ' · ' + v.reason : '')))
  $('workflow-graph').replaceChildren((v.steps || []).length ? renderWorkflowGraph(v, Date.now()) : none('no steps'))
  const step = (v.steps || []).find(s => s.id === wf.step)
  $('workflow-step').replaceChildren(step ? renderWorkflowStep(step) : h('p', { class: 'muted' }, 'select a step to see its tasks and output'))
}

function renderWorkflowStep (s) {
  let tokens = 0
  let counted = false
  for (const t of s.tasks || []) if (typeof t.tokens === 'number') { tokens += t.tokens; counted = true }
  const took = wfStepMs(s, Date.now())
  return h('div', { class: 'card', dataset: { stepId: s.id } },
    h('dl', { class: 'facts' },
      h('dt', null, 'step'), h('dd', null, h('code', null, s.id)),
      h('dt', null, 'description'), h('dd', null, s.description),
      h('dt', null, 'status'), h('dd', null, badge(s.status), s.iteration > 1 ? ' iteration ' + s.iteration : ''),
      h('dt', null, 'needs'), h('dd', null, (s.needs || []).length ? s.needs.join(', ') : '—'),
      h('dt', null, 'duration'), h('dd', null, took === undefined ? '—' : wfDuration(took)),
      h('dt', null, 'tokens'), h('dd', null, counted ? String(tokens) : '-'),
      s.escalationId ? [h('dt', null, 'escalation'), h('dd', null, h('code', null, s.escalationId), ' — answer it with ', h('code', null, 'swarm-node resolve ' + s.escalationId))] : null,
      s.error ? [h('dt', null, 'error'), h('dd', { class: 'error' }, s.error)] : null),
    (s.tasks || []).length ? h('ul', null, s.tasks.map(t => h('li', { dataset: { taskId: t.taskId } },
      h('code', { title: t.taskId }, short(t.taskId)), ' ', badge(t.status),
      typeof t.item === 'number' ? ' item ' + t.item : '',
      typeof t.finishedAt === 'number' ? ' ' + wfDuration(Math.max(0, t.finishedAt - t.startedAt)) : '',
      (t.members || []).length ? ' · ' + t.members.map(m => agentName(m.peerId) + ' (' + m.skill + ')').join(', ') : '',
      t.error ? h('span', { class: 'error' }, ' ' + t.error) : null))) : none('no task sent out yet'),
    s.output !== undefined ? h('pre', null, pretty(s.output, 6000)) : null)
}

// Called by script.ts's onEvent for every event of the stream.
function onWorkflowEvent (name, data) {
  if (!WF_EVENT.test(name)) return
  soon('workflows', loadWorkflows, 200)
  if (data && typeof data === 'object' && data.workflowId && data.workflowId === wf.selected) soon('workflow', loadSelectedWorkflow, 150)
}
`
