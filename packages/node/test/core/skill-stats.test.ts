import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { DEFAULT_REPUTATION, DEFAULT_STATS_ALPHA, updateReputation, updateSkillStats } from '../../src/core/index.js'

const close = (a: number, b: number): void => assert.ok(Math.abs(a - b) < 1e-9, `${a} != ${b}`)

describe('updateSkillStats', () => {
  it('lets the first sample set the values', () => {
    assert.deepEqual(updateSkillStats({ successRate: 0.5, avgCompletionMs: 999, samples: 0 }, { ok: true, durationMs: 120 }), { successRate: 1, avgCompletionMs: 120, samples: 1 })
    assert.deepEqual(updateSkillStats({ successRate: 1, avgCompletionMs: 0, samples: 0 }, { ok: false, durationMs: 80 }), { successRate: 0, avgCompletionMs: 80, samples: 1 })
  })

  it('moves the averages by alpha toward the newest outcome', () => {
    const s = updateSkillStats({ successRate: 1, avgCompletionMs: 100, samples: 5 }, { ok: false, durationMs: 200 })
    close(s.successRate, 1 - DEFAULT_STATS_ALPHA)
    close(s.avgCompletionMs, 100 + DEFAULT_STATS_ALPHA * 100)
    assert.equal(s.samples, 6)
  })

  it('honours alpha', () => {
    const s = updateSkillStats({ successRate: 0, avgCompletionMs: 0, samples: 1 }, { ok: true, durationMs: 1000 }, { alpha: 0.5 })
    assert.deepEqual(s, { successRate: 0.5, avgCompletionMs: 500, samples: 2 })
    assert.deepEqual(updateSkillStats({ successRate: 0, avgCompletionMs: 0, samples: 1 }, { ok: true, durationMs: 10 }, { alpha: 1 }), { successRate: 1, avgCompletionMs: 10, samples: 2 })
  })

  it('converges toward a steady outcome and stays within 0..1', () => {
    let s = { successRate: 0, avgCompletionMs: 10_000, samples: 1 }
    for (let i = 0; i < 100; i++) {
      s = updateSkillStats(s, { ok: true, durationMs: 100 })
      assert.ok(s.successRate >= 0 && s.successRate <= 1)
    }
    assert.ok(s.successRate > 0.999)
    assert.ok(Math.abs(s.avgCompletionMs - 100) < 1)
  })

  it('treats negative or non-finite durations as 0', () => {
    assert.equal(updateSkillStats({ successRate: 0, avgCompletionMs: 0, samples: 0 }, { ok: true, durationMs: -5 }).avgCompletionMs, 0)
    assert.equal(updateSkillStats({ successRate: 0, avgCompletionMs: 0, samples: 0 }, { ok: true, durationMs: Number.NaN }).avgCompletionMs, 0)
  })

  it('refuses alpha outside (0, 1]', () => {
    assert.throws(() => updateSkillStats({ successRate: 0, avgCompletionMs: 0, samples: 1 }, { ok: true, durationMs: 1 }, { alpha: 0 }), RangeError)
    assert.throws(() => updateSkillStats({ successRate: 0, avgCompletionMs: 0, samples: 1 }, { ok: true, durationMs: 1 }, { alpha: 1.5 }), RangeError)
  })

  it('does not modify the stats it is given', () => {
    const stats = { successRate: 0.5, avgCompletionMs: 10, samples: 3 }
    updateSkillStats(stats, { ok: true, durationMs: 1 })
    assert.deepEqual(stats, { successRate: 0.5, avgCompletionMs: 10, samples: 3 })
  })
})

describe('updateReputation', () => {
  it('rises a little on success, falls more on failure and most on a no-show', () => {
    close(updateReputation(0.5, 'success'), 0.55)
    close(updateReputation(0.5, 'failure'), 0.4)
    close(updateReputation(0.5, 'no-show'), 0.3)
  })

  it('is clamped to 0..1, input and output', () => {
    assert.equal(updateReputation(0.99, 'success'), 1)
    assert.equal(updateReputation(1, 'success'), 1)
    assert.equal(updateReputation(0.05, 'no-show'), 0)
    assert.equal(updateReputation(0, 'failure'), 0)
    close(updateReputation(7, 'failure'), 0.9)
    close(updateReputation(-3, 'success'), 0.05)
  })

  it('starts from the default when the reputation is not a number', () => {
    close(updateReputation(Number.NaN, 'success'), DEFAULT_REPUTATION + 0.05)
  })

  it('honours options', () => {
    close(updateReputation(0.5, 'success', { successGain: 0.2 }), 0.7)
    close(updateReputation(0.5, 'failure', { failurePenalty: 0.5 }), 0)
    close(updateReputation(0.5, 'no-show', { noShowPenalty: 0.01 }), 0.49)
  })

  it('recovers slowly after a bad run', () => {
    let r = 0.5
    for (let i = 0; i < 3; i++) r = updateReputation(r, 'no-show')
    assert.equal(r, 0)
    for (let i = 0; i < 10; i++) r = updateReputation(r, 'success')
    close(r, 0.5)
  })
})
