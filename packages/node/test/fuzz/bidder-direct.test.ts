/**
 * Fuzzing the bidder's direct handlers (TASK_ANNOUNCE, GROUP_INVITE, GROUP_FORMED, TASK_START,
 * TASK_CANCEL) through a real DirectRouter, over the bidder harness's fakes, with an offer out
 * for one task: random and mutated messages about it (or other tasks) from its announcer, other
 * announcers and strangers; and its skill-topic handler fed hostile TASK_ANNOUNCE and TASK_CANCEL.
 * Every answer decodes, nothing throws out, a refused request leaves no step in the member
 * history, and afterwards (leases expired) a new announcer's valid announcement, direct or on the
 * topic, still gets an offer.
 */
import { afterAll, beforeAll, describe, it, vi } from 'vitest'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { CHANNEL_MESSAGE_TYPES, createMessage, topics } from '@swarm/protocol'
import { DirectRouter } from '../../src/net/direct-router.js'
import { bidderHarness, echoHandler } from '../negotiation/bidder/harness.js'
import { fakePeerIds } from '../fakes/fake-events.js'
import { FUZZ_TIMEOUT_MS, assertNoPollution, fuzz, hostileMessages, validMessages } from './arbitraries.js'
import { answer, assertDecodable, refused, settle } from './direct-helpers.js'
import type { BidderHarness } from '../negotiation/bidder/harness.js'
import type { PeerId } from '@libp2p/interface'

const TYPES = ['TASK_ANNOUNCE', 'GROUP_INVITE', 'GROUP_FORMED', 'TASK_START', 'TASK_CANCEL', 'SKILL_OFFER', 'DIRECTORY_REQUEST'] as const
const OFFERED = 'task-offered-0001'
const GROUP = 'group-offered-0001'

describe('fuzz: the bidder behind the direct router', () => {
  let h: BidderHarness
  let router: DirectRouter
  let senders: PeerId[]

  beforeAll(async () => {
    vi.useFakeTimers()
    h = await bidderHarness({ capacity: 2, skills: { alpha: echoHandler } })
    router = new DirectRouter()
    for (const [type, handler] of h.direct.handlers) router.handle(type, handler)
    senders = [...h.announcers, ...await fakePeerIds(2)]
    assert.ok(h.hearOn('alpha', h.announcement(OFFERED, { bidWindowMs: 60_000 })))
    await settle()
    assert.deepEqual(h.offeredTasks(), [OFFERED])
  })

  afterAll(() => {
    h.bidder.stop()
    vi.useRealTimers()
    assertNoPollution()
  })

  it('answers every request with a decodable message, never throws, and records no step for a refused one', async () => {
    const ctx = { taskIds: [OFFERED], groupIds: [GROUP], peers: [h.self, ...senders].map(String), skills: ['alpha'] }
    const requests = hostileMessages(validMessages(ctx, TYPES), 'direct')
    let refusedCount = 0
    let taken = 0
    await fc.assert(fc.asyncProperty(requests, fc.constantFrom(...senders), async (message, from) => {
      await settle()
      const steps = h.history.calls.length
      const { reply, timeMoved } = await answer(router, message, from)
      assertDecodable(reply, message)
      if (!refused(reply)) taken++
      if (refused(reply) && !timeMoved) {
        refusedCount++
        assert.equal(h.history.calls.length, steps, `a refused ${message.type} (${reply.type === 'ERROR' ? reply.body.code : ''}) left a step in the member history`)
      }
    }), fuzz('bidder direct', 150))
    // Both sides were met: the generators reach past the checks, not only into them.
    assert.ok(refusedCount > 0 && taken > 0, `refused ${refusedCount}, taken ${taken}`)
  }, FUZZ_TIMEOUT_MS)

  it('never throws on hostile announcements and cancels on its skill topic', async () => {
    const ctx = { taskIds: [OFFERED], groupIds: [GROUP], peers: [h.self, ...senders].map(String), skills: ['alpha'] }
    const gossip = hostileMessages(validMessages(ctx, CHANNEL_MESSAGE_TYPES.skill), 'skill')
    await fc.assert(fc.asyncProperty(gossip, fc.constantFrom(...senders), async (message, from) => {
      h.gossip.deliver(topics.skill('unit', 'alpha'), message, from)
      await settle()
    }), fuzz('bidder skill topic', 150))
  }, FUZZ_TIMEOUT_MS)

  it('keeps serving: once the leases ran out, a new announcer\'s valid announcement gets an offer', async () => {
    await vi.advanceTimersByTimeAsync(180_000)
    const [fresh] = await fakePeerIds(1)
    if (fresh === undefined) throw new Error('no peer')
    const { reply } = await answer(router, createMessage('TASK_ANNOUNCE', h.announcement('task-after-fuzz-1')), fresh)
    assert.equal(reply.type, 'SKILL_OFFER', JSON.stringify(reply.type === 'ERROR' ? reply.body : reply.type))
    await vi.advanceTimersByTimeAsync(180_000)
    assert.ok(h.hearOn('alpha', h.announcement('task-after-fuzz-2'), fresh))
    await settle()
    assert.ok(h.offeredTasks().includes('task-after-fuzz-2'), 'an announcement heard on the topic got no offer')
  }, FUZZ_TIMEOUT_MS)
})
