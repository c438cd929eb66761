import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { NEUTRAL_REPUTATION, NEWCOMER_REPUTATION, blendSuccessRate, decayReputation, observedReliability } from '../../src/core/reputation.js'

const close = (a: number, b: number): boolean => Math.abs(a - b) < 1e-9

describe('decayReputation', () => {
  it('halves the distance to neutral every half-life, from above and from below', () => {
    assert.ok(close(decayReputation(0.9, 1000, 1000), 0.7))
    assert.ok(close(decayReputation(0.1, 2000, 1000), 0.4))
    assert.equal(decayReputation(0.9, 0, 1000), 0.9)
  })

  it('decays nothing for a clock step back, and reaches neutral after forever', () => {
    assert.equal(decayReputation(0.2, -5000, 1000), 0.2)
    assert.equal(decayReputation(0.2, Number.POSITIVE_INFINITY, 1000), NEUTRAL_REPUTATION)
  })

  it('clamps the score, maps NaN to neutral and refuses a non-positive half-life', () => {
    assert.ok(close(decayReputation(3, 1000, 1000), 0.75))
    assert.equal(decayReputation(Number.NaN, 1000, 1000), NEUTRAL_REPUTATION)
    assert.throws(() => decayReputation(0.5, 1, 0), /half-life/)
  })

  it('puts the newcomer prior below neutral', () => {
    assert.ok(NEWCOMER_REPUTATION < NEUTRAL_REPUTATION)
  })
})

describe('blendSuccessRate', () => {
  it('is the claim when nothing was observed', () => {
    assert.equal(blendSuccessRate(0.9, undefined), 0.9)
    assert.equal(blendSuccessRate(0.9, { successes: 0, total: 0 }), 0.9)
  })

  it('weighs the observed rate by total / (total + prior)', () => {
    assert.ok(close(blendSuccessRate(1, { successes: 0, total: 2 }, 2), 0.5))
    assert.ok(close(blendSuccessRate(1, { successes: 0, total: 6 }, 2), 0.25))
    assert.ok(close(blendSuccessRate(0, { successes: 3, total: 3 }, 1), 0.75))
  })

  it('follows observation ever closer as outcomes accumulate', () => {
    const after = (n: number): number => blendSuccessRate(1, { successes: 0, total: n })
    assert.ok(after(1) > after(3) && after(3) > after(30) && after(30) < 0.1)
  })
})

describe('observedReliability', () => {
  it('is 1 while nothing failed: nothing observed, or only successes', () => {
    assert.equal(observedReliability(undefined), 1)
    assert.equal(observedReliability({ successes: 0, total: 0 }), 1)
    assert.equal(observedReliability({ successes: 5, total: 5 }), 1)
  })

  it('drops with each failure or no-show and earns back with successes', () => {
    assert.ok(close(observedReliability({ successes: 0, total: 1 }), 2 / 3))
    assert.ok(close(observedReliability({ successes: 0, total: 2 }), 0.5))
    assert.ok(close(observedReliability({ successes: 0, total: 1 }, 1), 0.5))
    const oneFailure = (successes: number): number => observedReliability({ successes, total: successes + 1 })
    assert.ok(oneFailure(0) < oneFailure(3) && oneFailure(3) < oneFailure(30) && oneFailure(30) < 1)
  })

  it('stays in 0..1 for inconsistent counts', () => {
    assert.equal(observedReliability({ successes: 9, total: 3 }), 1)
    assert.ok(close(observedReliability({ successes: -1, total: 2 }), 0.5))
    assert.ok(close(observedReliability({ successes: Number.NaN, total: 2 }), 0.5))
    assert.equal(observedReliability({ successes: 0, total: 4 }, 0), 0)
  })
})
