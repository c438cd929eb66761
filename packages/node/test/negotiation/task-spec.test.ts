/**
 * The two fields a workflow sets on a step's task: `dependents` (tasks waiting for this one) and
 * `workflow` (the step it serves and the steps its input builds on). Both optional.
 */
import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { TaskSpecSchema } from '../../src/negotiation/task-spec.js'

const BASE = { description: 'Review the parser', skills: [{ name: 'reviewer' }] }
const TAG = { workflowId: 'wf-000001', stepId: 'review', iteration: 1, buildsOn: ['clean', 'code-2'] }

/** The paths of the issues of a spec that does not parse (empty when it does). */
function issues (spec: Record<string, unknown>): string[] {
  const parsed = TaskSpecSchema.safeParse({ ...BASE, ...spec })
  return parsed.success ? [] : parsed.error.issues.map(i => i.path.join('.'))
}

describe('TaskSpecSchema: dependents', () => {
  it('is optional and takes a whole count from 0 to 1000', () => {
    assert.equal(TaskSpecSchema.parse(BASE).dependents, undefined)
    for (const n of [0, 1, 1000]) assert.equal(TaskSpecSchema.parse({ ...BASE, dependents: n }).dependents, n)
  })

  it('refuses a negative, fractional, too large or non-numeric count', () => {
    for (const bad of [-1, 1.5, 1001, '2']) assert.deepEqual(issues({ dependents: bad }), ['dependents'], `dependents ${String(bad)}`)
  })
})

describe('TaskSpecSchema: workflow', () => {
  it('is optional and takes the workflow id, step id, iteration and the steps it builds on', () => {
    assert.equal(TaskSpecSchema.parse(BASE).workflow, undefined)
    assert.deepEqual(TaskSpecSchema.parse({ ...BASE, workflow: TAG }).workflow, TAG)
    assert.deepEqual(TaskSpecSchema.parse({ ...BASE, workflow: { ...TAG, buildsOn: [], iteration: 100, stepId: 'x'.repeat(64) } }).workflow?.iteration, 100)
    assert.equal(TaskSpecSchema.parse({ ...BASE, workflow: { ...TAG, buildsOn: Array.from({ length: 64 }, (_, i) => `s${i}`) } }).workflow?.buildsOn.length, 64)
  })

  it('refuses a bad workflow id, step id, iteration or list of steps, a missing field and an unknown one', () => {
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ workflowId: 'short' }, 'workflow.workflowId'],
      [{ stepId: '' }, 'workflow.stepId'],
      [{ stepId: 'has space' }, 'workflow.stepId'],
      [{ stepId: 'x'.repeat(65) }, 'workflow.stepId'],
      [{ stepId: 'dot.ted' }, 'workflow.stepId'],
      [{ iteration: 0 }, 'workflow.iteration'],
      [{ iteration: 101 }, 'workflow.iteration'],
      [{ iteration: 1.5 }, 'workflow.iteration'],
      [{ buildsOn: ['ok', 'not ok'] }, 'workflow.buildsOn.1'],
      [{ buildsOn: Array.from({ length: 65 }, (_, i) => `s${i}`) }, 'workflow.buildsOn'],
      [{ buildsOn: 'clean' }, 'workflow.buildsOn'],
      [{ extra: true }, 'workflow']
    ]
    for (const [change, path] of bad) assert.deepEqual(issues({ workflow: { ...TAG, ...change } }), [path], JSON.stringify(change))
    const { buildsOn: _dropped, ...missing } = TAG
    assert.deepEqual(issues({ workflow: missing }), ['workflow.buildsOn'])
  })
})
