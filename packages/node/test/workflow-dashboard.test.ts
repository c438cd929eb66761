/**
 * The web dashboard's workflows panel, without a browser: the script text the page embeds is run
 * alone in node:vm (its top level only declares), so that the very code the page ships is what
 * is tested. layoutWorkflow is pure; renderWorkflowGraph runs over a small stub document that
 * records elements, attributes and text (and throws on any HTML parsing).
 */
import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import vm from 'node:vm'
import { DASHBOARD_HTML } from '../src/api/dashboard/page.js'
import { DASHBOARD_SCRIPT } from '../src/api/dashboard/script.js'
import { WORKFLOW_SCRIPT } from '../src/api/dashboard/workflow-script.js'
import type { StepView, WorkflowView } from '../src/workflow/types.js'

const T0 = 1_700_000_000_000

interface LayoutNode { id: string, status: string, column: number, row: number, x: number, y: number, width: number, height: number, labels: string[] }
interface LayoutEdge { from: string, to: string, x1: number, y1: number, x2: number, y2: number, d: string }
interface Layout { width: number, height: number, nodes: LayoutNode[], edges: LayoutEdge[] }

/** An element of the stub document: what was created, set and appended. */
class StubElement {
  readonly attrs = new Map<string, string>()
  children: Array<StubElement | string> = []
  readonly listeners: string[] = []
  constructor (readonly ns: string | null, readonly tag: string) {}
  setAttribute (name: string, value: unknown): void { this.attrs.set(name, String(value)) }
  getAttribute (name: string): string | undefined { return this.attrs.get(name) }
  append (...kids: Array<StubElement | string>): void { this.children.push(...kids) }
  addEventListener (type: string): void { this.listeners.push(type) }
  set textContent (text: string) { this.children = [String(text)] }
  get textContent (): string { return this.children.map(c => typeof c === 'string' ? c : c.textContent).join('') }
  set innerHTML (_html: string) { throw new Error('innerHTML used') }
  /** Every element below (depth first), this one included. */
  all (): StubElement[] { return [this, ...this.children.flatMap(c => typeof c === 'string' ? [] : c.all())] }
}

const stubDocument = {
  createElementNS: (ns: string, tag: string) => new StubElement(ns, tag),
  createElement: (tag: string) => new StubElement(null, tag)
}

/** The panel's script, run alone: its functions. */
function workflowScript (): { layout: (view: WorkflowView, now?: number) => Layout, render: (view: WorkflowView, now?: number) => StubElement } {
  const context = vm.createContext({ document: stubDocument })
  vm.runInContext(WORKFLOW_SCRIPT, context, { filename: 'workflow-script.js' })
  const { layoutWorkflow, renderWorkflowGraph } = context as { layoutWorkflow?: unknown, renderWorkflowGraph?: unknown }
  assert.equal(typeof layoutWorkflow, 'function')
  assert.equal(typeof renderWorkflowGraph, 'function')
  const layout = layoutWorkflow as (view: WorkflowView, now?: number) => Layout
  // Values made in the script's realm: compared as plain JSON.
  return { layout: (view, now) => JSON.parse(JSON.stringify(layout(view, now))) as Layout, render: renderWorkflowGraph as (view: WorkflowView, now?: number) => StubElement }
}

function step (id: string, needs: string[], depth: number, status: StepView['status'], extra: Partial<StepView> = {}): StepView {
  return { id, description: `do ${id}`, needs, depth, status, iteration: 1, tasks: [], ...extra }
}

/** fetch → (parse, lint) → report, and a step needing a step that does not exist. */
function view (): WorkflowView {
  return {
    workflowId: 'wf-1',
    name: 'Build a CSV parser',
    status: 'running',
    createdAt: T0,
    updatedAt: T0 + 5000,
    steps: [
      step('fetch', [], 0, 'completed', { startedAt: T0, finishedAt: T0 + 1000 }),
      step('parse', ['fetch'], 1, 'running', { startedAt: T0 + 1000, iteration: 2 }),
      step('lint', ['fetch'], 1, 'failed', { startedAt: T0 + 1000, finishedAt: T0 + 1500, error: 'boom' }),
      step('report', ['parse', 'lint'], 2, 'waiting'),
      step('orphan', ['ghost'], 0, 'escalated', { escalationId: 'esc-1' })
    ]
  }
}

const node = (l: Layout, id: string): LayoutNode => l.nodes.find(n => n.id === id) ?? assert.fail(`node ${id}`)

describe('web dashboard: layout of a workflow graph', () => {
  const { layout } = workflowScript()

  it('puts steps in columns by depth, one node per step', () => {
    const l = layout(view())
    assert.deepEqual(l.nodes.map(n => n.id).sort(), ['fetch', 'lint', 'orphan', 'parse', 'report'])
    assert.deepEqual(['fetch', 'orphan', 'parse', 'lint', 'report'].map(id => node(l, id).column), [0, 0, 1, 1, 2])
    assert.ok(node(l, 'fetch').x < node(l, 'parse').x && node(l, 'parse').x === node(l, 'lint').x && node(l, 'lint').x < node(l, 'report').x)
  })

  it('draws an edge from each need to the step that needs it, and none for a need naming no step', () => {
    const l = layout(view())
    assert.deepEqual(l.edges.map(e => `${e.from}→${e.to}`).sort(), ['fetch→lint', 'fetch→parse', 'lint→report', 'parse→report'])
    for (const e of l.edges) {
      const from = node(l, e.from)
      const to = node(l, e.to)
      assert.equal(e.x1, from.x + from.width, 'from the need\'s right side')
      assert.equal(e.y1, from.y + from.height / 2)
      assert.equal(e.x2, to.x, 'to the step\'s left side')
      assert.equal(e.y2, to.y + to.height / 2)
      assert.match(e.d, new RegExp(`^M${e.x1} ${e.y1} C.* ${e.x2} ${e.y2}$`))
    }
  })

  it('keeps nodes apart and inside the drawing', () => {
    const l = layout(view())
    for (const a of l.nodes) {
      assert.ok(a.x >= 0 && a.y >= 0 && a.x + a.width <= l.width && a.y + a.height <= l.height, `${a.id} inside`)
      for (const b of l.nodes) {
        if (a === b) continue
        const apart = a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y
        assert.ok(apart, `${a.id} and ${b.id} do not overlap`)
      }
    }
  })

  it('labels each node with its id, status, iteration past the first, and duration', () => {
    const l = layout(view(), T0 + 7000)
    assert.deepEqual(node(l, 'fetch').labels, ['fetch', 'completed', '1.0 s'])
    assert.deepEqual(node(l, 'parse').labels, ['parse', 'running · iteration 2', '6.0 s so far'])
    assert.deepEqual(node(l, 'lint').labels, ['lint', 'failed', '500 ms'])
    assert.deepEqual(node(l, 'report').labels, ['report', 'waiting', ''])
    assert.equal(node(l, 'report').status, 'waiting')
    // Without a time, running steps are measured to the view's last update.
    assert.deepEqual(node(layout(view()), 'parse').labels[2], '4.0 s so far')
  })

  it('orders a column by the rows of the needs, so that edges do not cross', () => {
    const v: WorkflowView = { ...view(), steps: [step('p', [], 0, 'completed'), step('q', [], 0, 'completed'), step('y', ['q'], 1, 'ready'), step('x', ['p'], 1, 'ready')] }
    const l = layout(v)
    assert.equal(node(l, 'x').row, 0)
    assert.equal(node(l, 'y').row, 1)
  })

  it('leaves no empty column for a gap in depths, centres short columns, and draws nothing for no steps', () => {
    const v: WorkflowView = { ...view(), steps: [step('a', [], 0, 'completed'), step('b', [], 0, 'completed'), step('z', ['a'], 5, 'waiting')] }
    const l = layout(v)
    assert.equal(node(l, 'z').column, 1)
    const [a, b, z] = [node(l, 'a'), node(l, 'b'), node(l, 'z')]
    assert.equal(z.y + z.height / 2, (a.y + b.y + b.height) / 2, 'the single node of column 1 is centred')
    assert.deepEqual(layout({ ...view(), steps: [] }), { width: 0, height: 0, nodes: [], edges: [] })
  })

  it('cuts long ids in the label', () => {
    const long = 'a-very-long-step-identifier-indeed'
    const l = layout({ ...view(), steps: [step(long, [], 0, 'ready')] })
    assert.equal(node(l, long).labels[0], 'a-very-long-step-identi…')
  })
})

describe('web dashboard: drawing a workflow graph', () => {
  const { render } = workflowScript()

  it('draws a node per step coloured by status and an edge per need, all text as text', () => {
    const evil = '<img src=x onerror=alert(1)>'
    const v = view()
    v.steps.push(step(evil, ['fetch'], 1, 'skipped', { description: `<script>alert(2)</script>` }))
    const root = render(v, T0 + 7000)
    assert.equal(root.tag, 'svg')
    assert.equal(root.ns, 'http://www.w3.org/2000/svg')
    const all = root.all()
    assert.ok(all.every(e => e.ns === 'http://www.w3.org/2000/svg'), 'SVG elements only')
    assert.ok(!all.some(e => ['img', 'script'].includes(e.tag)), 'nothing from the data became an element')
    const nodes = all.filter(e => e.tag === 'g')
    assert.deepEqual(nodes.map(g => `${g.getAttribute('data-step-id') ?? ''}:${g.getAttribute('data-status') ?? ''}`), [
      'fetch:completed', 'orphan:escalated', 'parse:running', 'lint:failed', `${evil}:skipped`, 'report:waiting'
    ])
    assert.ok(nodes.every(g => g.listeners.includes('click')), 'a click on a step selects it')
    const parse = nodes.find(g => g.getAttribute('data-step-id') === 'parse') ?? assert.fail('parse')
    assert.deepEqual(parse.children.filter((c): c is StubElement => typeof c !== 'string' && c.tag === 'text').map(t => t.textContent), ['parse', 'running · iteration 2', '6.0 s so far'])
    const odd = nodes.find(g => g.getAttribute('data-status') === 'skipped') ?? assert.fail('the odd step')
    assert.equal(odd.all().find(e => e.tag === 'title')?.textContent, `${evil} — <script>alert(2)</script>`)
    const edges = all.filter(e => e.tag === 'path' && e.getAttribute('class') === 'wf-edge')
    assert.deepEqual(edges.map(e => `${e.getAttribute('data-from') ?? ''}→${e.getAttribute('data-to') ?? ''}`).sort(), ['fetch→' + evil, 'fetch→lint', 'fetch→parse', 'lint→report', 'parse→report'].sort())
    assert.ok(edges.every(e => e.getAttribute('marker-end') === 'url(#wf-arrow)'))
  })

  it('never writes HTML', () => {
    assert.doesNotMatch(WORKFLOW_SCRIPT, /innerHTML|outerHTML|insertAdjacentHTML|document\.write/)
  })
})

describe('web dashboard page: the workflows panel', () => {
  const script = /<script>([\s\S]*?)<\/script>/.exec(DASHBOARD_HTML)?.[1] ?? assert.fail('the page\'s script')

  it('has the panel, and one script holding the dashboard\'s and the panel\'s code that parses', () => {
    for (const id of ['workflows-panel', 'workflows', 'workflow-count', 'workflow-detail', 'workflow-title', 'workflow-graph', 'workflow-step']) {
      assert.ok(DASHBOARD_HTML.includes(`id="${id}"`), id)
    }
    assert.equal(script, DASHBOARD_SCRIPT + WORKFLOW_SCRIPT)
    assert.doesNotThrow(() => new vm.Script(script, { filename: 'dashboard.js' }))
  })

  it('the panel uses only helpers the dashboard declares, and the dashboard calls into the panel', () => {
    for (const name of ['h', '$', 'api', 'guard', 'soon', 'badge', 'none', 'short', 'clock', 'pretty', 'agentName']) {
      const declared = new RegExp(`(function ${name.replace('$', '\\$')} \\(|const ${name.replace('$', '\\$')} = )`)
      assert.match(DASHBOARD_SCRIPT, declared, `${name} is declared by script.ts`)
    }
    assert.match(DASHBOARD_SCRIPT, /onWorkflowEvent\(name, data\)/, 'every stream event reaches the panel')
    assert.match(DASHBOARD_SCRIPT, /guard\(loadWorkflows\(\)\)/, 'the panel loads with the rest')
  })
})
