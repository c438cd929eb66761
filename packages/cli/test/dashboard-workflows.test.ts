import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { renderDashboard } from '../src/dashboard/render.js'
import { WorkflowsSnapshotSchema } from '../src/dashboard/schemas.js'
import { parseStreamEvent } from '../src/dashboard/stream-events.js'
import { initialState, reduce } from '../src/dashboard/state.js'
import { stateForJson } from '../src/dashboard/views.js'
import { shownWorkflows } from '../src/dashboard/workflows.js'
import { T0, sampleWorkflow, step } from './workflow-fixture.js'
import type { WorkflowView } from '@swarm/node'
import type { DashboardState } from '../src/dashboard/state.js'

const SELF = '12D3KooWSelfSelfSelfSelfSelfSelfSelf000001'

function seeded (workflows: WorkflowView[] = [sampleWorkflow()]): DashboardState {
  let s = reduce(initialState(T0), { type: 'status', at: T0, status: { peerId: SELF, name: 'desk', network: 'lab', software: { version: '0.1.0' }, uptimeMs: 1000, connections: 0, peers: 0, agents: 1, capacity: 2, load: 0 } })
  // As the dashboard reads them: GET /v1/workflows through its schema.
  s = reduce(s, { type: 'workflows', at: T0 + 4000, workflows: WorkflowsSnapshotSchema.parse(JSON.parse(JSON.stringify({ workflows }))).workflows })
  return s
}

/** SSE events (name, fields) through the parser and the reducer, as the live dashboard does. */
function stream (state: DashboardState, events: Array<[string, Record<string, unknown>]>): DashboardState {
  return events.reduce((s, [name, data]) => {
    const action = parseStreamEvent(name, data, Number(data.at) + 5)
    assert.ok(action !== undefined, `${name} is understood`)
    return reduce(s, action)
  }, state)
}

const wf = (at: number, fields: Record<string, unknown> = {}): Record<string, unknown> => ({ workflowId: 'wf-7f3a', at, ...fields })
const stepOf = (s: DashboardState, id: string, workflowId = 'wf-7f3a') => s.workflows[workflowId]?.view.steps.find(x => x.id === id)

describe('dashboard: workflows from the API and the event stream', () => {
  it('keeps the workflows GET /v1/workflows gives', () => {
    const s = seeded()
    assert.deepEqual(Object.keys(s.workflows), ['wf-7f3a'])
    assert.equal(s.workflows['wf-7f3a']?.known, true)
    assert.equal(stepOf(s, 'parse')?.status, 'running')
  })

  it('patches a step as it becomes ready, starts and completes, and the workflow as it ends', () => {
    let s = stream(seeded(), [
      ['step:completed', wf(T0 + 5000, { stepId: 'parse', iteration: 2, durationMs: 3800 })],
      ['step:ready', wf(T0 + 5100, { stepId: 'report', iteration: 1 })]
    ])
    assert.equal(stepOf(s, 'parse')?.status, 'completed')
    assert.equal(stepOf(s, 'parse')?.finishedAt, T0 + 5000)
    assert.deepEqual(stepOf(s, 'parse')?.tasks.map(t => t.status), ['completed', 'completed'])
    assert.equal(stepOf(s, 'report')?.status, 'ready')
    assert.equal(stepOf(s, 'report')?.readyAt, T0 + 5100)
    s = stream(s, [['step:started', wf(T0 + 5200, { stepId: 'report', iteration: 1, taskIds: ['TaskReport0001'] })]])
    const report = stepOf(s, 'report')
    assert.equal(report?.status, 'running')
    assert.equal(report.startedAt, T0 + 5200)
    assert.deepEqual(report.tasks.map(t => [t.taskId, t.status]), [['TaskReport0001', 'running']])
    s = stream(s, [
      ['step:completed', wf(T0 + 6200, { stepId: 'report', iteration: 1, durationMs: 1000 })],
      ['phase:completed', wf(T0 + 6200, { depth: 3, steps: ['report'] })],
      ['workflow:completed', wf(T0 + 6300, { durationMs: 6300 })]
    ])
    const view = s.workflows['wf-7f3a']?.view
    assert.equal(view?.status, 'completed')
    assert.equal(view.finishedAt, T0 + 6300)
    assert.equal(view.updatedAt, T0 + 6300)
    assert.deepEqual(s.recent.map(r => r.text), [
      'Build a CSV parser: step parse completed in 3.8s (iteration 2)',
      'Build a CSV parser: step report ready',
      'Build a CSV parser: step report started: task TaskRepo',
      'Build a CSV parser: step report completed in 1.0s',
      'Build a CSV parser: phase 3 completed: report',
      'Build a CSV parser: workflow completed in 6.3s'
    ])
  })

  it('shows a failure and an escalation with the command that answers it', () => {
    const s = stream(seeded(), [
      ['step:failed', wf(T0 + 5000, { stepId: 'parse', iteration: 2, error: 'the model timed out' })],
      ['step:escalated', wf(T0 + 5001, { stepId: 'report', escalationId: 'esc-11', kind: 'failure' })],
      ['workflow:failed', wf(T0 + 5002, { reason: 'step parse failed' })]
    ])
    assert.equal(stepOf(s, 'parse')?.error, 'the model timed out')
    assert.equal(stepOf(s, 'report')?.escalationId, 'esc-11')
    assert.equal(s.workflows['wf-7f3a']?.view.reason, 'step parse failed')
    const text = renderDashboard(s, { width: 140, height: Infinity, live: false }).join('\n')
    assert.match(text, /✗ parse {2}failed · iteration 2 · 3\.8s · 2 tasks {2}error: the model timed out/)
    assert.match(text, /! report {2}escalated {2}\(also needs lint, approve\) {2}escalation esc-11: swarm-node resolve esc-11/)
    assert.match(text, /wf-7f3a {2}failed .* Build a CSV parser \(step parse failed\)/)
  })

  it('a loop back to a step starts it over at its new iteration', () => {
    let s = stream(seeded(), [['step:completed', wf(T0 + 5000, { stepId: 'parse', iteration: 2, durationMs: 3800 })]])
    s = stream(s, [['step:ready', wf(T0 + 6000, { stepId: 'parse', iteration: 3 })]])
    const parse = stepOf(s, 'parse')
    assert.equal(parse?.status, 'ready')
    assert.equal(parse.iteration, 3)
    assert.equal(parse.startedAt, undefined)
    assert.equal(parse.finishedAt, undefined)
    s = stream(s, [['step:started', wf(T0 + 6100, { stepId: 'parse', iteration: 3, taskIds: ['t-parse-0003'] })]])
    assert.deepEqual(stepOf(s, 'parse')?.tasks.map(t => `${t.taskId} run ${t.run}`), ['t-parse-0001 run 1', 't-parse-0002 run 1', 't-parse-0003 run 2'])
  })

  it('a workflow first heard of through the stream gets a row, complete once read from the API', () => {
    let s = stream(seeded(), [
      ['workflow:started', { workflowId: 'wf-new', at: T0 + 7000, name: 'Second one', steps: 2 }],
      ['step:ready', { workflowId: 'wf-new', at: T0 + 7001, stepId: 'only', iteration: 1 }]
    ])
    assert.equal(s.workflows['wf-new']?.known, false, 'its steps are only what the events said')
    assert.equal(s.workflows['wf-new']?.view.name, 'Second one')
    assert.equal(stepOf(s, 'only', 'wf-new')?.status, 'ready')
    assert.equal(s.recent.at(-2)?.text, 'workflow "Second one" started: 2 steps (wf-new)')
    const read: WorkflowView = { workflowId: 'wf-new', name: 'Second one', status: 'running', createdAt: T0 + 7000, updatedAt: T0 + 7002, steps: [step('only', [], 'ready'), step('next', ['only'], 'waiting')] }
    s = reduce(s, { type: 'workflows', at: T0 + 7003, workflows: [read] })
    assert.equal(s.workflows['wf-new']?.known, true)
    assert.deepEqual(s.workflows['wf-new']?.view.steps.map(x => x.id), ['only', 'next'])
  })

  it('an older read does not roll back what the stream already showed', () => {
    let s = stream(seeded(), [['workflow:cancelled', wf(T0 + 9000, { reason: 'cancelled by the user' })]])
    s = reduce(s, { type: 'workflows', at: T0 + 9500, workflows: [sampleWorkflow()] })
    assert.equal(s.workflows['wf-7f3a']?.view.status, 'cancelled')
  })

  it('ignores malformed workflow events', () => {
    assert.equal(parseStreamEvent('step:started', { workflowId: 'w', at: T0, stepId: 's', iteration: 1 }, T0), undefined, 'no taskIds')
    assert.equal(parseStreamEvent('step:ready', { at: T0, stepId: 's', iteration: 1 }, T0), undefined, 'no workflowId')
    assert.equal(parseStreamEvent('step:escalated', { workflowId: 'w', at: T0, stepId: 's', escalationId: 'e', kind: 'maybe' }, T0), undefined)
    assert.equal(parseStreamEvent('workflow:started', 'text', T0), undefined)
    // A payload that carries its own type is read under the name it came with.
    const action = parseStreamEvent('workflow:failed', { type: 'workflow:completed', workflowId: 'w', at: T0, reason: 'r' }, T0)
    assert.equal(action?.type === 'workflow' ? action.event.type : undefined, 'workflow:failed')
  })
})

describe('dashboard: the WORKFLOWS section', () => {
  it('draws each workflow\'s summary and tree of steps', () => {
    const lines = renderDashboard(seeded(), { width: 120, height: Infinity, live: false })
    const at = lines.indexOf('WORKFLOWS (1 running, 0 finished)')
    assert.ok(at > lines.findIndex(l => l.startsWith('TASKS')), 'after the tasks')
    assert.deepEqual(lines.slice(at + 1, at + 7), [
      'wf-7f3a  running  1/5 steps done · 1 running · 1 failed · 1 escalated  4.0s  Build a CSV parser',
      '  ✓ fetch  completed · 1.0s · 1 task',
      '  ├─ ● parse  running · iteration 2 · 2.8s · 2 tasks',
      '  │  └─ · report  waiting  (also needs lint, approve)',
      '  └─ ✗ lint  failed · 500ms · 1 task (1 failed)  error: exit 1: at line 3',
      '     └─ ! approve  escalated  escalation esc-9: swarm-node resolve esc-9 --decision approve|reject'
    ])
  })

  it('running steps count up with the clock', () => {
    const s = reduce(seeded(), { type: 'tick', at: T0 + 10_000 })
    assert.ok(renderDashboard(s, { width: 120, height: Infinity, live: false }).includes('  ├─ ● parse  running · iteration 2 · 8.8s · 2 tasks'))
  })

  it('shows the running workflows and the last three finished, and nothing when there are none', () => {
    const finished = (i: number): WorkflowView => ({ ...sampleWorkflow(), workflowId: `wf-done-${i}`, name: `done ${i}`, status: 'completed', finishedAt: T0 + i * 1000, updatedAt: T0 + i * 1000 })
    const s = seeded([sampleWorkflow(), finished(1), finished(2), finished(3), finished(4), finished(5)])
    assert.deepEqual(shownWorkflows(s.workflows).map(v => v.workflowId), ['wf-7f3a', 'wf-done-5', 'wf-done-4', 'wf-done-3'])
    const lines = renderDashboard(s, { width: 120, height: Infinity, live: false })
    assert.ok(lines.includes('WORKFLOWS (1 running, 5 finished)'))
    assert.ok(!lines.some(l => l.includes('done 1') || l.includes('done 2')))
    assert.equal((stateForJson(s).workflows as WorkflowView[]).length, 6)
    assert.ok(!renderDashboard(initialState(T0), { width: 80, height: 30 }).some(l => l.startsWith('WORKFLOWS')))
  })

  it('fits the terminal with workflows too', () => {
    const s = seeded([sampleWorkflow(), { ...sampleWorkflow(), workflowId: 'wf-2', name: 'x'.repeat(300) }])
    for (const [width, height] of [[40, 12], [80, 24], [120, 40], [20, 5]] as const) {
      const lines = renderDashboard(s, { width, height, footer: 'q quit' })
      assert.ok(lines.length <= height, `${width}x${height}`)
      for (const line of lines) assert.ok(line.length <= width, `${width}x${height}: "${line}"`)
    }
  })
})
