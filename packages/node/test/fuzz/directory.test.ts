/**
 * Fuzzing the directory's entries: its agents-topic handler (AGENT_CARD, HEARTBEAT) and the
 * catch-up's DIRECTORY_REQUEST handler behind a real DirectRouter, over the directory harness's
 * fakes. Random and mutated cards and requests arrive from random peers: nothing throws out,
 * every card the directory holds passes the card schema, every answer decodes, and afterwards a
 * new agent's card is still learned and a catch-up still answered.
 */
import { afterAll, beforeAll, describe, it, vi } from 'vitest'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { AgentCardBodySchema, CHANNEL_MESSAGE_TYPES, createMessage } from '@swarm/protocol'
import { DirectoryCatchUp } from '../../src/directory/catch-up.js'
import { silentLogger } from '../../src/logger.js'
import { DirectRouter } from '../../src/net/direct-router.js'
import { systemClock } from '../../src/ports/clock.js'
import { agentCard, directoryHarness } from '../directory/harness.js'
import { fakePeerIds } from '../fakes/fake-events.js'
import { FakeMessenger } from '../fakes/fake-messenger.js'
import { FUZZ_TIMEOUT_MS, assertNoPollution, fuzz, hostileMessages, validMessages } from './arbitraries.js'
import { answer, assertDecodable, settle } from './direct-helpers.js'
import type { DirectoryHarness } from '../directory/harness.js'
import type { PeerId } from '@libp2p/interface'

describe('fuzz: the directory on its topic and behind the direct router', () => {
  let h: DirectoryHarness
  let router: DirectRouter
  let senders: PeerId[]

  /** Every card the directory holds passes the wire schema (nothing hostile was stored as is). */
  const assertCardsValid = (): void => {
    for (const entry of h.service.snapshot(10_000)) {
      assert.ok(AgentCardBodySchema.safeParse(entry.card).success, `the directory holds an off-schema card of ${entry.peerId}`)
    }
  }

  beforeAll(async () => {
    vi.useFakeTimers()
    h = await directoryHarness()
    h.service.start()
    router = new DirectRouter()
    // The catch-up registers its handler on the router; it is never started (no catch-ups of its own).
    void new DirectoryCatchUp({ messenger: new FakeMessenger(), direct: router, clock: systemClock, directory: h.service, peers: () => [], logger: silentLogger() })
    senders = [...h.others, ...await fakePeerIds(3)]
    await settle()
  })

  afterAll(() => {
    h.service.stop()
    vi.useRealTimers()
    assertNoPollution()
  })

  it('never throws on a hostile card or heartbeat, and holds only cards of the schema', async () => {
    const ctx = { taskIds: [], groupIds: [], peers: senders.map(String), skills: ['alpha'] }
    const gossip = hostileMessages(validMessages(ctx, CHANNEL_MESSAGE_TYPES.agents), 'agents')
    await fc.assert(fc.asyncProperty(gossip, fc.constantFrom(...senders), async (message, from) => {
      h.gossip.deliver(h.service.topic, message, from)
      await settle()
      assertCardsValid()
    }), fuzz('directory topic', 150))
  }, FUZZ_TIMEOUT_MS)

  it('answers every DIRECTORY_REQUEST (hostile cards in it too) with a decodable message', async () => {
    const ctx = { taskIds: [], groupIds: [], peers: senders.map(String), skills: ['alpha'] }
    const requests = hostileMessages(validMessages(ctx, ['DIRECTORY_REQUEST', 'AGENT_CARD']), 'direct')
    await fc.assert(fc.asyncProperty(requests, fc.constantFrom(...senders), async (message, from) => {
      const { reply } = await answer(router, message, from)
      assertDecodable(reply, message)
      assertCardsValid()
    }), fuzz('directory requests', 100))
  }, FUZZ_TIMEOUT_MS)

  it('keeps serving: a new agent\'s card is learned, and a catch-up is answered with the cards known', async () => {
    const [fresh] = await fakePeerIds(1)
    if (fresh === undefined) throw new Error('no peer')
    assert.ok(h.gossip.deliver(h.service.topic, createMessage('AGENT_CARD', agentCard('after-the-fuzz')), fresh))
    await settle()
    assert.ok(h.service.snapshot(10_000).some(e => e.peerId === fresh.toString()), 'the new agent was not learned')
    const { reply } = await answer(router, createMessage('DIRECTORY_REQUEST', { limit: 2000 }), senders[0] as PeerId)
    assert.equal(reply.type, 'DIRECTORY_RESPONSE')
    if (reply.type === 'DIRECTORY_RESPONSE') assert.ok(reply.body.agents.some(a => a.peerId === fresh.toString()))
  }, FUZZ_TIMEOUT_MS)
})
