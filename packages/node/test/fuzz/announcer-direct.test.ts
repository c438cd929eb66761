/**
 * Fuzzing the announcer's direct handlers (SKILL_OFFER, TASK_COMPLETE, TASK_UPDATE, HANDOFF)
 * and the input server (INPUT_REQUEST) through a real DirectRouter, over the announcer harness's
 * fakes, with one task running (group formed) and one in bidding. Random and mutated messages
 * about those tasks (or others) arrive from random peers (the members among them): every answer
 * is a message the requester decodes, nothing throws out, a refused request writes nothing to
 * the ledger (but a member's handoff that finds no backup), and afterwards a valid offer and a
 * member's input fetch get their normal answers.
 */
import { afterAll, beforeAll, describe, it, vi } from 'vitest'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { createMessage } from '@swarm/protocol'
import { DirectRouter } from '../../src/net/direct-router.js'
import { serveTaskInput } from '../../src/negotiation/task-input.js'
import { announcerHarness, strong, willing } from '../negotiation/announcer/harness.js'
import { fakePeerIds } from '../fakes/fake-events.js'
import { FUZZ_TIMEOUT_MS, assertNoPollution, fuzz, hostileMessages, validMessages } from './arbitraries.js'
import { answer, assertDecodable, refused, settle } from './direct-helpers.js'
import type { Harness } from '../negotiation/announcer/harness.js'
import type { PeerId } from '@libp2p/interface'

const TYPES = ['SKILL_OFFER', 'TASK_COMPLETE', 'TASK_UPDATE', 'HANDOFF', 'INPUT_REQUEST', 'TASK_ANNOUNCE', 'ACK', 'CLAIM_REQUEST'] as const

describe('fuzz: the announcer behind the direct router', () => {
  let h: Harness
  let router: DirectRouter
  let member: PeerId
  let strangers: PeerId[]
  let running: string
  let bidding: string

  beforeAll(async () => {
    vi.useFakeTimers()
    h = await announcerHarness()
    router = new DirectRouter()
    for (const [type, handler] of h.direct.handlers) router.handle(type, handler)
    router.handle('INPUT_REQUEST', serveTaskInput((taskId, from) => h.announcer.inputFor(taskId, from)))
    const peers = await fakePeerIds(5)
    member = peers[0] as PeerId
    strangers = peers.slice(1)
    willing(h, member, strong('sum'))
    running = (await h.announcer.announce({ description: 'add numbers', skills: [{ name: 'sum' }], bidWindowMs: 500, maxAttempts: 1, input: { rows: [1, 2] } })).id
    await h.offer(member, running, strong('sum'))
    await vi.advanceTimersByTimeAsync(600)
    assert.equal(h.announcer.state(running)?.status, 'RUNNING')
    bidding = (await h.announcer.announce({ description: 'more numbers', skills: [{ name: 'sum' }], bidWindowMs: 60_000, maxAttempts: 1 })).id
  })

  afterAll(async () => {
    await h.close()
    vi.useRealTimers()
    assertNoPollution()
  })

  it('answers every request with a decodable message, never throws, and writes nothing for a refused one', async () => {
    const ctx = { taskIds: [running, bidding], groupIds: [h.groupOf(running)], peers: [member, ...strangers].map(String), skills: ['sum'] }
    const requests = hostileMessages(validMessages(ctx, TYPES), 'direct')
    let refusedCount = 0
    let taken = 0
    await fc.assert(fc.asyncProperty(requests, fc.constantFrom(member, ...strangers), async (message, from) => {
      await settle()
      const before = { saved: h.saved.length, audits: h.audits.length, checkpoints: h.checkpointsSaved.length }
      const { reply, timeMoved } = await answer(router, message, from)
      assertDecodable(reply, message)
      if (!refused(reply)) taken++
      // A member's handoff that finds no backup is refused after it was recorded (its request
      // and checkpoint are the member's to make): the one refusal that may leave a trace.
      const outcome = reply.type === 'ERROR' && reply.body.code === 'NO_CAPACITY' && from.equals(member)
      if (refused(reply) && !timeMoved && !outcome) {
        refusedCount++
        assert.deepEqual({ saved: h.saved.length, audits: h.audits.length, checkpoints: h.checkpointsSaved.length }, before, `a refused ${message.type} (${reply.type === 'ERROR' ? reply.body.code : ''}) was written to the ledger`)
      }
    }), fuzz('announcer direct', 150))
    // Both sides were met: the generators reach past the checks, not only into them.
    assert.ok(refusedCount > 0 && taken > 0, `refused ${refusedCount}, taken ${taken}`)
  }, FUZZ_TIMEOUT_MS)

  it('keeps serving: a new peer\'s valid offer is taken, the member still fetches the input, a stranger still cannot', async () => {
    const [fresh] = await fakePeerIds(1)
    if (fresh === undefined) throw new Error('no peer')
    const task = (await h.announcer.announce({ description: 'after the fuzz', skills: [{ name: 'sum' }], bidWindowMs: 60_000, maxAttempts: 1 })).id
    const offer = await h.offer(fresh, task, strong('sum'))
    assert.equal(offer.type, 'ACK', JSON.stringify(offer.type === 'ERROR' ? offer.body : offer.type))
    const status = h.announcer.state(running)?.status
    if (status === 'RUNNING') {
      const input = await answer(router, createMessage('INPUT_REQUEST', { taskId: running }), member)
      assert.equal(input.reply.type, 'INPUT_RESPONSE')
    }
    const denied = await answer(router, createMessage('INPUT_REQUEST', { taskId: task }), strangers[0] as PeerId)
    assert.equal(denied.reply.type === 'ERROR' ? denied.reply.body.code : denied.reply.type, 'FORBIDDEN')
  }, FUZZ_TIMEOUT_MS)
})
