/**
 * The bid window: offers taken or refused, early close once the skills are covered well (at once
 * with a backup, after the grace fraction without), the whole window otherwise, and the best
 * offers invited. A task announced on its topic (the directory knows nobody for the skill).
 */
import { afterEach, beforeEach, describe, it, vi } from 'vitest'
import assert from 'node:assert/strict'
import { topics } from '@swarm/protocol'
import { NETWORK, announcerHarness, strong, weak, willing } from './harness.js'
import { fakePeerIds } from '../../fakes/fake-events.js'
import { verifyAward } from '../../../src/core/award.js'
import type { Harness } from './harness.js'

const BID_WINDOW_MS = 1_000

describe('Announcer bid window', () => {
  let h: Harness

  beforeEach(async () => {
    vi.useFakeTimers()
    h = await announcerHarness()
  })

  afterEach(async () => {
    await h.close()
    vi.useRealTimers()
  })

  async function announce (): Promise<string> {
    const handle = await h.announcer.announce({ description: 'add numbers', skills: [{ name: 'sum' }], bidWindowMs: BID_WINDOW_MS, maxAttempts: 1 })
    return handle.id
  }

  it('announces on the skill topic (with no offer cap) and to its own bidder when the directory knows too few agents', async () => {
    const taskId = await announce()
    const published = h.gossip.publishedOfType('TASK_ANNOUNCE')
    assert.equal(published.length, 1)
    assert.equal(published[0]?.topic, topics.skill(NETWORK, 'sum'))
    assert.equal(published[0]?.message.body.offerCap, 0)
    assert.equal(h.local.length, 1)
    assert.equal(h.local[0]?.taskId, taskId)
    assert.equal(h.announcer.state(taskId)?.status, 'ANNOUNCED')
  })

  it('closes at once when a good offer and a backup are in', async () => {
    const [a, b] = await fakePeerIds(2)
    if (a === undefined || b === undefined) throw new Error('peers')
    const taskId = await announce()
    assert.equal((await h.offer(a, taskId, strong('sum'))).type, 'ACK')
    assert.equal(h.events.of('task:bidding-closed').length, 0)
    assert.equal((await h.offer(b, taskId, strong('sum'))).type, 'ACK')
    await vi.advanceTimersByTimeAsync(1)
    const closed = h.events.of('task:bidding-closed')
    assert.equal(closed.length, 1)
    assert.equal(closed[0]?.early, true)
    assert.equal(closed[0]?.offers, 2)
    // Too late now: the next offer is refused, so the agent can release its lease.
    const [c] = await fakePeerIds(1)
    if (c === undefined) throw new Error('peers')
    const late = await h.offer(c, taskId, strong('sum'))
    assert.equal(late.type === 'ERROR' ? late.body.code : late.type, 'BIDDING_CLOSED')
  })

  it('without a backup, closes once the grace fraction of the window passed', async () => {
    const [a] = await fakePeerIds(1)
    if (a === undefined) throw new Error('peers')
    const taskId = await announce()
    await h.offer(a, taskId, strong('sum'))
    const graceMs = BID_WINDOW_MS * h.settings.earlyCloseGraceFraction
    await vi.advanceTimersByTimeAsync(graceMs - 10)
    assert.equal(h.events.of('task:bidding-closed').length, 0)
    await vi.advanceTimersByTimeAsync(20)
    const closed = h.events.of('task:bidding-closed')
    assert.equal(closed.length, 1)
    assert.equal(closed[0]?.early, true)
  })

  it('waits the whole window when the offers score below the early-close score', async () => {
    const [a, b] = await fakePeerIds(2)
    if (a === undefined || b === undefined) throw new Error('peers')
    willing(h, a, weak('sum'))
    willing(h, b, weak('sum'))
    const taskId = await announce()
    await h.offer(a, taskId, weak('sum'))
    await h.offer(b, taskId, weak('sum'))
    await vi.advanceTimersByTimeAsync(BID_WINDOW_MS - 10)
    assert.equal(h.events.of('task:bidding-closed').length, 0)
    await vi.advanceTimersByTimeAsync(20)
    const closed = h.events.of('task:bidding-closed')
    assert.equal(closed.length, 1)
    assert.equal(closed[0]?.early, false)
    // Weak offers still make a group: the best of them is invited.
    assert.equal(h.messenger.sentOfType('GROUP_INVITE').length, 1)
  })

  it('rejects the task when nobody offered within the window', async () => {
    const taskId = await announce()
    await vi.advanceTimersByTimeAsync(BID_WINDOW_MS + 1)
    const state = h.announcer.state(taskId)
    assert.equal(state?.status, 'REJECTED')
    assert.match(state?.reason ?? '', /no capable agent offered within the bid window/)
    const outcome = await h.announcer.get(taskId)?.result()
    assert.equal(outcome?.ok, false)
    assert.equal(outcome?.status, 'REJECTED')
  })

  it('refuses offers for unknown tasks, for another attempt and for skills it does not need', async () => {
    const [a] = await fakePeerIds(1)
    if (a === undefined) throw new Error('peers')
    const taskId = await announce()
    const code = (m: Awaited<ReturnType<Harness['offer']>>): string => m.type === 'ERROR' ? m.body.code : m.type
    assert.equal(code(await h.offer(a, 'no-such-task', strong('sum'))), 'UNKNOWN_TASK')
    assert.equal(code(await h.offer(a, taskId, strong('sum'), 2)), 'BIDDING_CLOSED')
    assert.equal(code(await h.offer(a, taskId, strong('sort'))), 'NO_MATCH')
    assert.equal(h.announcer.stats.offersReceived, 0)
  })

  it('invites the best-scoring offers, a member per slot, and forms the group with them', async () => {
    // No early close here: every offer is in when the window ends.
    await h.close()
    h = await announcerHarness({ earlyCloseMinScore: 1 })
    const peers = await fakePeerIds(4)
    const [best, second, third, worst] = peers
    if (best === undefined || second === undefined || third === undefined || worst === undefined) throw new Error('peers')
    for (const p of peers) willing(h, p, strong('sum'))
    const handle = await h.announcer.announce({ description: 'add numbers', skills: [{ name: 'sum', count: 2 }], bidWindowMs: BID_WINDOW_MS, maxAttempts: 1 })
    // Busier and less successful agents score lower.
    await h.offer(worst, handle.id, weak('sum'))
    await h.offer(third, handle.id, { skills: [{ name: 'sum', level: 'novice', successRate: 0.5 }], load: 2, capacity: 4 })
    await h.offer(second, handle.id, { skills: [{ name: 'sum', level: 'advanced', successRate: 0.9 }], load: 1, capacity: 4 })
    await h.offer(best, handle.id, strong('sum'))
    await vi.advanceTimersByTimeAsync(BID_WINDOW_MS + 1)
    assert.deepEqual(h.messenger.peersSent('GROUP_INVITE').sort(), [best.toString(), second.toString()].sort())
    const state = h.announcer.state(handle.id)
    assert.equal(state?.status, 'RUNNING')
    assert.deepEqual(state?.members.map(m => m.peerId).sort(), [best.toString(), second.toString()].sort())
    // Only the members hear the group (and its id); the others get a release, without it.
    assert.deepEqual(h.messenger.peersSent('GROUP_FORMED').sort(), [best.toString(), second.toString()].sort())
    assert.deepEqual(h.messenger.peersSent('OFFER_RELEASE').sort(), [third.toString(), worst.toString()].sort())
    const groupId = h.groupOf(handle.id)
    for (const p of [third, worst]) assert.ok(!JSON.stringify(h.messenger.sent.filter(r => r.peer.equals(p)).map(r => r.message)).includes(groupId), 'a bidder not chosen never sees the group id')
    // The award lists all four offers and re-running the rule over it gives the group.
    const award = h.messenger.sentOfType('OFFER_RELEASE', third)[0]?.message.body.award
    assert.equal(award?.offers.length, 4)
    assert.deepEqual(award !== undefined ? verifyAward(award) : undefined, { ok: true, checks: verifyAward(award).checks, problems: [] })
    assert.equal(h.awards.awards.length, 1)
    assert.equal(h.awards.awards[0]?.offers.length, 4)
    assert.deepEqual(h.messenger.peersSent('TASK_START').sort(), [best.toString(), second.toString()].sort())
    assert.equal(h.groups.formedGroups.length, 1)
  })
})
