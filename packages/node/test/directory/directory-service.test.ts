import { afterEach, beforeEach, describe, it, vi } from 'vitest'
import assert from 'node:assert/strict'
import { createMessage, topics } from '@swarm/protocol'
import { NETWORK, agentCard, directoryHarness } from './harness.js'

describe('directory service', () => {
  beforeEach(() => {
    vi.useFakeTimers()
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'))
    // No jitter: heartbeats at their interval, the join card 3 s after the first neighbour.
    vi.spyOn(Math, 'random').mockReturnValue(0.5)
  })
  afterEach(() => {
    vi.restoreAllMocks()
    vi.useRealTimers()
  })

  it('drops an agent that went silent for the silence limit and emits agent:left; one that beats stays', async () => {
    const h = await directoryHarness({ heartbeatMs: 1_000, ttlMs: 3_000 })
    h.service.start()
    const [silent, alive] = h.others
    assert.ok(silent !== undefined && alive !== undefined)
    const agents = topics.agents(NETWORK)
    assert.ok(h.gossip.deliver(agents, createMessage('AGENT_CARD', agentCard('silent-one')), silent))
    assert.ok(h.gossip.deliver(agents, createMessage('AGENT_CARD', agentCard('alive-one')), alive))
    assert.deepEqual(h.events.of('agent:joined').map(r => r.card.name), ['silent-one', 'alive-one'])

    const beat = async (ms: number): Promise<void> => {
      for (let t = 0; t < ms; t += 500) {
        h.gossip.deliver(agents, createMessage('HEARTBEAT', { cardSeq: 1, load: 0 }), alive)
        await vi.advanceTimersByTimeAsync(500)
      }
    }
    await beat(3_000)
    assert.ok(h.service.agents.get(silent.toString()) !== undefined, 'not before the silence limit (3 s)')
    await beat(1_500)
    assert.equal(h.service.agents.get(silent.toString()), undefined)
    assert.deepEqual(h.events.of('agent:left'), [{ peerId: silent.toString() }])
    assert.ok(h.service.agents.get(alive.toString()) !== undefined, 'an agent whose heartbeats arrive stays')
    assert.ok(h.service.agents.get(h.self.toString())?.self, 'this node never expires itself')
    h.service.stop()
  })

  it('republishes the card only when it changed (not for a load change, not twice for one change)', async () => {
    const h = await directoryHarness({ heartbeatMs: 600_000, ttlMs: 1_800_000 })
    h.service.start()
    h.service.peerJoined()
    await vi.advanceTimersByTimeAsync(3_000)
    assert.equal(h.cardsPublished().length, 1, 'the join card')
    const joinSeq = h.cardsPublished()[0]?.seq

    // Nothing changed, then only the load: nothing goes out.
    h.service.cardChanged()
    h.card = { ...h.card, load: 2 }
    h.service.cardChanged()
    await vi.advanceTimersByTimeAsync(1_000)
    assert.equal(h.cardsPublished().length, 1)

    // A new address is a change: one card with the next seq, however often it is reported.
    h.card = { ...h.card, addrs: ['/ip4/10.0.0.7/tcp/4001'] }
    h.service.cardChanged()
    h.service.cardChanged()
    await vi.advanceTimersByTimeAsync(1_000)
    h.service.cardChanged()
    await vi.advanceTimersByTimeAsync(1_000)
    const cards = h.cardsPublished()
    assert.equal(cards.length, 2)
    assert.equal(cards[1]?.seq, (joinSeq ?? 0) + 1)
    assert.deepEqual(cards[1]?.addrs, ['/ip4/10.0.0.7/tcp/4001'])
    h.service.stop()
  })

  it('sends a small heartbeat on most beats, and the whole card when it is new to the swarm and every fourth beat', async () => {
    const h = await directoryHarness({ heartbeatMs: 1_000, ttlMs: 3_000 })
    h.service.start()
    await vi.advanceTimersByTimeAsync(8_500)
    const kinds = h.gossip.published.map(p => p.message.type)
    // Beat 1 sends the card (the swarm has not heard it yet); then the whole card on beats 4 and 8.
    assert.deepEqual(kinds, ['AGENT_CARD', 'HEARTBEAT', 'HEARTBEAT', 'AGENT_CARD', 'HEARTBEAT', 'HEARTBEAT', 'HEARTBEAT', 'AGENT_CARD'])
    h.service.stop()
  })
})
