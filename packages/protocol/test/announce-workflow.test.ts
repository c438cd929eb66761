/**
 * TASK_ANNOUNCE.dependents and TASK_ANNOUNCE.workflow: optional, sent only for a workflow step's
 * task (docs/protocol.md, TASK_ANNOUNCE).
 */
import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { BODY_SCHEMAS } from '../src/index.js'
import { VALID_BODIES, clone } from './fixtures.js'

const TAG = { workflowId: 'wf-000001', stepId: 'review', iteration: 2, buildsOn: ['clean'] }

describe('TASK_ANNOUNCE.dependents and .workflow', () => {
  const schema = BODY_SCHEMAS.TASK_ANNOUNCE
  const body = (extra: Record<string, unknown>): unknown => ({ ...clone(VALID_BODIES.TASK_ANNOUNCE), ...extra })

  it('are optional: an announcement outside a workflow has neither', () => {
    const parsed = schema.parse(clone(VALID_BODIES.TASK_ANNOUNCE))
    assert.equal(parsed.dependents, undefined)
    assert.equal(parsed.workflow, undefined)
  })

  it('take a count of 0..1000 and a workflow tag', () => {
    const parsed = schema.parse(body({ dependents: 4, workflow: TAG }))
    assert.equal(parsed.dependents, 4)
    assert.deepEqual(parsed.workflow, TAG)
  })

  it('refuse a bad count and a bad tag', () => {
    for (const bad of [-1, 0.5, 1001]) assert.equal(schema.safeParse(body({ dependents: bad })).success, false, `dependents ${bad}`)
    for (const tag of [{ ...TAG, stepId: 'a/b' }, { ...TAG, iteration: 0 }, { ...TAG, buildsOn: [''] }, { ...TAG, from: 'x' }]) {
      assert.equal(schema.safeParse(body({ workflow: tag })).success, false, JSON.stringify(tag))
    }
  })
})
