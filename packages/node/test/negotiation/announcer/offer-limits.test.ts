/**
 * What a bidder can make the announcer spend, and what the announcer does with a bidder's capped
 * lease: offers over a bidder's rate are refused (RATE_LIMITED, counted), and bidding closes
 * before the first lease among the offers ends when the offers make a group.
 */
import { afterEach, beforeEach, describe, it, vi } from 'vitest'
import assert from 'node:assert/strict'
import { RateLimiter } from '../../../src/core/token-bucket.js'
import { announcerHarness, offerOf, strong, weak } from './harness.js'
import { fakePeerIds } from '../../fakes/fake-events.js'
import type { Harness } from './harness.js'
import type { SwarmMessage } from '@swarm/protocol'

const codeOf = (reply: SwarmMessage): string => reply.type === 'ERROR' ? reply.body.code : reply.type

describe('Announcer: offer rate and capped leases', () => {
  let h: Harness

  beforeEach(() => { vi.useFakeTimers() })
  afterEach(async () => {
    await h.close()
    vi.useRealTimers()
  })

  it('refuses offers over a bidder\'s rate with RATE_LIMITED and counts them; other bidders are not affected', async () => {
    h = await announcerHarness({}, { offerLimiter: new RateLimiter({ perSecond: 1, burst: 2 }) })
    const [flooder, other] = await fakePeerIds(2)
    if (flooder === undefined || other === undefined) throw new Error('peers')
    const handle = await h.announcer.announce({ description: 'add', skills: [{ name: 'sum' }], bidWindowMs: 5_000, maxAttempts: 1 })
    const codes: string[] = []
    for (let i = 0; i < 4; i++) codes.push(codeOf(await h.offer(flooder, handle.id, weak('sum'))))
    assert.deepEqual(codes, ['ACK', 'ACK', 'RATE_LIMITED', 'RATE_LIMITED'])
    assert.equal(codeOf(await h.offer(other, handle.id, weak('sum'))), 'ACK')
    assert.deepEqual(h.announcer.limited(), { offer: 2 })
  })

  it('closes bidding a second before the first lease among the offers ends, when they make a group', async () => {
    h = await announcerHarness()
    const [bidder] = await fakePeerIds(1)
    if (bidder === undefined) throw new Error('peers')
    const handle = await h.announcer.announce({ description: 'add', skills: [{ name: 'sum' }], bidWindowMs: 60_000, maxAttempts: 1 })
    // A weak offer does not close bidding early by itself; its lease (capped by the bidder) ends in 5 s.
    const offer = offerOf(handle.id, 1, weak('sum'))
    const capped = { ...offer, body: { ...offer.body, leaseExpiresAt: Date.now() + 5_000 } }
    assert.equal(codeOf(await h.direct.call(capped, bidder)), 'ACK')
    await vi.advanceTimersByTimeAsync(3_900)
    assert.equal(h.events.of('task:bidding-closed').length, 0, 'not before')
    await vi.advanceTimersByTimeAsync(200)
    assert.equal(h.events.of('task:bidding-closed').length, 1, 'closed while the bidder still holds its slot, not after 60 s')
    assert.equal(h.events.of('task:bidding-closed')[0]?.early, true)
  })

  it('lets the bid window run when the lease outlasts it', async () => {
    h = await announcerHarness()
    const [bidder] = await fakePeerIds(1)
    if (bidder === undefined) throw new Error('peers')
    const handle = await h.announcer.announce({ description: 'add', skills: [{ name: 'sum' }], bidWindowMs: 2_000, maxAttempts: 1 })
    assert.equal(codeOf(await h.offer(bidder, handle.id, weak('sum'))), 'ACK')
    await vi.advanceTimersByTimeAsync(1_900)
    assert.equal(h.events.of('task:bidding-closed').length, 0)
    await vi.advanceTimersByTimeAsync(200)
    assert.equal(h.events.of('task:bidding-closed')[0]?.early, false)
  })

  it('does not close early on a short lease when the offers make no group', async () => {
    h = await announcerHarness()
    const [bidder] = await fakePeerIds(1)
    if (bidder === undefined) throw new Error('peers')
    const handle = await h.announcer.announce({ description: 'two skills', skills: [{ name: 'sum' }, { name: 'mul' }], bidWindowMs: 30_000, maxAttempts: 1 })
    const offer = offerOf(handle.id, 1, strong('sum'))
    assert.equal(codeOf(await h.direct.call({ ...offer, body: { ...offer.body, leaseExpiresAt: Date.now() + 3_000 } }, bidder)), 'ACK')
    await vi.advanceTimersByTimeAsync(5_000)
    assert.equal(h.events.of('task:bidding-closed').length, 0, 'the window runs on: more offers may make the group')
  })
})
