import { describe, expect, it } from 'vitest'
import { RateLimiter, take } from '../../src/core/token-bucket.js'

describe('token bucket', () => {
  const rate = { perSecond: 2, burst: 3 }

  it('allows a burst, then refuses until tokens flow back', () => {
    let bucket
    const allowed: boolean[] = []
    for (let i = 0; i < 5; i++) {
      const r = take(bucket, rate, 0)
      bucket = r.bucket
      allowed.push(r.allowed)
    }
    expect(allowed).toEqual([true, true, true, false, false])
    // 2 tokens a second: after 500 ms one is back, and only one.
    const later = take(bucket, rate, 500)
    expect(later.allowed).toBe(true)
    expect(take(later.bucket, rate, 500).allowed).toBe(false)
  })

  it('never holds more than the burst, however long it rested', () => {
    let { bucket } = take(undefined, rate, 0)
    bucket = { ...bucket, at: 0 }
    let n = 0
    for (let i = 0; i < 10; i++) {
      const r = take(bucket, rate, 3_600_000)
      bucket = r.bucket
      if (r.allowed) n++
    }
    expect(n).toBe(3)
  })

  it('keeps one bucket per key and counts what it refused', () => {
    const limiter = new RateLimiter({ perSecond: 1, burst: 1 })
    expect(limiter.allow('a', 0)).toBe(true)
    expect(limiter.allow('a', 10)).toBe(false)
    expect(limiter.allow('b', 10)).toBe(true)
    expect(limiter.allow('a', 1_010)).toBe(true)
    expect(limiter.limited).toBe(1)
  })

  it('forgets the key used longest ago beyond its bound', () => {
    const limiter = new RateLimiter({ perSecond: 0.001, burst: 1 }, 2)
    limiter.allow('a', 0)
    limiter.allow('b', 0)
    limiter.allow('c', 0)
    // 'a' was forgotten: it starts again with a full bucket; 'c' was not.
    expect(limiter.allow('a', 1)).toBe(true)
    expect(limiter.allow('c', 1)).toBe(false)
  })
})
