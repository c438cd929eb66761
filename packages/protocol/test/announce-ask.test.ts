/**
 * TASK_ANNOUNCE.ask: optional, set only on a re-ask of a queued task (docs/protocol.md, "The
 * queue"); a first announcement leaves it out.
 */
import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { BODY_SCHEMAS } from '../src/index.js'
import { VALID_BODIES, clone } from './fixtures.js'

describe('TASK_ANNOUNCE.ask', () => {
  const schema = BODY_SCHEMAS.TASK_ANNOUNCE

  it('is optional: a first announcement has none', () => {
    const parsed = schema.parse(clone(VALID_BODIES.TASK_ANNOUNCE))
    assert.equal(parsed.ask, undefined)
  })

  it('takes the number of the re-ask, 1 and up', () => {
    assert.equal(schema.parse({ ...clone(VALID_BODIES.TASK_ANNOUNCE), ask: 3 }).ask, 3)
    for (const bad of [0, -1, 1.5, '2', 100_001]) {
      assert.equal(schema.safeParse({ ...clone(VALID_BODIES.TASK_ANNOUNCE), ask: bad }).success, false, `ask ${String(bad)}`)
    }
  })
})
