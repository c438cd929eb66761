import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import type { GroupMember } from '@swarm/protocol'
import type { TaskState } from '../../src/core/index.js'
import { NO_RESULT_CODE, aggregateResults } from '../../src/core/index.js'

const A = 'peer-a'
const B = 'peer-b'
const C = 'peer-c'

describe('aggregateResults', () => {
  it('maps each single-member skill to its output', () => {
    const members: GroupMember[] = [{ peerId: A, skills: ['analytics'] }, { peerId: B, skills: ['viz'] }]
    const results: TaskState['results'] = {
      analytics: { [A]: { ok: true, output: { mean: 4.2 }, durationMs: 30 } },
      viz: { [B]: { ok: true, output: 'chart.png', durationMs: 50 } }
    }
    const r = aggregateResults(members, results)
    assert.equal(r.ok, true)
    assert.deepEqual(r.outputs, { analytics: { mean: 4.2 }, viz: 'chart.png' })
    assert.deepEqual(r.errors, [])
    assert.deepEqual(r.bySkill, {
      analytics: [{ peerId: A, ok: true, output: { mean: 4.2 } }],
      viz: [{ peerId: B, ok: true, output: 'chart.png' }]
    })
  })

  it('maps a skill done by several members to their outputs in group order', () => {
    const members: GroupMember[] = [{ peerId: B, skills: ['review'] }, { peerId: A, skills: ['review', 'code'] }]
    const results: TaskState['results'] = {
      review: { [A]: { ok: true, output: 'lgtm', durationMs: 1 }, [B]: { ok: true, output: 'nit', durationMs: 2 } },
      code: { [A]: { ok: true, output: [1, 2], durationMs: 3 } }
    }
    const r = aggregateResults(members, results)
    assert.equal(r.ok, true)
    assert.deepEqual(r.outputs, { review: ['nit', 'lgtm'], code: [1, 2] })
    assert.deepEqual(r.bySkill.review?.map(o => o.peerId), [B, A])
  })

  it('collects failures as errors and null outputs', () => {
    const members: GroupMember[] = [{ peerId: A, skills: ['analytics'] }, { peerId: B, skills: ['review'] }, { peerId: C, skills: ['review'] }]
    const results: TaskState['results'] = {
      analytics: { [A]: { ok: false, error: { code: 'TIMEOUT', message: 'handler took longer than 30s' }, durationMs: 30_000 } },
      review: { [B]: { ok: true, output: 'fine', durationMs: 1 }, [C]: { ok: false, durationMs: 1 } }
    }
    const r = aggregateResults(members, results)
    assert.equal(r.ok, false)
    assert.deepEqual(r.outputs, { analytics: null, review: ['fine', null] })
    assert.deepEqual(r.errors, [
      { skill: 'analytics', peerId: A, code: 'TIMEOUT', message: 'handler took longer than 30s' },
      { skill: 'review', peerId: C, code: 'FAILED', message: 'the member reported a failure without an error' }
    ])
    assert.deepEqual(r.bySkill.analytics, [{ peerId: A, ok: false, error: { code: 'TIMEOUT', message: 'handler took longer than 30s' } }])
  })

  it('reports a missing result as an error', () => {
    const members: GroupMember[] = [{ peerId: A, skills: ['analytics', 'viz'] }]
    const r = aggregateResults(members, { analytics: { [A]: { ok: true, output: 1, durationMs: 1 } } })
    assert.equal(r.ok, false)
    assert.deepEqual(r.outputs, { analytics: 1, viz: null })
    assert.deepEqual(r.errors, [{ skill: 'viz', peerId: A, code: NO_RESULT_CODE, message: 'no result from peer-a for skill "viz"' }])
  })

  it('ignores results from peers that are not assigned the skill', () => {
    const members: GroupMember[] = [{ peerId: A, skills: ['analytics'] }]
    const results: TaskState['results'] = {
      analytics: { [A]: { ok: true, output: 'real', durationMs: 1 }, [C]: { ok: false, durationMs: 1 } },
      other: { [B]: { ok: true, output: 'spam', durationMs: 1 } }
    }
    const r = aggregateResults(members, results)
    assert.equal(r.ok, true)
    assert.deepEqual(r.outputs, { analytics: 'real' })
    assert.deepEqual(Object.keys(r.bySkill), ['analytics'])
  })

  it('uses null for a successful part without output', () => {
    const r = aggregateResults([{ peerId: A, skills: ['ping'] }], { ping: { [A]: { ok: true, durationMs: 1 } } })
    assert.equal(r.ok, true)
    assert.deepEqual(r.outputs, { ping: null })
    assert.deepEqual(r.bySkill.ping, [{ peerId: A, ok: true }])
  })

  it('is not ok for an empty group', () => {
    const r = aggregateResults([], {})
    assert.equal(r.ok, false)
    assert.deepEqual(r.outputs, {})
  })
})
