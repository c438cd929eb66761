import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { applyVersioned } from '../../src/group/index.js'
import { rng, shuffle } from './helpers.js'

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
