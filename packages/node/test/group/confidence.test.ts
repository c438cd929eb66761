import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import type { Evidence, HypothesisEvidence } from '../../src/group/index.js'
import { KIND_WEIGHTS, aggregateConfidence, hypothesisConfidence } from '../../src/group/index.js'
import { rng, shuffle } from './helpers.js'

function close (actual: number, expected: number, message?: string): void {
  assert.ok(Math.abs(actual - expected) < 1e-12, `${message ?? ''} expected ${expected}, got ${actual}`)
}

describe('aggregateConfidence', () => {
  it('gives 0 without findings, with every method', () => {
    for (const method of ['noisy-or', 'mean', 'weighted'] as const) assert.equal(aggregateConfidence([], method), 0)
  })

  it('noisy-or accumulates independent supporting evidence', () => {
    const two: Evidence[] = [{ kind: 'observation', confidence: 0.8 }, { kind: 'observation', confidence: 0.8, supports: true }]
    close(aggregateConfidence(two), 0.96)
    close(aggregateConfidence([{ kind: 'observation', confidence: 0.7 }]), 0.7)
    // More supporting evidence never lowers it.
    assert.ok(aggregateConfidence([...two, { kind: 'hypothesis', confidence: 0.1 }]) > 0.96)
  })

  it('noisy-or weighs kinds: observation 1, conclusion 0.75, hypothesis 0.5', () => {
    assert.deepEqual(KIND_WEIGHTS, { observation: 1, conclusion: 0.75, hypothesis: 0.5 })
    close(aggregateConfidence([{ kind: 'hypothesis', confidence: 0.8 }]), 0.4)
    close(aggregateConfidence([{ kind: 'conclusion', confidence: 0.8 }]), 0.6)
    close(aggregateConfidence([{ kind: 'hypothesis', confidence: 0.8 }, { kind: 'conclusion', confidence: 0.8 }]), 1 - 0.6 * 0.4)
  })

  it('noisy-or discounts by contradicting evidence: P+ × (1 − P−)', () => {
    const findings: Evidence[] = [
      { kind: 'observation', confidence: 0.8 },
      { kind: 'observation', confidence: 0.8 },
      { kind: 'observation', confidence: 0.5, supports: false }
    ]
    close(aggregateConfidence(findings), 0.48)
    assert.equal(aggregateConfidence([{ kind: 'observation', confidence: 0.9, supports: false }]), 0)
    assert.equal(aggregateConfidence([{ kind: 'observation', confidence: 1 }, { kind: 'observation', confidence: 1, supports: false }]), 0)
  })

  it('mean averages p = confidence, or 1 − confidence for contradicting findings, ignoring kinds', () => {
    close(aggregateConfidence([{ kind: 'observation', confidence: 0.8 }, { kind: 'hypothesis', confidence: 0.4 }], 'mean'), 0.6)
    close(aggregateConfidence([{ kind: 'observation', confidence: 0.8 }, { kind: 'observation', confidence: 0.9, supports: false }], 'mean'), 0.45)
  })

  it('weighted averages p with the kind weights', () => {
    const findings: Evidence[] = [{ kind: 'observation', confidence: 0.9 }, { kind: 'hypothesis', confidence: 0.3 }]
    close(aggregateConfidence(findings, 'weighted'), (1 * 0.9 + 0.5 * 0.3) / 1.5)
    close(aggregateConfidence(findings, 'weighted', { observation: 0.5, conclusion: 0.5, hypothesis: 0.5 }), 0.6)
    assert.equal(aggregateConfidence(findings, 'weighted', { observation: 0, conclusion: 0, hypothesis: 0 }), 0)
  })

  it('stays within 0..1 and gives identical bits in any order', () => {
    const random = rng(3)
    const kinds = ['observation', 'hypothesis', 'conclusion'] as const
    const findings: Evidence[] = Array.from({ length: 40 }, (_, i) => ({
      kind: kinds[i % 3] ?? 'observation',
      confidence: Math.round(random() * 1000) / 1000,
      supports: random() > 0.3
    }))
    for (const method of ['noisy-or', 'mean', 'weighted'] as const) {
      const reference = aggregateConfidence(findings, method)
      assert.ok(reference >= 0 && reference <= 1)
      for (let i = 0; i < 50; i++) assert.equal(aggregateConfidence(shuffle(findings, random), method), reference, method)
    }
  })

  it('refuses confidences, weights, kinds and methods that make no sense', () => {
    assert.throws(() => aggregateConfidence([{ kind: 'observation', confidence: 1.2 }]), RangeError)
    assert.throws(() => aggregateConfidence([{ kind: 'observation', confidence: Number.NaN }]), RangeError)
    assert.throws(() => aggregateConfidence([{ kind: 'rumour' as 'observation', confidence: 0.5 }]), /unknown finding kind/)
    assert.throws(() => aggregateConfidence([], 'median' as 'mean'), /unknown aggregation method/)
    assert.throws(() => aggregateConfidence([], 'mean', { observation: 2, conclusion: 1, hypothesis: 1 }), /weight of observation/)
  })
})

describe('hypothesisConfidence', () => {
  it('aggregates only the findings about the hypothesis', () => {
    const findings: HypothesisEvidence[] = [
      { hypothesisId: 'h-cache-1', kind: 'observation', confidence: 0.8 },
      { hypothesisId: 'h-cache-1', kind: 'observation', confidence: 0.5 },
      { hypothesisId: 'h-cache-1', kind: 'conclusion', confidence: 0.4, supports: false },
      { hypothesisId: 'h-disk-01', kind: 'observation', confidence: 0.99 },
      { kind: 'observation', confidence: 0.99 }
    ]
    close(hypothesisConfidence('h-cache-1', findings), (1 - 0.2 * 0.5) * (1 - 0.3))
    close(hypothesisConfidence('h-cache-1', findings, 'mean'), (0.8 + 0.5 + 0.6) / 3)
    close(hypothesisConfidence('h-disk-01', findings), 0.99)
    assert.equal(hypothesisConfidence('h-unknown', findings), 0)
  })
})
