import assert from 'node:assert/strict'
import { describe, it } from 'vitest'
import { chooseDirectTargets, fnv1a, offerRank, withinOfferCap } from '../../src/core/offer-cap.js'

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

describe('chooseDirectTargets', () => {
  const candidates = (connected: Set<string>): Array<{ peer: string, connected: boolean }> => peers.map(peer => ({ peer, connected: connected.has(peer) }))

  it('takes the first `want` by hash when no agent is connected', () => {
    const chosen = chooseDirectTargets('t', 1, candidates(new Set()), 3)
    const byHash = [...peers].sort((a, b) => fnv1a(`t:1:${a}`) - fnv1a(`t:1:${b}`)).slice(0, 3)
    assert.deepEqual(chosen, byHash)
  })

  it('puts up to want - 1 connected agents first and leaves one place to the ranking', () => {
    const connected = new Set(['peer-07', 'peer-21', 'peer-33', 'peer-38'])
    const chosen = chooseDirectTargets('t', 2, candidates(connected), 3)
    assert.equal(chosen.length, 3)
    assert.equal(new Set(chosen).size, 3)
    assert.ok(connected.has(chosen[0]!) && connected.has(chosen[1]!))
  })

  it('without explore, gives every place it can to connected agents', () => {
    const connected = new Set(['peer-07', 'peer-21', 'peer-33', 'peer-38'])
    const chosen = chooseDirectTargets('t', 2, candidates(connected), 3, false)
    assert.equal(chosen.length, 3)
    assert.ok(chosen.every(p => connected.has(p)), chosen.join())
    // Too few connected: the ranking fills the rest.
    const two = new Set(['peer-07', 'peer-21'])
    const filled = chooseDirectTargets('t', 2, candidates(two), 3, false)
    assert.deepEqual(filled.slice(0, 2).sort(), ['peer-07', 'peer-21'])
    assert.ok(!two.has(filled[2]!))
  })

  it('never asks more than there are, nor twice the same agent', () => {
    const few = [{ peer: 'a', connected: true }, { peer: 'b', connected: false }]
    assert.deepEqual(new Set(chooseDirectTargets('t', 1, few, 5)), new Set(['a', 'b']))
    assert.deepEqual(chooseDirectTargets('t', 1, few, 0), [])
  })

  it('is the same whatever the order of the candidates', () => {
    const connected = new Set(['peer-01', 'peer-02'])
    const list = candidates(connected)
    assert.deepEqual(chooseDirectTargets('x', 1, list, 4), chooseDirectTargets('x', 1, [...list].reverse(), 4))
  })
})
