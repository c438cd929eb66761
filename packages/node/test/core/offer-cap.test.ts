import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { fnv1a, offerRank, withinOfferCap } from '../../src/core/offer-cap.js'

const peers = Array.from({ length: 40 }, (_, i) => `peer-${String(i).padStart(2, '0')}`)

describe('offer cap', () => {
  it('ranks every peer at a distinct position, the same way on every bidder', () => {
    const ranks = peers.map(p => offerRank('task-1', 1, p, peers))
    assert.deepEqual([...ranks].sort((a, b) => a - b), peers.map((_, i) => i))
    // Order of the list a bidder knows does not matter.
    assert.deepEqual(peers.map(p => offerRank('task-1', 1, p, [...peers].reverse())), ranks)
  })

  it('lets exactly cap × count agents offer when everyone knows everyone', () => {
    const offering = peers.filter(p => withinOfferCap('task-2', 1, p, 3, [{ peers, count: 2 }]))
    assert.equal(offering.length, 6)
  })

  it('picks different agents for different tasks and attempts', () => {
    const first = (task: string, attempt: number): string[] => peers.filter(p => withinOfferCap(task, attempt, p, 2, [{ peers, count: 1 }]))
    const sets = new Set([first('a', 1), first('b', 1), first('c', 1), first('a', 2)].map(s => s.join()))
    assert.ok(sets.size >= 3)
  })

  it('offers for any covered skill, and always when the cap is 0', () => {
    const self = 'peer-05'
    assert.equal(withinOfferCap('t', 1, self, 0, []), true)
    const rank = offerRank('t', 1, self, peers)
    assert.equal(withinOfferCap('t', 1, self, rank + 1, [{ peers, count: 1 }]), true)
    assert.equal(withinOfferCap('t', 1, self, rank, [{ peers, count: 1 }]), rank === 0)
    assert.equal(withinOfferCap('t', 1, self, 1, [{ peers: [self], count: 1 }, { peers, count: 1 }]), true)
  })

  it('counts self in even when the directory does not list it', () => {
    assert.equal(offerRank('t', 1, 'x', []), 0)
    assert.equal(fnv1a(''), 0x811c9dc5)
  })
})
