import { afterEach, beforeEach, describe, it, vi } from 'vitest'
import assert from 'node:assert/strict'
import { createMessage } from '@swarm/protocol'
import { DirectoryCatchUp } from '../../src/directory/catch-up.js'
import { systemClock } from '../../src/ports/clock.js'
import { FakeBidderDirect, FakeBidderMessenger, fakePeers, silentLogger } from '../fakes/fake-bidder-ports.js'
import { agentCard, directoryHarness } from './harness.js'
import type { DirectoryHarness } from './harness.js'
import type { PeerId } from '@libp2p/interface'

interface CatchUpHarness {
  catchUp: DirectoryCatchUp
  directory: DirectoryHarness
  messenger: FakeBidderMessenger
  direct: FakeBidderDirect
  neighbours: PeerId[]
  /** Seconds since the start at which each DIRECTORY_REQUEST went out. */
  requestTimes: number[]
}

async function catchUpHarness (): Promise<CatchUpHarness> {
  const directory = await directoryHarness()
  const messenger = new FakeBidderMessenger()
  const direct = new FakeBidderDirect()
  const neighbours = await fakePeers(3)
  const startedAt = Date.now()
  const requestTimes: number[] = []
  messenger.answer = () => {
    requestTimes.push((Date.now() - startedAt) / 1000)
    return createMessage('DIRECTORY_RESPONSE', { agents: [] })
  }
  const catchUp = new DirectoryCatchUp({ messenger, direct, clock: systemClock, directory: directory.service, peers: () => neighbours, logger: silentLogger() })
  return { catchUp, directory, messenger, direct, neighbours, requestTimes }
}

describe('directory catch-up', () => {
  beforeEach(() => {
    vi.useFakeTimers()
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'))
    // No jitter: each catch-up exactly at its delay.
    vi.spyOn(Math, 'random').mockReturnValue(0.5)
  })
  afterEach(() => {
    vi.restoreAllMocks()
    vi.useRealTimers()
  })

  it('catches up at 5 s, 10 s, 30 s and 75 s apart, then every 5 min', async () => {
    const h = await catchUpHarness()
    h.catchUp.start()
    await vi.advanceTimersByTimeAsync(4_999)
    assert.deepEqual(h.requestTimes, [])
    await vi.advanceTimersByTimeAsync(720_001)
    assert.deepEqual(h.requestTimes, [5, 15, 45, 120, 420, 720])
    const request = h.messenger.sentOfType('DIRECTORY_REQUEST')[0]?.message.body
    assert.equal(request?.card?.name, 'self-agent', 'the request carries our own card')
    h.catchUp.stop()
    await vi.advanceTimersByTimeAsync(600_000)
    assert.equal(h.requestTimes.length, 6, 'no catch-up after stop')
  })

  it('asks again 3 s after a catch-up that taught something, without moving on in the schedule', async () => {
    const h = await catchUpHarness()
    const [stranger] = await fakePeers(1)
    assert.ok(stranger !== undefined)
    const answer = h.messenger.answer
    let first = true
    h.messenger.answer = (peer, message) => {
      const reply = answer(peer, message)
      if (!first) return reply
      first = false
      return createMessage('DIRECTORY_RESPONSE', { agents: [{ peerId: stranger.toString(), card: agentCard('learned'), ageMs: 0 }] })
    }
    h.catchUp.start()
    await vi.advanceTimersByTimeAsync(60_000)
    assert.ok(h.directory.service.agents.get(stranger.toString()) !== undefined)
    // 5 s taught an agent: 8 s; then the schedule resumes where it was (10 s, then 30 s).
    assert.deepEqual(h.requestTimes, [5, 8, 18, 48])
  })

  it('catches up from the first two neighbours that connect (the second 2 s later), not from later ones', async () => {
    const h = await catchUpHarness()
    h.catchUp.start()
    for (const peer of h.neighbours) h.catchUp.onPeerConnect(peer)
    await vi.advanceTimersByTimeAsync(1)
    assert.deepEqual(h.messenger.sentOfType('DIRECTORY_REQUEST').map(r => r.peer), [h.neighbours[0]])
    await vi.advanceTimersByTimeAsync(2_000)
    assert.deepEqual(h.messenger.sentOfType('DIRECTORY_REQUEST').map(r => r.peer), [h.neighbours[0], h.neighbours[1]])
    h.catchUp.stop()
  })

  it('asks n neighbours at once on demand, with the given timeout', async () => {
    const h = await catchUpHarness()
    h.catchUp.start()
    await h.catchUp.askNeighbours(2, 3_000)
    const sent = h.messenger.sentOfType('DIRECTORY_REQUEST')
    assert.equal(new Set(sent.map(r => r.peer.toString())).size, 2)
    assert.deepEqual(h.messenger.requests.map(r => r.options?.timeoutMs), [3_000, 3_000])
    h.catchUp.stop()
  })

  it('answers a DIRECTORY_REQUEST with the agents the asker lacks, and learns the asker first-hand', async () => {
    const h = await catchUpHarness()
    const [asker, known, unknown] = h.neighbours
    assert.ok(asker !== undefined && known !== undefined && unknown !== undefined)
    h.directory.service.start()
    h.directory.service.acceptFirstHand(known.toString(), agentCard('known-agent'))
    h.directory.service.acceptFirstHand(unknown.toString(), agentCard('unknown-agent'))
    const reply = await h.direct.call(createMessage('DIRECTORY_REQUEST', { limit: 100, have: [known.toString().slice(-10)], card: agentCard('asker-agent') }), asker)
    assert.equal(reply.type, 'DIRECTORY_RESPONSE')
    const names = reply.type === 'DIRECTORY_RESPONSE' ? reply.body.agents.map(a => a.card.name).sort() : []
    assert.deepEqual(names, ['asker-agent', 'self-agent', 'unknown-agent'])
    assert.equal(h.directory.service.agents.get(asker.toString())?.verified, true)
    h.directory.service.stop()
  })
})
