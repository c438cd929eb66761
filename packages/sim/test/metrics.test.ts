import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { cdf, gini, percentile, summarize, timeSeries } from '../src/metrics.js'
import { createRandom } from '../src/rng.js'

describe('percentile (nearest rank)', () => {
  const ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]

  it('takes the value at rank ceil(p/100 × n)', () => {
    assert.equal(percentile(ten, 50), 5)
    assert.equal(percentile(ten, 51), 6)
    assert.equal(percentile(ten, 95), 10)
    assert.equal(percentile(ten, 90), 9)
    assert.equal(percentile(ten, 10), 1)
    assert.equal(percentile(ten, 100), 10)
    assert.equal(percentile(ten, 0), 1)
  })

  it('works on 100 values as the textbook says', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1)
    assert.equal(percentile(hundred, 50), 50)
    assert.equal(percentile(hundred, 95), 95)
    assert.equal(percentile(hundred, 99), 99)
  })

  it('is NaN for no values, the value itself for one', () => {
    assert.ok(Number.isNaN(percentile([], 50)))
    assert.equal(percentile([7], 1), 7)
    assert.equal(percentile([7], 99), 7)
  })
})

describe('summarize', () => {
  it('sorts and summarizes', () => {
    const s = summarize([5, 1, 4, 2, 3])
    assert.deepEqual(s, { n: 5, p50: 3, p95: 5, p99: 5, max: 5, mean: 3 })
  })

  it('does not change its input', () => {
    const values = [3, 1, 2]
    summarize(values)
    assert.deepEqual(values, [3, 1, 2])
  })

  it('gives NaN figures for no values', () => {
    const s = summarize([])
    assert.equal(s.n, 0)
    for (const v of [s.p50, s.p95, s.p99, s.max, s.mean]) assert.ok(Number.isNaN(v))
  })
})

describe('gini', () => {
  it('is 0 when all values are equal', () => {
    assert.equal(gini([4, 4, 4, 4]), 0)
    assert.equal(gini([1]), 0)
  })

  it('is (n-1)/n when one has everything', () => {
    for (const n of [2, 5, 10, 100]) {
      const values = Array.from({ length: n }, (_, i) => i === 3 % n ? 50 : 0)
      assert.ok(Math.abs(gini(values) - (n - 1) / n) < 1e-12, `n=${n}: ${gini(values)}`)
    }
  })

  it('is 0 for an empty list and all zeros', () => {
    assert.equal(gini([]), 0)
    assert.equal(gini([0, 0, 0]), 0)
  })

  it('does not depend on order or scale, and lies in [0, 1)', () => {
    const random = createRandom(3)
    const values = Array.from({ length: 50 }, () => random.int(0, 20))
    const g = gini(values)
    assert.ok(g > 0 && g < 1)
    assert.ok(Math.abs(gini([...values].reverse()) - g) < 1e-12)
    assert.ok(Math.abs(gini(values.map(v => v * 7)) - g) < 1e-12)
  })

  it('matches a hand computation', () => {
    // Σ|xi − xj| over all ordered pairs / (2 n² mean): [1, 2, 3] → 8 / (2 × 9 × 2) = 2/9.
    assert.ok(Math.abs(gini([1, 2, 3]) - 2 / 9) < 1e-12)
  })
})

describe('timeSeries', () => {
  it('counts the times per bucket from start to end', () => {
    const s = timeSeries([1000, 1001, 1999, 2000, 3500, 4999], 1000, 5000, 1000)
    assert.deepEqual(s, [{ t: 0, count: 3 }, { t: 1000, count: 1 }, { t: 2000, count: 1 }, { t: 3000, count: 1 }])
  })

  it('rounds the last bucket up and drops times before start or past the last bucket', () => {
    const s = timeSeries([0, 999, 1000, 2400, 2500, 2999, 3000, 9000], 1000, 2500, 1000)
    assert.deepEqual(s, [{ t: 0, count: 1 }, { t: 1000, count: 3 }])
  })

  it('has at least one bucket', () => {
    assert.deepEqual(timeSeries([], 10, 10, 1000), [{ t: 0, count: 0 }])
  })

  it('accounts for every time inside the window', () => {
    const random = createRandom(9)
    const times = Array.from({ length: 500 }, () => random.int(0, 9_999))
    const s = timeSeries(times, 0, 10_000, 250)
    assert.equal(s.length, 40)
    assert.equal(s.reduce((n, b) => n + b.count, 0), 500)
  })
})

describe('cdf', () => {
  it('rises from the smallest value to 1 at the largest', () => {
    const c = cdf([3, 1, 2, 4])
    assert.deepEqual(c, [{ x: 1, y: 0.25 }, { x: 2, y: 0.5 }, { x: 3, y: 0.75 }, { x: 4, y: 1 }])
  })

  it('ends at (max, 1) and never decreases, with at most about `points` points', () => {
    const random = createRandom(5)
    const values = Array.from({ length: 1003 }, () => random.int(0, 5000))
    const c = cdf(values, 100)
    const last = c[c.length - 1]
    assert.deepEqual(last, { x: Math.max(...values), y: 1 })
    assert.ok(c.length <= 102, `${c.length} points`)
    for (let i = 1; i < c.length; i++) {
      assert.ok((c[i]?.x ?? 0) >= (c[i - 1]?.x ?? 0))
      assert.ok((c[i]?.y ?? 0) > (c[i - 1]?.y ?? 0))
    }
  })

  it('is empty for no values', () => {
    assert.deepEqual(cdf([]), [])
  })

  it('is one point at 1 for one value', () => {
    assert.deepEqual(cdf([42]), [{ x: 42, y: 1 }])
  })
})

describe('createRandom', () => {
  it('repeats its sequence for a seed', () => {
    const a = createRandom(11)
    const b = createRandom(11)
    assert.deepEqual(Array.from({ length: 20 }, () => a.next()), Array.from({ length: 20 }, () => b.next()))
  })

  it('samples distinct elements and stays in range', () => {
    const r = createRandom(2)
    for (let i = 0; i < 100; i++) {
      const s = r.sample([1, 2, 3, 4, 5, 6], 4)
      assert.equal(new Set(s).size, 4)
      const n = r.int(3, 5)
      assert.ok(n >= 3 && n <= 5)
    }
    assert.throws(() => r.pick([]), RangeError)
    assert.throws(() => r.weighted({ a: 0 }), RangeError)
  })
})
