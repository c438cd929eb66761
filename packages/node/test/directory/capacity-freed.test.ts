/**
 * The directory's capacity hook: an agent whose card or heartbeat shows a load lower than before
 * and below its capacity has freed a slot (an announcer asks its queued tasks again then).
 */
import { afterEach, beforeEach, describe, it, vi } from 'vitest'
import assert from 'node:assert/strict'
import { createMessage, topics } from '@swarm/protocol'
import { NETWORK, agentCard, directoryHarness } from './harness.js'

describe('directory: agents freeing a slot', () => {
  beforeEach(() => { vi.useFakeTimers() })
  afterEach(() => { vi.useRealTimers() })

  it('tells listeners when a known agent\'s load goes down below its capacity, not otherwise', async () => {
    const h = await directoryHarness({ heartbeatMs: 600_000, ttlMs: 1_800_000 })
    h.service.start()
    const [agent] = h.others
    assert.ok(agent !== undefined)
    const freed: string[] = []
    const off = h.service.onCapacityFreed(peerId => { freed.push(peerId) })
    const agents = topics.agents(NETWORK)
    const beat = (load: number): void => { h.gossip.deliver(agents, createMessage('HEARTBEAT', { cardSeq: 1, load }), agent) }

    // Unknown agents and the first card (no load before) say nothing.
    beat(0)
    h.gossip.deliver(agents, createMessage('AGENT_CARD', agentCard('busy-one', { capacity: 2, load: 2 })), agent)
    assert.deepEqual(freed, [])
    beat(2)
    beat(3)
    assert.deepEqual(freed, [], 'the load went up or stayed full')
    beat(2)
    assert.deepEqual(freed, [], 'lower but still at capacity')
    beat(1)
    assert.deepEqual(freed, [agent.toString()])
    beat(1)
    assert.deepEqual(freed, [agent.toString()], 'the same load again is no news')
    beat(0)
    assert.deepEqual(freed, [agent.toString(), agent.toString()])
    off()
    beat(2)
    beat(1)
    assert.deepEqual(freed, [agent.toString(), agent.toString()], 'unsubscribed')
    h.service.stop()
  })
})
