import { afterEach, beforeEach, describe, it, vi } from 'vitest'
import assert from 'node:assert/strict'
import { createMessage } from '@swarm/protocol'
import { decodeSignature, offerSigningBytes } from '../../../src/core/signed-offer.js'
import { verifyPeerSignature } from '../../../src/net/key-signer.js'
import { awardOf, bidderHarness, hangingHandler } from './harness.js'

describe('bidder: signed offers, releases and awards', () => {
  beforeEach(() => {
    vi.useFakeTimers()
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'))
  })
  afterEach(() => { vi.useRealTimers() })

  it('signs each offer for its task and announcer, and keeps it for the award', async () => {
    const h = await bidderHarness({ capacity: 1, skills: { alpha: hangingHandler().handler } })
    const body = h.announcement('task-signed')
    const [announcer, other] = h.announcers
    if (announcer === undefined || other === undefined) throw new Error('announcers')
    const reply = await h.call(createMessage('TASK_ANNOUNCE', body), announcer)
    assert.equal(reply.type, 'SKILL_OFFER')
    if (reply.type !== 'SKILL_OFFER') return
    const sig = decodeSignature(reply.body.signature)
    assert.equal(await verifyPeerSignature(h.self.toString(), offerSigningBytes(announcer.toString(), reply.body), sig), true)
    assert.equal(await verifyPeerSignature(h.self.toString(), offerSigningBytes(other.toString(), reply.body), sig), false, 'worth nothing to another announcer')
    assert.deepEqual(h.awards.offers, [{ announcer: announcer.toString(), offer: reply.body }])
    h.bidder.stop()
  })

  it('releases its lease on OFFER_RELEASE (which names no group) and keeps the award', async () => {
    const h = await bidderHarness({ capacity: 1, skills: { alpha: hangingHandler().handler } })
    const body = h.announcement('task-release', { bidWindowMs: 20_000 })
    const [announcer, other, winner] = h.announcers
    if (announcer === undefined || other === undefined || winner === undefined) throw new Error('announcers')
    assert.equal((await h.call(createMessage('TASK_ANNOUNCE', body), announcer)).type, 'SKILL_OFFER')
    assert.equal(h.bidder.load(), 1)
    const award = awardOf(body, announcer, [{ peerId: winner.toString(), skills: ['alpha'] }])

    // From another peer than the announcer: nothing happens.
    assert.equal((await h.call(createMessage('OFFER_RELEASE', { taskId: body.taskId, attempt: 1, award }), other)).type, 'ACK')
    assert.equal(h.bidder.load(), 1)
    assert.equal(h.awards.receivedAwards.length, 0)

    assert.equal((await h.call(createMessage('OFFER_RELEASE', { taskId: body.taskId, attempt: 1, award }), announcer)).type, 'ACK')
    assert.equal(h.bidder.load(), 0, 'the lease is released at once')
    assert.deepEqual(h.events.of('work:released'), [{ taskId: body.taskId, reason: 'group formed without us' }])
    assert.deepEqual(h.awards.receivedAwards, [{ announcer: announcer.toString(), award, member: false, acceptedInvite: false }])
    h.bidder.stop()
  })

  it('keeps the award of GROUP_FORMED as a member', async () => {
    const h = await bidderHarness({ capacity: 1, skills: { alpha: hangingHandler().handler } })
    const body = h.announcement('task-member', { bidWindowMs: 20_000 })
    const [announcer] = h.announcers
    if (announcer === undefined) throw new Error('announcers')
    await h.call(createMessage('TASK_ANNOUNCE', body), announcer)
    assert.equal((await h.invite(body, 'group-member-0001')).type, 'GROUP_ACCEPT')
    const members = [{ peerId: h.self.toString(), skills: ['alpha'] }]
    await h.call(createMessage('GROUP_FORMED', { taskId: body.taskId, attempt: 1, groupId: 'group-member-0001', members, award: awardOf(body, announcer, members) }), announcer)
    assert.equal(h.events.of('work:released').length, 0)
    assert.equal(h.awards.receivedAwards[0]?.member, true)
    assert.equal(h.awards.receivedAwards[0]?.acceptedInvite, true)
    h.bidder.stop()
  })
})
