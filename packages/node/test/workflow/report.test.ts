import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { criticalPath, workflowReportHtml, workflowsCsv } from '../../src/workflow/report.js'
import type { StepTask, StepView, WorkflowView } from '../../src/workflow/types.js'

const T0 = Date.UTC(2025, 0, 2, 3, 4, 5)
const ANA = '12D3KooWAnalystAnalystAnalystAnalyst000002'
const VIZ = '12D3KooWPainterPainterPainterPainter000003'

function task (taskId: string, startedAt: number, finishedAt: number | undefined, extra: Partial<StepTask> = {}): StepTask {
  return { taskId, iteration: 1, run: 1, status: finishedAt === undefined ? 'running' : 'completed', startedAt, ...(finishedAt !== undefined ? { finishedAt } : {}), ...extra }
}

function step (id: string, needs: string[], depth: number, startedAt: number | undefined, finishedAt: number | undefined, extra: Partial<StepView> = {}): StepView {
  return {
    id,
    description: `do ${id}`,
    needs,
    depth,
    status: finishedAt !== undefined ? 'completed' : startedAt !== undefined ? 'running' : 'waiting',
    iteration: 1,
    ...(startedAt !== undefined ? { readyAt: startedAt - 50, startedAt } : {}),
    ...(finishedAt !== undefined ? { finishedAt } : {}),
    tasks: startedAt === undefined ? [] : [task(`task-${id}`, startedAt, finishedAt)],
    ...extra
  }
}

/**
 * fetch (1 s) → parse (2 s) → report (1 s), and fetch → lint (0.5 s) → report: the critical path
 * is fetch → parse → report, 4 s; the steps add up to 4.5 s; the workflow took 4.4 s.
 */
function finished (): WorkflowView {
  return {
    workflowId: 'wf-1',
    name: 'Build a CSV parser',
    status: 'completed',
    createdAt: T0,
    updatedAt: T0 + 4400,
    finishedAt: T0 + 4400,
    steps: [
      step('fetch', [], 0, T0 + 100, T0 + 1100, { tasks: [task('task-fetch', T0 + 100, T0 + 1100, { members: [{ peerId: ANA, skill: 'analytics' }], tokens: 100, output: { rows: 3 } })], output: { rows: 3 } }),
      step('parse', ['fetch'], 1, T0 + 1200, T0 + 3200, {
        tasks: [
          task('task-parse-0', T0 + 1200, T0 + 3000, { item: 0, members: [{ peerId: ANA, skill: 'coder' }], tokens: 30 }),
          task('task-parse-1', T0 + 1200, T0 + 3200, { item: 1, members: [{ peerId: VIZ, skill: 'coder' }, { peerId: ANA, skill: 'reviewer' }], tokens: 20 })
        ],
        output: ['a', 'b']
      }),
      step('lint', ['fetch'], 1, T0 + 1200, T0 + 1700),
      step('report', ['parse', 'lint'], 2, T0 + 3300, T0 + 4300, { output: { summary: 'ok' } })
    ],
    output: { report: { summary: 'ok' } }
  }
}

describe('criticalPath', () => {
  it('is the chain of needs with the longest summed durations', () => {
    assert.deepEqual(criticalPath(finished()), { steps: ['fetch', 'parse', 'report'], ms: 4000 })
  })

  it('follows the slower need, wherever it is listed', () => {
    const view = finished()
    const lint = view.steps[2]
    assert.ok(lint !== undefined)
    lint.finishedAt = T0 + 4200
    view.steps[3] = step('report', ['parse', 'lint'], 2, T0 + 4250, T0 + 4300)
    assert.deepEqual(criticalPath(view), { steps: ['fetch', 'lint', 'report'], ms: 1000 + 3000 + 50 })
  })

  it('counts a running step up to the last update, and a step not started as nothing', () => {
    const view: WorkflowView = {
      workflowId: 'wf-2',
      name: 'half way',
      status: 'running',
      createdAt: T0,
      updatedAt: T0 + 5000,
      steps: [step('a', [], 0, T0, T0 + 1000), step('b', ['a'], 1, T0 + 1000, undefined), step('c', ['b'], 2, undefined, undefined)]
    }
    // c adds nothing yet: of two chains as long, the one ending at the step listed first.
    assert.deepEqual(criticalPath(view), { steps: ['a', 'b'], ms: 5000 })
  })

  it('ignores needs naming no step, and is empty for a workflow without steps', () => {
    const view: WorkflowView = { workflowId: 'w', name: 'n', status: 'completed', createdAt: T0, updatedAt: T0, steps: [step('a', ['ghost'], 0, T0, T0 + 10)] }
    assert.deepEqual(criticalPath(view), { steps: ['a'], ms: 10 })
    assert.deepEqual(criticalPath({ ...view, steps: [] }), { steps: [], ms: 0 })
  })
})

const unescape = (html: string): string => html.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&')

/** The text of the page without its tags, whitespace collapsed (what a reader sees). */
function visibleText (html: string): string {
  return unescape(html.replace(/<style>[\s\S]*?<\/style>/, '').replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ')
}

describe('workflowReportHtml', () => {
  it('shows the name, id, status and times of the workflow', () => {
    const html = workflowReportHtml(finished())
    assert.match(html, /^<!doctype html>/)
    const text = visibleText(html)
    assert.match(text, /Build a CSV parser/)
    assert.match(text, /id wf-1/)
    assert.match(text, /status completed/)
    assert.match(text, /created 2025-01-02T03:04:05\.000Z/)
    assert.match(text, /finished 2025-01-02T03:04:09\.400Z/)
    assert.match(text, /wall time 4\.4 s/)
    assert.match(text, /4 steps: 4 completed/)
    assert.match(text, /tokens 150/)
  })

  it('draws a bar per step on one time axis, in the order the steps started', () => {
    const html = workflowReportHtml(finished())
    const bars = [...html.matchAll(/class="bar s-(\w+)" data-step="([^"]+)" style="left:([\d.]+)%;width:([\d.]+)%"/g)].map(m => ({ status: m[1], id: m[2], left: Number(m[3]), width: Number(m[4]) }))
    assert.deepEqual(bars.map(b => b.id), ['fetch', 'parse', 'lint', 'report'])
    // The axis runs from the creation (T0) to the end (T0 + 4.4 s).
    assert.deepEqual(bars[0], { status: 'completed', id: 'fetch', left: 2.27, width: 22.73 })
    assert.deepEqual(bars[1], { status: 'completed', id: 'parse', left: 27.27, width: 45.45 })
    assert.deepEqual(bars[3], { status: 'completed', id: 'report', left: 75, width: 22.73 })
    for (const b of bars) assert.ok(b.left + b.width <= 100.01, `${b.id} stays on the axis`)
    assert.match(html, /\+4\.4 s<\/span>/, 'the axis ends at the workflow\'s length')
  })

  it('says who did each step, how long it took and the tokens it used', () => {
    const text = visibleText(workflowReportHtml(finished()))
    assert.match(text, /1\.0 s · 1 task · 100 tokens 12D3KooW…000002 \(analytics\)/)
    assert.match(text, /2\.0 s · 2 tasks · 50 tokens 12D3KooW…000002 \(coder, reviewer\), 12D3KooW…000003 \(coder\)/)
    assert.match(text, /500 ms · 1 task/)
  })

  it('gives the critical path with its length against the sum of the steps and the wall time', () => {
    const html = workflowReportHtml(finished())
    const section = /<section id="critical-path">[\s\S]*?<\/section>/.exec(html)?.[0] ?? assert.fail('a critical path section')
    const text = visibleText(section)
    assert.match(text, /critical path fetch → parse → report \(3 steps\)/)
    assert.match(text, /its length 4\.0 s/)
    assert.match(text, /all steps' durations 4\.5 s \(1\.13× the critical path\)/)
    assert.match(text, /wall time 4\.4 s \(the critical path is 91% of it/)
    // The critical steps are outlined in the timeline.
    assert.equal([...html.matchAll(/<div class="label critical"><code>(\w+)<\/code>/g)].map(m => m[1]).join(','), 'fetch,parse,report')
  })

  it('shows each step\'s output as pretty JSON', () => {
    const html = workflowReportHtml(finished())
    assert.ok(html.includes('<pre>{\n  &quot;rows&quot;: 3\n}</pre>'))
    assert.ok(html.includes('<pre>[\n  &quot;a&quot;,\n  &quot;b&quot;\n]</pre>'))
  })

  it('cuts an output beyond about 4 KB and says so', () => {
    const view = finished()
    const big = 'x'.repeat(10_000)
    const fetch = view.steps[0]
    assert.ok(fetch !== undefined)
    fetch.output = { big }
    const html = workflowReportHtml(view)
    const pre = /<article id="step-fetch">[\s\S]*?<pre>([\s\S]*?)<\/pre>/.exec(html)?.[1] ?? assert.fail('the output block')
    assert.equal(unescape(pre).length, 4096)
    const full = JSON.stringify({ big }, null, 2).length
    assert.match(html, new RegExp(`Truncated: ${(full - 4096).toLocaleString('en')} more characters are not shown`))
  })

  it('escapes everything that comes from peers and runs no script', () => {
    const evil = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    const view = finished()
    view.name = `name ${evil}`
    const fetch = view.steps[0]
    assert.ok(fetch !== undefined)
    fetch.description = `desc ${evil}`
    fetch.output = { text: `</pre>${evil}` }
    fetch.error = `err ${evil}`
    fetch.escalationId = `esc"${evil}`
    fetch.id = `id"${evil}`
    const task0 = fetch.tasks[0]
    assert.ok(task0 !== undefined)
    task0.members = [{ peerId: `peer"${evil}`, skill: `skill${evil}` }]
    const html = workflowReportHtml(view)
    assert.doesNotMatch(html, /<script|<img|onerror="/i)
    assert.equal(html.split('</pre>').length, html.split('<pre>').length, 'no output closes its block early')
    const text = visibleText(html)
    for (const where of ['name', 'desc', 'err']) assert.ok(text.includes(`${where} ${evil}`), `${where} is shown as text`)
    assert.ok(text.includes(`swarm-node resolve esc"${evil}`))
  })

  it('shows a running workflow, a failed step\'s error and an open escalation', () => {
    const view: WorkflowView = {
      workflowId: 'wf-3',
      name: 'review loop',
      status: 'running',
      createdAt: T0,
      updatedAt: T0 + 3000,
      steps: [
        step('draft', [], 0, T0, T0 + 1000, { status: 'failed', error: 'the model timed out' }),
        step('approve', ['draft'], 1, undefined, undefined, { status: 'escalated', escalationId: 'esc-7' }),
        step('review', ['draft'], 1, T0 + 1000, undefined, { iteration: 2 })
      ]
    }
    const text = visibleText(workflowReportHtml(view))
    assert.match(text, /status running/)
    assert.match(text, /last update 2025-01-02T03:04:08\.000Z/)
    assert.match(text, /wall time 3\.0 s so far/)
    assert.match(text, /error the model timed out/)
    assert.match(text, /draft failed do draft [^]*? Output no output approve/, 'a failed step has no output (none to wait for)')
    assert.match(text, /escalation esc-7 \(answer it with swarm-node resolve esc-7 ?\)/)
    assert.match(text, /2\.0 s so far · 1 task · iteration 2/)
    assert.match(text, /approve escalated not started · 0 tasks/)
  })
})

/** An RFC 4180 reader, to check what a spreadsheet would read back. */
function parseCsv (text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++ } else if (c === '"') quoted = false
      else field += c
    } else if (c === '"') quoted = true
    else if (c === ',') { row.push(field); field = '' } else if (c === '\r' && text[i + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; i++ } else field += c
  }
  assert.equal(field, '', 'the text ends with a line end')
  return rows
}

describe('workflowsCsv', () => {
  const HEADER = 'workflow_id,workflow_name,workflow_status,step_id,step_status,iteration,depth,needs,started_at,finished_at,duration_ms,tasks,members,tokens,error'

  it('writes one row per step of every workflow under the header', () => {
    const other: WorkflowView = { workflowId: 'wf-9', name: 'small', status: 'running', createdAt: T0, updatedAt: T0 + 10, steps: [step('only', [], 0, T0, undefined)] }
    const csv = workflowsCsv([finished(), other])
    assert.ok(csv.startsWith(HEADER + '\r\n'))
    assert.ok(csv.endsWith('\r\n'))
    const rows = parseCsv(csv)
    assert.equal(rows.length, 1 + 4 + 1)
    const byStep = (id: string): Record<string, string> => {
      const r = rows.find(x => x[3] === id) ?? assert.fail(id)
      return Object.fromEntries(HEADER.split(',').map((h, i) => [h, r[i] ?? '']))
    }
    assert.deepEqual(byStep('parse'), {
      workflow_id: 'wf-1',
      workflow_name: 'Build a CSV parser',
      workflow_status: 'completed',
      step_id: 'parse',
      step_status: 'completed',
      iteration: '1',
      depth: '1',
      needs: 'fetch',
      started_at: '2025-01-02T03:04:06.200Z',
      finished_at: '2025-01-02T03:04:08.200Z',
      duration_ms: '2000',
      tasks: '2',
      members: `coder@${ANA};reviewer@${ANA};coder@${VIZ}`,
      tokens: '50',
      error: ''
    })
    assert.equal(byStep('report').needs, 'parse;lint')
    assert.equal(byStep('lint').tokens, '', 'no tokens reported')
    const running = byStep('only')
    assert.equal(running.workflow_id, 'wf-9')
    assert.equal(running.finished_at, '')
    assert.equal(running.duration_ms, '', 'no duration before the step ends')
  })

  it('quotes commas, quotes and line breaks so that they read back unchanged', () => {
    const view = finished()
    view.name = 'parse, "fast"'
    const lint = view.steps[2]
    assert.ok(lint !== undefined)
    lint.status = 'failed'
    lint.error = 'line 1, col 2:\n"unexpected" token'
    const csv = workflowsCsv([view])
    assert.ok(csv.includes('"parse, ""fast"""'))
    const rows = parseCsv(csv)
    assert.equal(rows.length, 5)
    for (const r of rows) assert.equal(r.length, 15)
    assert.equal(rows[1]?.[1], 'parse, "fast"')
    assert.equal(rows.find(r => r[3] === 'lint')?.[14], 'line 1, col 2:\n"unexpected" token')
  })

  it('is the header alone without workflows', () => {
    assert.equal(workflowsCsv([]), HEADER + '\r\n')
  })
})
