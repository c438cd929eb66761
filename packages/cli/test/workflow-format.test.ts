import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { workflowEventLine, workflowSummaryLine, workflowTree } from '../src/commands/workflow-format.js'
import { T0, sampleWorkflow, step } from './workflow-fixture.js'
import type { WorkflowEvent, WorkflowView } from '@swarm/node'

describe('workflowTree', () => {
  it('draws the steps as a tree under their first need, with status, time, tasks, errors and escalations', () => {
    assert.deepEqual(workflowTree(sampleWorkflow(), { now: T0 + 5000 }), [
      '✓ fetch  completed · 1.0s · 1 task',
      '├─ ● parse  running · iteration 2 · 3.8s · 2 tasks',
      '│  └─ · report  waiting  (also needs lint, approve)',
      '└─ ✗ lint  failed · 500ms · 1 task (1 failed)  error: exit 1: at line 3',
      '   └─ ! approve  escalated  escalation esc-9: swarm-node resolve esc-9 --decision approve|reject'
    ])
  })

  it('measures running steps to the last update without a time, and shows every step once', () => {
    const lines = workflowTree(sampleWorkflow())
    assert.match(lines[1] ?? '', /running · iteration 2 · 2\.8s/)
    assert.equal(lines.length, 5)
  })

  it('lists roots in order and survives needs naming no step', () => {
    const view: WorkflowView = { ...sampleWorkflow(), steps: [step('a', [], 'completed'), step('b', ['ghost'], 'ready'), step('c', ['a', 'ghost'], 'skipped')] }
    assert.deepEqual(workflowTree(view), ['✓ a  completed', '└─ - c  skipped  (also needs ghost)', '○ b  ready  (also needs ghost)'])
  })

  it('colours each whole line by its step\'s status only when asked', () => {
    const plain = workflowTree(sampleWorkflow())
    assert.ok(plain.every(l => !l.includes('\x1b')))
    const colored = workflowTree(sampleWorkflow(), { color: true })
    assert.ok(colored[0]?.startsWith('\x1b[32m✓ fetch'))
    assert.ok(colored[3]?.startsWith('\x1b[31m└─ ✗ lint'))
    assert.ok(colored.every(l => l.endsWith('\x1b[0m')))
  })
})

describe('workflowSummaryLine', () => {
  it('gives id, status, steps done, running, failed, escalated, time and name', () => {
    assert.equal(workflowSummaryLine(sampleWorkflow(), T0 + 12_300), 'wf-7f3a  running  1/5 steps done · 1 running · 1 failed · 1 escalated  12.3s  Build a CSV parser')
  })

  it('says why a workflow failed, and measures a finished one to its end', () => {
    const view: WorkflowView = { ...sampleWorkflow(), status: 'failed', finishedAt: T0 + 2000, reason: 'step lint failed: exit 1' }
    assert.equal(workflowSummaryLine(view, T0 + 99_000), 'wf-7f3a  failed  1/5 steps done · 1 running · 1 failed · 1 escalated  2.0s  Build a CSV parser (step lint failed: exit 1)')
  })
})

describe('workflowEventLine', () => {
  const base = { workflowId: 'wf-7f3a', at: T0 }
  const cases: Array<[WorkflowEvent, string]> = [
    [{ type: 'workflow:started', ...base, name: 'Build a CSV parser', steps: 5 }, 'workflow "Build a CSV parser" started: 5 steps (wf-7f3a)'],
    [{ type: 'step:ready', ...base, stepId: 'parse', iteration: 1 }, 'step parse ready'],
    [{ type: 'step:ready', ...base, stepId: 'parse', iteration: 2 }, 'step parse ready (iteration 2)'],
    [{ type: 'step:started', ...base, stepId: 'parse', iteration: 1, taskIds: ['TaskAAAAbbbbCCCC'] }, 'step parse started: task TaskAAAA'],
    [{ type: 'step:started', ...base, stepId: 'parse', iteration: 1, taskIds: ['a', 'b', 'c'] }, 'step parse started: 3 tasks'],
    [{ type: 'step:completed', ...base, stepId: 'parse', iteration: 1, durationMs: 1234 }, 'step parse completed in 1.2s'],
    [{ type: 'step:failed', ...base, stepId: 'lint', iteration: 3, error: 'exit 1\nat x' }, 'step lint FAILED (iteration 3): exit 1 at x'],
    [{ type: 'step:escalated', ...base, stepId: 'approve', escalationId: 'esc-9', kind: 'approval' }, 'step approve waits for a person (approval): swarm-node resolve esc-9 --decision approve|reject'],
    [{ type: 'step:escalated', ...base, stepId: 'lint', escalationId: 'esc-10', kind: 'failure' }, 'step lint waits for a person (failure to decide on): swarm-node resolve esc-10 --decision retry|skip|fail'],
    [{ type: 'phase:completed', ...base, depth: 1, steps: ['parse', 'lint'] }, 'phase 1 completed: parse, lint'],
    [{ type: 'workflow:completed', ...base, durationMs: 65_000 }, 'workflow completed in 1m5s'],
    [{ type: 'workflow:failed', ...base, reason: 'step lint failed' }, 'workflow FAILED: step lint failed'],
    [{ type: 'workflow:cancelled', ...base, reason: 'cancelled by the user' }, 'workflow cancelled: cancelled by the user']
  ]
  for (const [ev, line] of cases) {
    it(`${ev.type}: ${line}`, () => { assert.equal(workflowEventLine(ev), line) })
  }
})
