import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { ClaimQueue } from '../../src/group/index.js'
import { rng, shuffle } from './helpers.js'

const R = 'gpu-0'

describe('ClaimQueue', () => {
  it('grants a free resource for its lease, and queues whoever asks while it is held', () => {
    const q = new ClaimQueue()
    assert.deepEqual(q.claim(R, { claimant: 'a', priority: 0, leaseMs: 1_000 }, 100).decision,
      { status: 'granted', holding: { holder: 'a', priority: 0, grantedAt: 100, leaseEndsAt: 1_100 } })
    const b = q.claim(R, { claimant: 'b', priority: 9, leaseMs: 500 }, 200)
    // A higher priority waits too: a holder is never preempted.
    assert.equal(b.decision.status, 'queued')
    assert.equal(b.decision.status === 'queued' ? b.decision.position : 0, 1)
    assert.equal(q.status(R, 200).holder?.holder, 'a')
    assert.equal(q.nextExpiry(), 1_100)
  })

  it('serves waiting claimants by priority, then by the time they asked', () => {
    const q = new ClaimQueue()
    q.claim(R, { claimant: 'holder', priority: 0, leaseMs: 1_000 }, 0)
    q.claim(R, { claimant: 'late-high', priority: 5, leaseMs: 100 }, 30)
    q.claim(R, { claimant: 'early-low', priority: 1, leaseMs: 100 }, 10)
    q.claim(R, { claimant: 'early-high', priority: 5, leaseMs: 100 }, 20)
    assert.deepEqual(q.status(R, 40).queue.map(w => w.claimant), ['early-high', 'late-high', 'early-low'])
    // Asking again updates the priority but keeps the time of the first request.
    const again = q.claim(R, { claimant: 'early-low', priority: 5, leaseMs: 100 }, 50)
    assert.equal(again.decision.status === 'queued' ? again.decision.position : 0, 1)
  })

  it('hands the resource to the next claimant when the lease ends, its own lease starting then', () => {
    const q = new ClaimQueue()
    q.claim(R, { claimant: 'a', priority: 0, leaseMs: 1_000 }, 0)
    q.claim(R, { claimant: 'b', priority: 0, leaseMs: 300 }, 10)
    assert.deepEqual(q.expire(999), [])
    assert.deepEqual(q.expire(1_000), [{ resourceId: R, holding: { holder: 'b', priority: 0, grantedAt: 1_000, leaseEndsAt: 1_300 } }])
    assert.equal(q.status(R, 1_000).holder?.holder, 'b')
    // Nobody waits: the resource is free once b's lease ends, and forgotten.
    assert.deepEqual(q.expire(1_300), [])
    assert.equal(q.status(R, 1_300).holder, undefined)
    assert.equal(q.nextExpiry(), undefined)
  })

  it('hands over an ended lease at the next request even when no timer fired', () => {
    const q = new ClaimQueue()
    q.claim(R, { claimant: 'a', priority: 0, leaseMs: 100 }, 0)
    q.claim(R, { claimant: 'b', priority: 0, leaseMs: 100 }, 10)
    const c = q.claim(R, { claimant: 'c', priority: 0, leaseMs: 100 }, 500)
    assert.deepEqual(c.grants.map(g => g.holding.holder), ['b'])
    assert.equal(c.decision.status, 'queued')
    assert.equal(q.status(R, 500).holder?.holder, 'b')
  })

  it('renews the holder lease when the holder asks again', () => {
    const q = new ClaimQueue()
    q.claim(R, { claimant: 'a', priority: 0, leaseMs: 100 }, 0)
    const renewed = q.claim(R, { claimant: 'a', priority: 0, leaseMs: 100 }, 90)
    assert.equal(renewed.decision.status === 'granted' ? renewed.decision.holding.leaseEndsAt : 0, 190)
  })

  it('lets only the holder release; a waiting claimant withdraws; anyone else is refused', () => {
    const q = new ClaimQueue()
    q.claim(R, { claimant: 'a', priority: 0, leaseMs: 1_000 }, 0)
    q.claim(R, { claimant: 'b', priority: 0, leaseMs: 1_000 }, 10)
    q.claim(R, { claimant: 'c', priority: 0, leaseMs: 1_000 }, 20)
    const refused = q.release(R, 'stranger', 30)
    assert.deepEqual(refused.decision, { status: 'refused', holding: { holder: 'a', priority: 0, grantedAt: 0, leaseEndsAt: 1_000 } })
    assert.equal(q.status(R, 30).holder?.holder, 'a')
    assert.deepEqual(q.release(R, 'c', 40).decision, { status: 'withdrawn' })
    const released = q.release(R, 'a', 50)
    assert.deepEqual(released.decision, { status: 'released' })
    assert.deepEqual(released.grants, [{ resourceId: R, holding: { holder: 'b', priority: 0, grantedAt: 50, leaseEndsAt: 1_050 } }])
    // A former holder can no longer release what it gave back.
    assert.equal(q.release(R, 'a', 60).decision.status, 'refused')
    assert.deepEqual(q.release('other', 'a', 60).decision, { status: 'refused' })
  })

  it('drops a claimant that left: what it held goes on, it leaves every queue', () => {
    const q = new ClaimQueue()
    q.claim('r1', { claimant: 'gone', priority: 0, leaseMs: 1_000 }, 0)
    q.claim('r1', { claimant: 'b', priority: 0, leaseMs: 1_000 }, 1)
    q.claim('r2', { claimant: 'b', priority: 0, leaseMs: 1_000 }, 2)
    q.claim('r2', { claimant: 'gone', priority: 0, leaseMs: 1_000 }, 3)
    assert.deepEqual(q.claimants(), new Set(['gone', 'b']))
    assert.deepEqual(q.drop('gone', 10).map(g => [g.resourceId, g.holding.holder]), [['r1', 'b']])
    assert.deepEqual(q.status('r2', 10).queue, [])
    assert.deepEqual(q.claimants(), new Set(['b']))
  })

  it('counts every change in its revision', () => {
    const q = new ClaimQueue()
    const r0 = q.revision
    q.claim(R, { claimant: 'a', priority: 0, leaseMs: 100 }, 0)
    const r1 = q.revision
    q.release(R, 'stranger', 1)
    assert.equal(q.revision, r1, 'a refused release changes nothing')
    q.release(R, 'a', 2)
    assert.ok(r0 < r1 && r1 < q.revision)
  })

  it('never has two holders, whatever the order of claims, releases and expiries', () => {
    const random = rng(7)
    for (let round = 0; round < 50; round++) {
      const q = new ClaimQueue()
      const ops = shuffle(Array.from({ length: 30 }, (_, i) => i), random)
      for (const [t, i] of ops.entries()) {
        const who = `p${i % 4}`
        const now = t * 50
        const before = q.status(R, now).holder?.holder
        const out = i % 3 === 0 ? q.release(R, who, now) : q.claim(R, { claimant: who, priority: i % 2, leaseMs: 120 }, now)
        const { holder, queue } = q.status(R, now)
        if (out.decision.status === 'granted') assert.equal(holder?.holder, who)
        // A claim never takes the resource from a live holder.
        if (before !== undefined && before !== who) assert.ok(holder?.holder === before || out.decision.status !== 'granted')
        assert.ok(queue.every(w => w.claimant !== holder?.holder), 'the holder does not also wait')
        assert.equal(new Set(queue.map(w => w.claimant)).size, queue.length, 'each claimant waits once')
      }
    }
  })

  it('refuses a lease that is not positive', () => {
    assert.throws(() => new ClaimQueue().claim(R, { claimant: 'a', priority: 0, leaseMs: 0 }, 0), /leaseMs/)
    assert.throws(() => new ClaimQueue().claim(R, { claimant: 'a', priority: Number.NaN, leaseMs: 1 }, 0), /priority/)
  })
})
