import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import type { Claim } from '../../src/group/index.js'
import { applyVersioned, resolveAllClaims, resolveClaims } from '../../src/group/index.js'
import { rng, shuffle } from './helpers.js'

function claim (holder: string, priority: number, claimedAt: number, leaseMs = 1_000, extra: Partial<Claim> = {}): Claim {
  return { resourceId: 'gpu-0', holder, priority, claimedAt, leaseMs, ...extra }
}

describe('resolveClaims', () => {
  it('gives nothing to nobody', () => {
    assert.deepEqual(resolveClaims([], 0), { losers: [], ignored: [] })
  })

  it('the higher priority wins, even if it claimed later', () => {
    const low = claim('peer-a', 1, 100)
    const high = claim('peer-b', 5, 300, 2_000)
    const r = resolveClaims([low, high], 500)
    assert.equal(r.winner, high)
    assert.deepEqual(r.losers, [{ claim: low, retryAfterMs: 300 + 2_000 - 500 }])
  })

  it('with equal priority the earlier claim wins, then the lower holder id', () => {
    const early = claim('peer-z', 2, 100)
    const late = claim('peer-a', 2, 200)
    assert.equal(resolveClaims([late, early], 250).winner, early)
    const x = claim('peer-b', 2, 100)
    const y = claim('peer-a', 2, 100)
    const r = resolveClaims([x, y], 250)
    assert.equal(r.winner, y)
    assert.deepEqual(r.losers.map(l => l.claim.holder), ['peer-b'])
  })

  it('ignores expired leases, the end of the lease being exclusive', () => {
    const expired = claim('peer-a', 9, 0, 1_000)
    const active = claim('peer-b', 1, 500, 1_000)
    const r = resolveClaims([expired, active], 1_000)
    assert.equal(r.winner, active)
    assert.deepEqual(r.losers, [])
    assert.deepEqual(r.ignored, [expired])
    assert.equal(resolveClaims([expired, active], 999).winner, expired)
    assert.equal(resolveClaims([expired, active], 1_500).winner, undefined)
  })

  it('tells losers to retry after the winner\'s remaining lease', () => {
    const winner = claim('peer-a', 3, 1_000, 5_000)
    const r = resolveClaims([claim('peer-b', 2, 1_100), claim('peer-c', 1, 900, 5_000), winner], 2_000)
    assert.equal(r.winner, winner)
    assert.deepEqual(r.losers.map(l => [l.claim.holder, l.retryAfterMs]), [['peer-b', 4_000], ['peer-c', 4_000]])
  })

  it('a higher seq from the same holder replaces its earlier claim; leaseMs 0 releases', () => {
    const first = claim('peer-a', 1, 100, 1_000, { seq: 1 })
    const renewed = claim('peer-a', 1, 100, 5_000, { seq: 2 })
    const other = claim('peer-b', 1, 200, 10_000)
    let r = resolveClaims([renewed, other, first], 2_000)
    assert.equal(r.winner, renewed)
    assert.deepEqual(r.ignored, [first])
    assert.deepEqual(r.losers, [{ claim: other, retryAfterMs: 3_100 }])
    const release = claim('peer-a', 1, 2_500, 0, { seq: 3 })
    r = resolveClaims([first, renewed, release, other], 3_000)
    assert.equal(r.winner, other)
    assert.equal(r.ignored.length, 3)
  })

  it('is deterministic whatever the order of the claims', () => {
    const claims = [
      claim('peer-c', 2, 100), claim('peer-a', 2, 100), claim('peer-b', 3, 400),
      claim('peer-d', 3, 400), claim('peer-e', 1, 50), claim('peer-f', 9, 0, 10)
    ]
    const random = rng(11)
    const reference = resolveClaims(claims, 600)
    assert.equal(reference.winner?.holder, 'peer-b')
    assert.deepEqual(reference.losers.map(l => l.claim.holder), ['peer-d', 'peer-a', 'peer-c', 'peer-e'])
    for (let i = 0; i < 100; i++) assert.deepEqual(resolveClaims(shuffle(claims, random), 600), reference)
  })

  it('refuses claims on different resources and malformed claims', () => {
    assert.throws(() => resolveClaims([claim('a', 1, 0), { ...claim('b', 1, 0), resourceId: 'disk' }], 0), /different resources/)
    assert.throws(() => resolveClaims([claim('a', Number.NaN, 0)], 0), /priority/)
    assert.throws(() => resolveClaims([claim('a', 1, 0, -5)], 0), /leaseMs/)
  })

  it('resolveAllClaims resolves each resource on its own', () => {
    const all = resolveAllClaims([claim('a', 1, 0), { ...claim('b', 2, 0), resourceId: 'disk' }, claim('c', 2, 0)], 10)
    assert.deepEqual([...all.keys()], ['disk', 'gpu-0'])
    assert.equal(all.get('gpu-0')?.winner?.holder, 'c')
    assert.equal(all.get('disk')?.winner?.holder, 'b')
  })
})

describe('applyVersioned', () => {
  it('applies the first write', () => {
    assert.deepEqual(applyVersioned(undefined, { value: 1, version: 1, writer: 'a' }), { value: 1, version: 1, writer: 'a', applied: true })
  })

  it('applies only a newer version', () => {
    const current = { value: 'old', version: 3, writer: 'peer-b' }
    assert.deepEqual(applyVersioned(current, { value: 'new', version: 4, writer: 'peer-a' }), { value: 'new', version: 4, writer: 'peer-a', applied: true })
    assert.deepEqual(applyVersioned(current, { value: 'stale', version: 2, writer: 'peer-z' }), { ...current, applied: false })
  })

  it('breaks equal versions by the greater writer id, in any order', () => {
    const a = { value: 'from a', version: 5, writer: 'peer-a' }
    const b = { value: 'from b', version: 5, writer: 'peer-b' }
    const ab = applyVersioned(applyVersioned(undefined, a), b)
    const ba = applyVersioned(applyVersioned(undefined, b), a)
    assert.equal(ab.value, 'from b')
    assert.equal(ab.applied, true)
    assert.equal(ba.value, 'from b')
    assert.equal(ba.applied, false)
  })

  it('treats the same version from the same writer as a redelivery', () => {
    const current = { value: { n: 1 }, version: 2, writer: 'w' }
    assert.equal(applyVersioned(current, { value: { n: 2 }, version: 2, writer: 'w' }).applied, false)
  })

  it('converges over shuffled deliveries', () => {
    const writes = Array.from({ length: 12 }, (_, i) => ({ value: i, version: i % 4, writer: `peer-${i % 5}` }))
    const random = rng(5)
    let reference: unknown
    for (let i = 0; i < 50; i++) {
      let state: { value: number, version: number, writer: string } | undefined
      for (const w of shuffle(writes, random)) {
        const r = applyVersioned(state, w)
        state = { value: r.value, version: r.version, writer: r.writer }
      }
      if (reference === undefined) reference = state
      else assert.deepEqual(state, reference)
    }
    assert.deepEqual(reference, { value: 3, version: 3, writer: 'peer-3' })
  })

  it('refuses a version that is not a finite number', () => {
    assert.throws(() => applyVersioned(undefined, { value: 1, version: Number.NaN, writer: 'a' }), RangeError)
  })
})
