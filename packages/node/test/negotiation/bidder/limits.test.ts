import { afterEach, beforeEach, describe, it, vi } from 'vitest'
import assert from 'node:assert/strict'
import { createMessage } from '@swarm/protocol'
import { LimitsConfigSchema } from '../../../src/config-limits.js'
import { bidderHarness, hangingHandler } from './harness.js'
import type { BidderHarness } from './harness.js'
import type { PeerId } from '@libp2p/interface'
import type { SwarmMessage, TaskAnnounceBody } from '@swarm/protocol'

/** The config defaults (lease at most 15 s, 2 slots per known announcer, 1 per unknown), with `over` on top. */
function limits (over: Record<string, unknown> = {}): ReturnType<typeof LimitsConfigSchema.parse> {
  return LimitsConfigSchema.parse(over)
}

function codeOf (reply: SwarmMessage): string | undefined {
  return reply.type === 'ERROR' ? reply.body.code : reply.type
}

async function announce (h: BidderHarness, body: TaskAnnounceBody, from?: PeerId): Promise<string | undefined> {
  return codeOf(await h.call(createMessage('TASK_ANNOUNCE', body), from))
}

describe('bidder: what one announcer can make it spend', () => {
  beforeEach(() => {
    vi.useFakeTimers()
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'))
  })
  afterEach(() => { vi.useRealTimers() })

  it('caps the lease at maxLeaseMs however long the bid window, and says so in the offer', async () => {
    const h = await bidderHarness({ capacity: 1, skills: { alpha: hangingHandler().handler }, leaseGraceMs: 5_000, limits: limits({ maxLeaseMs: 15_000 }) })
    const body = h.announcement('task-long', { bidWindowMs: 60_000 })
    const reply = await h.call(createMessage('TASK_ANNOUNCE', body))
    assert.equal(reply.type, 'SKILL_OFFER')
    assert.equal(reply.type === 'SKILL_OFFER' ? reply.body.leaseExpiresAt : undefined, Date.now() + 15_000, 'the offer tells the announcer when the slot stops being held')
    assert.equal(h.bidder.load(), 1)

    // The slot is free again after 15 s, not 65 s: another announcer's task gets it.
    await vi.advanceTimersByTimeAsync(15_010)
    assert.equal(h.bidder.load(), 0)
    assert.equal(await announce(h, h.announcement('task-honest'), h.announcers[1]), 'SKILL_OFFER')
    h.bidder.stop()
  })

  it('holds at most one slot for an unknown announcer and two for a known one; others still get offers', async () => {
    let unknown = ''
    const h = await bidderHarness({ capacity: 6, skills: { alpha: hangingHandler().handler }, limits: limits(), known: peerId => peerId !== unknown })
    const [a, b, friend] = h.announcers as [PeerId, PeerId, PeerId]
    unknown = a.toString()
    const codes: Array<string | undefined> = []
    for (let i = 0; i < 8; i++) codes.push(await announce(h, h.announcement(`task-lock${i}`, { bidWindowMs: 60_000 }), a))
    assert.deepEqual(codes, ['SKILL_OFFER', ...Array(7).fill('NO_CAPACITY')], 'one reserved slot for the unknown announcer')
    assert.equal(h.bidder.load(), 1)
    assert.equal(h.bidder.limited['reserved-slots'], 7)

    const known: Array<string | undefined> = []
    for (let i = 0; i < 3; i++) known.push(await announce(h, h.announcement(`task-known${i}`), b))
    assert.deepEqual(known, ['SKILL_OFFER', 'SKILL_OFFER', 'NO_CAPACITY'], 'two for a known one')
    assert.equal(await announce(h, h.announcement('task-friend'), friend), 'SKILL_OFFER', 'a third announcer is not locked out')
    assert.equal(h.bidder.load(), 4)
    h.bidder.stop()
  })

  it('offers on a held-back announcement once its announcer\'s reservation turned into work', async () => {
    const work = hangingHandler()
    const h = await bidderHarness({ capacity: 3, skills: { alpha: work.handler }, limits: limits(), known: () => false })
    const first = h.announcement('task-first', { bidWindowMs: 5_000 })
    // A re-ask of a queued task (a first ask over the share is not kept: the announcer queues it).
    const second = h.announcement('task-second', { bidWindowMs: 5_000, ask: 1 })
    assert.equal(await announce(h, first), 'SKILL_OFFER')
    assert.equal(await announce(h, second), 'NO_CAPACITY')
    await vi.advanceTimersByTimeAsync(1)
    assert.deepEqual(h.offeredTasks(), [], 'held back while the first holds the announcer\'s slot')

    assert.equal((await h.invite(first, 'group-first')).type, 'GROUP_ACCEPT')
    await vi.advanceTimersByTimeAsync(1)
    assert.deepEqual(h.offeredTasks(), ['task-second'], 'offered as soon as the share came free')
    h.bidder.stop()
  })

  it('drops announcements over their announcer\'s rate, on gossip and direct, and counts them', async () => {
    const h = await bidderHarness({ capacity: 100, skills: { alpha: hangingHandler().handler }, limits: limits({ reservedSlotsPerAnnouncer: 100, rates: { announcements: { perSecond: 1, burst: 3 } } }) })
    const [flooder, other] = h.announcers as [PeerId, PeerId]
    const taken: boolean[] = []
    for (let i = 0; i < 10; i++) taken.push(h.hearOn('alpha', h.announcement(`task-flood${i}`), flooder))
    assert.deepEqual(taken, [true, true, true, ...Array<boolean>(7).fill(false)], 'over the rate, LIMITED at validation: not passed on')
    assert.equal(await announce(h, h.announcement('task-direct'), flooder), 'RATE_LIMITED')
    assert.equal(h.bidder.limited.announcement, 8)
    assert.equal(h.bidder.stats.announcementsHeard, 3)

    // Another announcer has its own bucket; the flooder's refills at its rate.
    assert.equal(await announce(h, h.announcement('task-other'), other), 'SKILL_OFFER')
    await vi.advanceTimersByTimeAsync(1_000)
    assert.equal(await announce(h, h.announcement('task-later'), flooder), 'SKILL_OFFER')
    h.bidder.stop()
  })

  it('gives an unknown announcer that lets three reservations lapse no slot for distrustMs; a known one is never distrusted', async () => {
    let unknown = ''
    const h = await bidderHarness({ capacity: 4, skills: { alpha: hangingHandler().handler }, leaseGraceMs: 1_000, limits: limits({ maxLeaseMs: 5_000 }), known: peerId => peerId !== unknown })
    const [locker, regular] = h.announcers as [PeerId, PeerId]
    unknown = locker.toString()
    // The lock-out: a long bid window, never an invite. Each reservation runs out after 5 s.
    const codes: Array<string | undefined> = []
    for (let i = 0; i < 4; i++) {
      codes.push(await announce(h, h.announcement(`task-lock${i}`, { bidWindowMs: 60_000 }), locker))
      await vi.advanceTimersByTimeAsync(5_100)
    }
    assert.deepEqual(codes, ['SKILL_OFFER', 'SKILL_OFFER', 'SKILL_OFFER', 'NO_CAPACITY'], 'three lapses, then no more slots')
    assert.deepEqual([h.bidder.limited.lapsed, h.bidder.limited.distrusted], [3, 1])
    assert.equal(h.bidder.load(), 0)
    // Five minutes later it is trusted again (and may lock a slot once more).
    await vi.advanceTimersByTimeAsync(300_000)
    assert.equal(await announce(h, h.announcement('task-lock-later', { bidWindowMs: 60_000 }), locker), 'SKILL_OFFER')

    // A known announcer's lapses are not held against it.
    for (let i = 0; i < 4; i++) {
      assert.equal(await announce(h, h.announcement(`task-known${i}`, { bidWindowMs: 60_000 }), regular), 'SKILL_OFFER')
      await vi.advanceTimersByTimeAsync(5_100)
    }
    h.bidder.stop()
  })

  it('counts an offer that cannot be delivered as a lapse of its announcer', async () => {
    const h = await bidderHarness({ capacity: 4, skills: { alpha: hangingHandler().handler }, limits: limits(), known: () => false })
    const [gone] = h.announcers as [PeerId]
    h.messenger.answer = async () => { throw new Error('the announcer cannot be dialled (fake)') }
    for (let i = 0; i < 3; i++) {
      h.hearOn('alpha', h.announcement(`task-gone${i}`), gone)
      await vi.advanceTimersByTimeAsync(10)
    }
    assert.equal(h.bidder.limited.lapsed, 3)
    h.hearOn('alpha', h.announcement('task-gone-again'), gone)
    await vi.advanceTimersByTimeAsync(10)
    assert.equal(h.bidder.limited.distrusted, 1, 'no more offers to an announcer that cannot be reached')
    h.bidder.stop()
  })

  it('distrusts an announcer that refuses offers on its own announcements as unknown tasks, and then passes none of its announcements on', async () => {
    const h = await bidderHarness({ capacity: 4, skills: { alpha: hangingHandler().handler }, limits: limits(), known: () => false })
    const [liar] = h.announcers as [PeerId]
    h.messenger.answer = (_peer, message) => createMessage('ERROR', { ref: message.id, code: 'UNKNOWN_TASK', message: 'no such task here' })
    const taken: boolean[] = []
    for (let i = 0; i < 5; i++) {
      taken.push(h.hearOn('alpha', h.announcement(`task-fake${i}`), liar))
      await vi.advanceTimersByTimeAsync(10)
    }
    assert.deepEqual(taken, [true, true, true, false, false], 'LIMITED once distrusted: not passed on')
    assert.deepEqual(h.offeredTasks(), ['task-fake0', 'task-fake1', 'task-fake2'])
    assert.deepEqual([h.bidder.limited.lapsed, h.bidder.limited.distrusted], [3, 2])
    assert.equal(h.bidder.load(), 0)
    h.bidder.stop()
  })

  it('does not let an unknown announcer jump the waiting queue with a claimed priority or age', async () => {
    const work = hangingHandler()
    let unknown = ''
    const h = await bidderHarness({ capacity: 1, skills: { alpha: work.handler }, limits: limits(), known: peerId => peerId !== unknown })
    const [stranger, regular] = h.announcers as [PeerId, PeerId]
    unknown = stranger.toString()
    // The slot is taken for a while; two announcements wait for it.
    const busy = h.announcement('task-busy', { bidWindowMs: 500 })
    h.hearOn('alpha', busy, regular)
    await vi.advanceTimersByTimeAsync(1)
    h.hearOn('alpha', h.announcement('task-stranger', { priority: 'critical', createdAt: Date.now() - 600_000, bidWindowMs: 10_000 }), stranger)
    h.hearOn('alpha', h.announcement('task-regular', { priority: 'normal', createdAt: Date.now() - 1_000, bidWindowMs: 10_000 }), regular)
    await vi.advanceTimersByTimeAsync(1_600)
    assert.deepEqual(h.offeredTasks(), ['task-busy', 'task-regular'], 'the known announcer\'s normal task goes first')
    h.bidder.stop()
  })

  it('does not let an unknown announcer jump the waiting queue with a claimed count of dependents', async () => {
    let unknown = ''
    const h = await bidderHarness({ capacity: 1, skills: { alpha: hangingHandler().handler }, limits: limits(), known: peerId => peerId !== unknown })
    const [stranger, regular] = h.announcers as [PeerId, PeerId]
    unknown = stranger.toString()
    h.hearOn('alpha', h.announcement('task-busy', { bidWindowMs: 500 }), regular)
    await vi.advanceTimersByTimeAsync(1)
    h.hearOn('alpha', h.announcement('task-stranger', { priority: 'normal', dependents: 1000, bidWindowMs: 10_000 }), stranger)
    h.hearOn('alpha', h.announcement('task-regular', { priority: 'normal', createdAt: Date.now() - 1_000, bidWindowMs: 10_000 }), regular)
    await vi.advanceTimersByTimeAsync(1_600)
    assert.deepEqual(h.offeredTasks(), ['task-busy', 'task-regular'], 'the stranger\'s dependents earn it nothing')
    h.bidder.stop()
  })

  it('believes the priority of a known announcer', async () => {
    const h = await bidderHarness({ capacity: 1, skills: { alpha: hangingHandler().handler }, limits: limits(), known: () => true })
    const [one, two] = h.announcers as [PeerId, PeerId]
    h.hearOn('alpha', h.announcement('task-busy', { bidWindowMs: 500 }), two)
    await vi.advanceTimersByTimeAsync(1)
    h.hearOn('alpha', h.announcement('task-normal', { priority: 'normal', createdAt: Date.now() - 1_000, bidWindowMs: 10_000 }), two)
    h.hearOn('alpha', h.announcement('task-critical', { priority: 'critical', bidWindowMs: 10_000 }), one)
    await vi.advanceTimersByTimeAsync(1_600)
    assert.deepEqual(h.offeredTasks(), ['task-busy', 'task-critical'])
    h.bidder.stop()
  })
})
