/**
 * The dashboard's script (inline in the page). Plain browser JavaScript, no framework: it reads
 * the control API with the bearer token and follows GET /v1/events with fetch() (EventSource
 * cannot send a header). Everything from the API is shown as text, never as HTML: agent names,
 * descriptions and outputs come from other peers. The workflows panel's code is in
 * workflow-script.ts, which the page appends to this one in the same script.
 */
export const DASHBOARD_SCRIPT = String.raw`
'use strict'
const TOKEN_KEY = 'swarm-api-token'
const state = { token: null, status: null, agents: [], tasks: [], selected: null, detail: null, generation: 0, stream: null }
const $ = id => document.getElementById(id)

function h (tag, props, ...kids) {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue
    if (k === 'class') el.className = v
    else if (k === 'dataset') Object.assign(el.dataset, v)
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v)
    else el.setAttribute(k, v === true ? '' : String(v))
  }
  for (const kid of kids.flat(Infinity)) {
    if (kid === undefined || kid === null || kid === false) continue
    el.append(kid instanceof Node ? kid : String(kid))
  }
  return el
}
const short = id => typeof id === 'string' && id.length > 14 ? id.slice(0, 6) + '…' + id.slice(-6) : String(id ?? '')
const clock = at => typeof at === 'number' ? new Date(at).toLocaleTimeString(undefined, { hour12: false }) + '.' + String(at % 1000).padStart(3, '0') : ''
function ms (n) {
  if (typeof n !== 'number' || !isFinite(n)) return ''
  if (n < 1000) return Math.round(n) + ' ms'
  if (n < 60000) return (n / 1000).toFixed(1) + ' s'
  return Math.floor(n / 60000) + ' min ' + Math.round((n % 60000) / 1000) + ' s'
}
function compact (value, max) {
  if (value === undefined) return ''
  let text
  try { text = typeof value === 'string' ? value : JSON.stringify(value) } catch { text = String(value) }
  return text.length > max ? text.slice(0, max) + '…' : text
}
// The tokens the model-served parts of a task used (llm skills: output.usage), per part and in all.
function tokensText (outcome) {
  const parts = []
  let total = 0
  for (const [skill, list] of Object.entries((outcome && outcome.bySkill) || {})) {
    for (const p of list) {
      const u = p.output && p.output.usage
      if (!u || typeof u.totalTokens !== 'number') continue
      total += u.totalTokens
      parts.push(skill + ' ' + u.totalTokens + (typeof p.output.model === 'string' ? ' (' + p.output.model + ')' : ''))
    }
  }
  return parts.length === 0 ? '-' : total + ' in all: ' + parts.join(', ')
}

function pretty (value, max) {
  let text
  try { text = JSON.stringify(value, null, 2) } catch { text = String(value) }
  return text.length > max ? text.slice(0, max) + '\n… (' + (text.length - max) + ' more characters)' : text
}
const agentName = peerId => {
  const agent = state.agents.find(a => a.peerId === peerId)
  return agent ? agent.name : short(peerId)
}
const badge = status => h('span', { class: 'badge', dataset: { status } }, status)
const none = text => h('p', { class: 'none' }, text || 'none')

// --- the token -------------------------------------------------------------------------

function takeToken () {
  const hash = new URLSearchParams(location.hash.slice(1))
  const fromHash = hash.get('token')
  if (fromHash) {
    sessionStorage.setItem(TOKEN_KEY, fromHash)
    // The token leaves the address bar (and what is copied from it) at once.
    history.replaceState(null, '', location.pathname + location.search)
  }
  return sessionStorage.getItem(TOKEN_KEY)
}

function stopStream () {
  state.generation++
  if (state.stream) state.stream.abort()
  state.stream = null
}

function askToken (message) {
  state.token = null
  stopStream()
  sessionStorage.removeItem(TOKEN_KEY)
  $('app').hidden = true
  $('token-form').hidden = false
  $('token-error').textContent = message || ''
  setLive('offline')
}

$('token-form').addEventListener('submit', event => {
  event.preventDefault()
  const value = $('token-input').value.trim()
  if (!value) return
  sessionStorage.setItem(TOKEN_KEY, value)
  $('token-input').value = ''
  begin(value)
})

class Unauthorized extends Error {}

async function api (path) {
  const res = await fetch(path, { headers: { authorization: 'Bearer ' + state.token }, cache: 'no-store' })
  if (res.status === 401) throw new Unauthorized('the token was refused')
  if (res.status === 404) return null
  if (!res.ok) {
    let message = 'HTTP ' + res.status
    try { message = (await res.json()).error.message } catch {}
    throw new Error(path + ': ' + message)
  }
  return await res.json()
}

function guard (promise) {
  promise.catch(err => {
    if (err instanceof Unauthorized) askToken('The node refused this token: paste the one in <data-dir>/api-token.')
    else console.warn(err)
  })
}

// --- loading and rendering --------------------------------------------------------------

const timers = {}
function soon (name, fn, delay) {
  if (timers[name]) return
  timers[name] = setTimeout(() => { timers[name] = null; guard(fn()) }, delay)
}

async function loadStatus () {
  state.status = await api('/v1/status')
  renderStatus()
}
async function loadAgents () {
  const body = await api('/v1/agents')
  state.agents = body ? body.agents : []
  renderAgents()
}
async function loadTasks () {
  const body = await api('/v1/tasks?limit=200')
  state.tasks = body ? body.tasks : []
  renderTasks()
}
async function loadEscalations () {
  const body = await api('/v1/escalations')
  const list = body && Array.isArray(body.escalations) ? body.escalations : []
  $('escalations').replaceChildren(list.length === 0 ? none() : h('div', null, list.map(e => h('div', { class: 'card', dataset: { escalationId: e.id } },
    badge(e.status === 'resolved' ? 'resolved' : String(e.severity)), ' ', h('b', null, e.source), ' · task ',
    h('code', { title: e.taskId }, short(e.taskId)), ' ', h('span', { class: 'muted' }, clock(e.createdAt) + ' by ' + agentName(e.raisedBy)),
    h('div', null, e.issue),
    e.attemptedResolutions && e.attemptedResolutions.length ? h('div', { class: 'muted' }, 'tried: ' + e.attemptedResolutions.join('; ')) : null,
    e.decision ? h('div', null, 'decision: ', h('b', null, e.decision)) : null))))
}
async function loadDetail () {
  const id = state.selected
  if (!id) return
  const [found, proposals, blackboard] = await Promise.all([
    api('/v1/tasks/' + encodeURIComponent(id)),
    api('/v1/proposals?task=' + encodeURIComponent(id)).catch(err => { if (err instanceof Unauthorized) throw err; return null }),
    api('/v1/tasks/' + encodeURIComponent(id) + '/blackboard').catch(err => { if (err instanceof Unauthorized) throw err; return null })
  ])
  if (id !== state.selected) return
  state.detail = { found, proposals, blackboard }
  renderDetail()
}

function renderStatus () {
  const s = state.status
  if (!s) return
  $('node-name').textContent = s.name
  const facts = [
    ['peer', h('code', { title: s.peerId }, short(s.peerId))],
    ['network', s.network],
    ['peers', String(s.peers)],
    ['agents', String(s.agents)],
    ['load', s.load + '/' + s.capacity],
    ['version', s.software.version]
  ]
  $('facts').replaceChildren(...facts.map(([k, v]) => h('span', { class: 'fact' }, k + ' ', h('b', null, v))))
}

function agentStatus (a) {
  if (a.self) return 'self'
  if (Date.now() - a.lastSeen > 60000) return 'quiet'
  if (a.capacity > 0 && a.load >= a.capacity) return 'full'
  return a.load > 0 ? 'busy' : 'idle'
}

function renderAgents () {
  const rows = state.agents.slice().sort((a, b) => (b.self - a.self) || a.name.localeCompare(b.name)).map(a => {
    const pct = a.capacity > 0 ? Math.min(100, Math.round(100 * a.load / a.capacity)) : 0
    const fill = h('span')
    fill.style.width = pct + '%'
    return h('tr', { dataset: { agentId: a.peerId } },
      h('td', null, a.name, a.self ? h('span', { class: 'muted' }, ' (this node)') : null),
      h('td', null, h('code', { title: a.peerId }, short(a.peerId))),
      h('td', null, a.skills.map(s => h('span', { class: 'chip' + (s.hasHandler ? '' : ' nohandler'), title: (s.hasHandler ? '' : 'advertised without a handler; ') + 'success ' + Math.round(100 * s.successRate) + '%, avg ' + ms(s.avgCompletionMs) }, s.name + ' · ' + s.level))),
      h('td', { class: 'mono' }, h('span', { class: 'bar' }, fill), a.load + '/' + a.capacity),
      h('td', null, badge(agentStatus(a))),
      h('td', { class: 'muted' }, clock(a.lastSeen)))
  })
  $('agents').replaceChildren(rows.length ? h('table', null,
    h('thead', null, h('tr', null, ['Agent', 'Peer', 'Skills', 'Load', 'Status', 'Last seen'].map(t => h('th', null, t)))),
    h('tbody', null, rows)) : none('no agents known yet'))
  $('agent-count').textContent = '(' + state.agents.length + ')'
}

function renderTasks () {
  const rows = state.tasks.map(t => h('tr', {
    class: 'task' + (t.taskId === state.selected ? ' selected' : ''),
    dataset: { taskId: t.taskId, status: t.status },
    onclick: () => select(t.taskId)
  },
  h('td', null, h('code', { title: t.taskId }, short(t.taskId))),
  h('td', null, compact(t.description, 90)),
  h('td', null, t.skills.map(s => h('span', { class: 'chip' }, s.name + (s.count > 1 ? ' ×' + s.count : '') + ' ≥ ' + s.minLevel))),
  h('td', null, t.priority || ''),
  h('td', null, badge(t.status)),
  h('td', null, t.members.length ? t.members.map(m => agentName(m.peerId)).join(', ') : h('span', { class: 'muted' }, '—')),
  h('td', { class: 'mono' }, t.attempts + '/' + t.maxAttempts),
  h('td', { class: 'mono' }, ms(t.durationMs)),
  h('td', { class: 'muted' }, clock(t.createdAt))))
  $('tasks').replaceChildren(rows.length ? h('table', null,
    h('thead', null, h('tr', null, ['Task', 'Description', 'Skills', 'Priority', 'Status', 'Group', 'Attempts', 'Duration', 'Created'].map(t => h('th', null, t)))),
    h('tbody', null, rows)) : none('no tasks announced from this node yet'))
  $('task-count').textContent = '(' + state.tasks.length + ')'
}

function select (taskId) {
  state.selected = taskId
  state.detail = null
  for (const tr of document.querySelectorAll('tr.task')) tr.classList.toggle('selected', tr.dataset.taskId === taskId)
  $('detail').hidden = false
  $('detail-body').replaceChildren(none('loading…'))
  guard(loadDetail())
}

/** JSON of a value with the peer ids of known agents replaced by their names, cut at max characters. */
function withNames (value, max) {
  let text = compact(value, 100000)
  for (const a of state.agents) if (text.includes(a.peerId)) text = text.split(a.peerId).join(a.name)
  return text.length > max ? text.slice(0, max) + '…' : text
}

function timelineOf (task, audit) {
  const self = state.status ? state.status.peerId : ''
  const entries = audit.map(a => ({ at: a.at, who: a.actor === self ? '' : agentName(a.actor), what: a.action, detail: a.detail }))
  if (entries.length === 0) {
    for (const s of (task.state && task.state.history) || []) entries.push({ at: s.at, who: '', what: s.from + ' → ' + s.to, detail: s.reason })
  }
  return entries.sort((a, b) => a.at - b.at)
}

function quorumText (q) {
  if (!q || typeof q !== 'object') return ''
  return q.kind === 'threshold' ? 'threshold ' + Math.round(100 * q.fraction) + '%' : String(q.kind)
}

function renderProposals (body) {
  const list = body && Array.isArray(body.proposals) ? body.proposals : []
  if (list.length === 0) return none()
  return h('div', null, list.map(p => {
    const t = p.tally || {}
    return h('div', { class: 'card', dataset: { proposalId: p.proposalId } },
      h('b', null, p.action), ' ', h('span', { class: 'chip' }, quorumText(p.quorum)), ' ', badge(String(p.outcome || p.status)),
      h('div', { class: 'muted' }, 'by ' + agentName(p.proposer) + ' at ' + clock(p.openedAt) + ' · for ' + (t.for ?? 0) + ' · against ' + (t.against ?? 0) +
        ' · abstain ' + (t.abstentions ?? 0) + ' of ' + (t.eligible ?? (p.voters || []).length) + ' voters' +
        (typeof t.participation === 'number' ? ' · participation ' + Math.round(100 * t.participation) + '%' : '')),
      p.params !== undefined ? h('div', { class: 'muted mono' }, compact(p.params, 200)) : null,
      (p.votes || []).length ? h('ul', null, p.votes.map(v => h('li', null,
        h('b', { class: String(v.choice) }, String(v.choice)), ' ', agentName(v.voter), ' (confidence ' + v.confidence + ')',
        v.reason ? h('span', { class: 'muted' }, ' — ' + compact(v.reason, 200)) : null))) : h('div', { class: 'muted' }, 'no votes yet'))
  }))
}

function renderBlackboard (body) {
  const board = body && body.blackboard
  if (!board) return none()
  const hypotheses = board.hypotheses || []
  const findings = board.findings || []
  const actions = board.actions || []
  if (hypotheses.length + findings.length + actions.length === 0) return none('empty')
  const confidence = board.confidence || {}
  const statement = id => { const found = hypotheses.find(x => x.id === id); return found ? compact(found.statement, 60) : id }
  return h('div', null,
    hypotheses.length ? [h('h4', null, 'Hypotheses'), h('ul', null, hypotheses.map(x => h('li', null,
      badge(String(x.status)), ' ', x.statement,
      confidence[x.id] !== undefined ? h('span', { class: 'muted' }, ' (confidence ' + confidence[x.id].toFixed(2) + ')') : null,
      h('span', { class: 'muted' }, ' — ' + agentName(x.author)))))] : null,
    findings.length ? [h('h4', null, 'Findings'), h('ul', null, findings.map(f => h('li', null,
      h('span', { class: 'chip' }, f.kind), f.content, h('span', { class: 'muted' }, ' (confidence ' + f.confidence + ')'),
      f.hypothesisId ? h('span', { class: 'muted' }, (f.supports === false ? ' contradicts ' : ' supports ') + statement(f.hypothesisId)) : null,
      h('span', { class: 'muted' }, ' — ' + agentName(f.author)))))] : null,
    actions.length ? [h('h4', null, 'Actions'), h('ul', null, actions.map(a => h('li', null,
      a.description, a.result !== undefined ? h('span', { class: 'muted mono' }, ' → ' + compact(a.result, 160)) : null,
      h('span', { class: 'muted' }, ' — ' + agentName(a.author)))))] : null)
}

function renderDetail () {
  const d = state.detail
  if (!d) return
  if (d.found === null) {
    $('detail-body').replaceChildren(none('this node has no task ' + state.selected))
    return
  }
  const { task, audit } = d.found
  const sum = task.summary
  const members = (task.state && task.state.members) || sum.members || []
  const outcome = task.outcome
  const start = task.createdAt
  const facts = h('dl', { class: 'facts' },
    h('dt', null, 'task'), h('dd', null, h('code', null, task.taskId)),
    h('dt', null, 'description'), h('dd', null, sum.description),
    h('dt', null, 'status'), h('dd', null, badge(task.status), sum.reason ? ' ' + sum.reason : ''),
    h('dt', null, 'role'), h('dd', null, task.role),
    h('dt', null, 'attempts'), h('dd', null, sum.attempts + ' of ' + sum.maxAttempts),
    h('dt', null, 'duration'), h('dd', null, ms(sum.durationMs)),
    h('dt', null, 'tokens'), h('dd', { id: 'tokens' }, tokensText(outcome)))
  const group = members.length
    ? h('div', { id: 'group' }, h('div', { class: 'muted' }, 'group ', h('code', null, short(task.groupId || sum.groupId || ''))),
      h('ul', null, members.map(m => h('li', { dataset: { memberId: m.peerId } }, agentName(m.peerId), ' ', h('code', { class: 'muted' }, short(m.peerId)), ' ', (m.skills || []).map(s => h('span', { class: 'chip' }, s))))))
    : none('no group formed')
  const timeline = h('ol', { id: 'timeline', class: 'timeline' }, timelineOf(task, audit).map(e => h('li', null,
    h('span', { class: 't mono', title: clock(e.at) }, '+' + ms(e.at - start)),
    h('span', { class: 'mono' }, e.what),
    h('span', { class: 'd' }, e.who ? e.who + ' ' : '', withNames(e.detail, 240)))))
  const result = outcome
    ? h('div', null,
      outcome.errors && outcome.errors.length ? h('ul', { class: 'error' }, outcome.errors.map(e => h('li', null, e.skill + ' @ ' + agentName(e.peerId) + ': ' + e.code + ' ' + e.message))) : null,
      outcome.output !== undefined ? h('pre', { id: 'output' }, pretty(outcome.output, 6000)) : none('no output'))
    : none('not finished')
  $('detail-body').replaceChildren(facts,
    h('h3', null, 'Group'), group,
    h('h3', null, 'Timeline'), timeline,
    h('h3', null, 'Result'), result,
    h('h3', null, 'Proposals and votes'), h('div', { id: 'proposals' }, renderProposals(d.proposals)),
    h('h3', null, 'Blackboard'), h('div', { id: 'blackboard' }, renderBlackboard(d.blackboard)))
}

// --- live events ------------------------------------------------------------------------

function setLive (value) {
  const el = $('live')
  el.dataset.state = value
  el.textContent = value
}

function summary (name, data) {
  if (!data || typeof data !== 'object') return ''
  const bits = []
  if (data.taskId) bits.push('task ' + short(data.taskId))
  if (data.workflowId && !data.taskId) bits.push('workflow ' + short(data.workflowId))
  if (data.stepId) bits.push('step ' + data.stepId)
  if (data.type === 'state') bits.push(data.from + ' → ' + data.to)
  if (data.peerId && !data.taskId) bits.push(agentName(data.peerId))
  if (data.card && data.card.name) bits.push(data.card.name)
  if (data.skill) bits.push(data.skill)
  if (typeof data.progress === 'number') bits.push(Math.round(100 * data.progress) + '%')
  if (data.reason) bits.push(compact(data.reason, 80))
  return bits.join(' · ')
}

function onEvent (name, data) {
  if (name === 'hello') return
  $('events').prepend(h('li', null, h('span', { class: 'muted mono' }, clock(Date.now())), ' ', h('b', null, name), ' ', summary(name, data)))
  while ($('events').children.length > 200) $('events').lastChild.remove()
  const taskId = data && typeof data === 'object' ? data.taskId : undefined
  if (name.startsWith('task:')) {
    if (name === 'task:state' && taskId) {
      // Shown at once; the list is then read again for everything else.
      const row = document.querySelector('tr.task[data-task-id="' + CSS.escape(taskId) + '"]')
      if (row) {
        row.dataset.status = data.to
        const cell = row.querySelector('.badge')
        if (cell) { cell.dataset.status = data.to; cell.textContent = data.to }
      }
    }
    soon('tasks', loadTasks, 100)
    soon('status', loadStatus, 500)
  }
  if (name.startsWith('agent:') || name.startsWith('peer:') || name.startsWith('work:')) {
    soon('agents', loadAgents, 300)
    soon('status', loadStatus, 500)
  }
  if (name.startsWith('escalation:')) soon('escalations', loadEscalations, 200)
  onWorkflowEvent(name, data)
  if (taskId && taskId === state.selected) soon('detail', loadDetail, 150)
  else if (state.selected && (name.startsWith('proposal:') || name.startsWith('vote:') || name.startsWith('blackboard:'))) soon('detail', loadDetail, 150)
}

function parseBlock (block) {
  let name = 'message'
  const data = []
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue
    const at = line.indexOf(':')
    const field = at < 0 ? line : line.slice(0, at)
    const value = at < 0 ? '' : line.slice(at + 1).replace(/^ /, '')
    if (field === 'event') name = value
    else if (field === 'data') data.push(value)
  }
  if (data.length === 0) return
  let parsed = null
  try { parsed = JSON.parse(data.join('\n')) } catch { return }
  onEvent(name, parsed)
}

async function follow (generation) {
  let delay = 500
  while (generation === state.generation) {
    setLive('connecting')
    try {
      const stream = state.stream = new AbortController()
      const res = await fetch('/v1/events', { headers: { authorization: 'Bearer ' + state.token }, cache: 'no-store', signal: stream.signal })
      if (res.status === 401) { askToken('The node refused this token: paste the one in <data-dir>/api-token.'); return }
      if (!res.ok || !res.body) throw new Error('HTTP ' + res.status)
      setLive('live')
      delay = 500
      // Catch up with whatever happened while the stream was down.
      refreshAll()
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
      let buffer = ''
      while (generation === state.generation) {
        const { value, done } = await reader.read()
        if (done) break
        buffer += value.replace(/\r\n?/g, '\n')
        let end
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          parseBlock(buffer.slice(0, end))
          buffer = buffer.slice(end + 2)
        }
      }
      reader.cancel().catch(() => {})
    } catch (err) {
      console.warn('event stream:', err)
    }
    if (generation !== state.generation) return
    setLive('offline')
    await new Promise(resolve => setTimeout(resolve, delay))
    delay = Math.min(10000, delay * 2)
  }
}

function refreshAll () {
  guard(loadStatus())
  guard(loadAgents())
  guard(loadTasks())
  guard(loadEscalations())
  guard(loadWorkflows())
  if (state.selected) guard(loadDetail())
  if (wf.selected) guard(loadSelectedWorkflow())
}

function begin (token) {
  stopStream()
  state.token = token
  $('token-form').hidden = true
  $('app').hidden = false
  follow(state.generation)
}

$('close-detail').addEventListener('click', () => {
  state.selected = null
  $('detail').hidden = true
  for (const tr of document.querySelectorAll('tr.task.selected')) tr.classList.remove('selected')
})

// A URL with a new #token=... opened in the same tab.
window.addEventListener('hashchange', () => {
  if (!new URLSearchParams(location.hash.slice(1)).get('token')) return
  const token = takeToken()
  if (token) begin(token)
})

const initial = takeToken()
if (initial) begin(initial)
else askToken('')
`
