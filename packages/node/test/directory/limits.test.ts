/**
 * The directory's limits (issue 14): new agents per delivering peer, the directory's size, the
 * silence limit that agents made up cannot stretch, and directory requests answered per peer.
 * Time is vitest's fake clock.
 */
import { afterEach, beforeAll, beforeEach, describe, it, vi } from 'vitest'
import assert from 'node:assert/strict'
import { createMessage, topics } from '@swarm/protocol'
import { DirectoryCatchUp } from '../../src/directory/catch-up.js'
import { systemClock } from '../../src/ports/clock.js'
import { FakeBidderDirect, FakeBidderMessenger, fakePeers, silentLogger } from '../fakes/fake-bidder-ports.js'
import { NETWORK, agentCard, directoryHarness } from './harness.js'
import type { DirectoryHarness } from './harness.js'
import type { DirectoryLimits } from '../../src/directory/directory-service.js'
import type { PeerId } from '@libp2p/interface'

const AGENTS = topics.agents(NETWORK)
const LIMITS: DirectoryLimits = { newIdentitiesPerPeerPerMinute: 50, relayedIdentities: { perSecond: 50 / 60, burst: 50 }, maxDirectoryAgents: 120, maxSilenceFactor: 8 }

/**
 * Hands an AGENT_CARD signed by `from` to the directory, as gossip delivered by `via`, through
 * the topic's admission as the router asks it at validation; false when it is LIMITED (neither
 * taken nor passed on).
 */
function gossipCard (h: DirectoryHarness, from: PeerId, via: PeerId, name: string, seq = 1): boolean {
  return h.gossip.deliver(AGENTS, createMessage('AGENT_CARD', agentCard(name, { seq })), from, via)
}

function count (values: Array<boolean | string>): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const v of values) counts[String(v)] = (counts[String(v)] ?? 0) + 1
  return counts
}

describe('directory limits', () => {
  let sybils: PeerId[]

  beforeAll(async () => {
    sybils = await fakePeers(300)
  })

  beforeEach(() => {
    vi.useFakeTimers()
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'))
    vi.spyOn(Math, 'random').mockReturnValue(0.5)
  })
  afterEach(() => {
    vi.restoreAllMocks()
    vi.useRealTimers()
  })

  it('learns at most limits.relayedIdentities new agents relayed by one neighbour, and more as time passes; the rest is LIMITED at validation', async () => {
    const h = await directoryHarness({ limits: LIMITS, heartbeatMs: 1_000, ttlMs: 600_000 })
    h.service.start()
    const [attacker, honest] = h.others as [PeerId, PeerId, ...PeerId[]]
    const admit = h.gossip.subscriptions.get(AGENTS)?.admit
    assert.ok(admit !== undefined)
    const verdicts = sybils.slice(0, 200).map((sybil, i) => {
      const message = createMessage('AGENT_CARD', agentCard(`sybil-${i}`))
      const verdict = admit(message, sybil, attacker)
      if (verdict === true) h.gossip.subscriptions.get(AGENTS)?.handler({ topic: AGENTS, message, from: sybil, via: attacker })
      return verdict
    })
    assert.equal(h.service.agents.size, 1 + 50, 'this node and the first 50')
    assert.equal(h.service.limited['new-identity'], 150)
    // Over the budget, refused at validation (not passed on): the next 25 at no cost (what a
    // neighbour relaying for a flooder may be refused), then FLOODING, a penalty each.
    assert.deepEqual(count(verdicts), { true: 50, false: 25, FLOODING: 125 })

    // Another neighbour has its own budget; an agent already known is still updated.
    gossipCard(h, honest, honest, 'honest')
    assert.ok(h.service.agents.get(honest.toString()) !== undefined)
    const known = sybils[0] as PeerId
    gossipCard(h, known, attacker, 'sybil-0-renamed', 2)
    assert.equal(h.service.agents.get(known.toString())?.card.name, 'sybil-0-renamed')

    // The budget refills over the minute: 12 s give back 10 introductions.
    await vi.advanceTimersByTimeAsync(12_000)
    const late = sybils.slice(200, 230).map((sybil, i) => gossipCard(h, sybil, attacker, `late-${i}`))
    assert.equal(h.service.agents.size, 1 + 50 + 1 + 10)
    assert.equal(late.filter(t => t).length, 10)
    h.service.stop()
  })

  it('counts cards passed on in a catch-up against the peer that answered it', async () => {
    const h = await directoryHarness({ limits: LIMITS, ttlMs: 600_000 })
    const [answering] = h.others as [PeerId, ...PeerId[]]
    const agents = sybils.slice(0, 120).map((p, i) => ({ peerId: p.toString(), card: agentCard(`made-up-${i}`), ageMs: 0 }))
    assert.equal(h.service.mergeHearsay(agents, answering.toString()), 50)
    assert.equal(h.service.mergeHearsay(agents, answering.toString()), 0, 'nothing more from that peer this minute')
    assert.equal(h.service.limited['new-identity'], 70 + 70)
  })

  it('refuses new agents once the directory holds maxDirectoryAgents, and still updates the known ones', async () => {
    const h = await directoryHarness({ limits: { ...LIMITS, newIdentitiesPerPeerPerMinute: 1_000 }, ttlMs: 600_000 })
    h.service.start()
    sybils.forEach((sybil, i) => { gossipCard(h, sybil, sybil, `agent-${i}`) })
    assert.equal(h.service.agents.size, LIMITS.maxDirectoryAgents)
    assert.equal(h.service.limited['directory-full'], 300 - (LIMITS.maxDirectoryAgents - 1))
    const first = sybils[0] as PeerId
    gossipCard(h, first, first, 'agent-0-updated', 2)
    assert.equal(h.service.agents.get(first.toString())?.card.name, 'agent-0-updated')
    h.service.stop()
  })

  it('keeps the silence limit of the real agents whatever cards passed on say, and caps what first-hand agents can stretch', async () => {
    const h = await directoryHarness({ limits: { ...LIMITS, newIdentitiesPerPeerPerMinute: 100_000, maxDirectoryAgents: 100_000 }, heartbeatMs: 15_000, ttlMs: 45_000, swarmHeartbeatsPerSecond: 10 })
    h.service.start()
    assert.equal(h.service.ttlMs(), 45_000)
    // 5,000 made-up agents in a catch-up answer: hints, not agents heard; no stretch.
    const madeUp = Array.from({ length: 5_000 }, (_v, i) => ({ peerId: `${(sybils[i % 300] as PeerId).toString().slice(0, -4)}${String(i).padStart(4, '0')}`, card: agentCard(`made-up-${i}`), ageMs: 0 }))
    h.service.mergeHearsay(madeUp, (h.others[0] as PeerId).toString())
    assert.ok(h.service.agents.size > 4_000)
    assert.equal(h.service.ttlMs(), 45_000)
    // 300 agents heard first-hand (this node and 299) stretch it as the pacing wants (300 / 10 a second = 30 s, three of them)...
    sybils.slice(0, 299).forEach((sybil, i) => { gossipCard(h, sybil, sybil, `agent-${i}`) })
    assert.equal(h.service.heartbeatIntervalMs(), 30_000)
    assert.equal(h.service.ttlMs(), 90_000)
    h.service.stop()

    // ...but never beyond maxSilenceFactor times directory.ttlMs, however many there are.
    const small = await directoryHarness({ limits: { ...LIMITS, newIdentitiesPerPeerPerMinute: 100_000, maxSilenceFactor: 1.5 }, heartbeatMs: 15_000, ttlMs: 45_000, swarmHeartbeatsPerSecond: 1 })
    small.service.start()
    sybils.forEach((sybil, i) => { gossipCard(small, sybil, sybil, `agent-${i}`) })
    assert.equal(small.service.heartbeatIntervalMs(), 22_500)
    assert.equal(small.service.ttlMs(), 67_500)
    small.service.stop()
  })

  it('answers at most limits.rates.directoryRequests catch-ups of one peer, the others with RATE_LIMITED', async () => {
    const h = await directoryHarness()
    const direct = new FakeBidderDirect()
    const [asker, other] = h.others as [PeerId, PeerId, ...PeerId[]]
    const catchUp = new DirectoryCatchUp({ messenger: new FakeBidderMessenger(), direct, clock: systemClock, directory: h.service, peers: () => [], logger: silentLogger(), requestRate: { perSecond: 1, burst: 5 } })
    const ask = async (from: PeerId): Promise<string> => {
      const reply = await direct.call(createMessage('DIRECTORY_REQUEST', { limit: 10 }), from)
      return reply.type === 'ERROR' ? reply.body.code : reply.type
    }
    const answers: string[] = []
    for (let i = 0; i < 7; i++) answers.push(await ask(asker))
    assert.deepEqual(answers, [...Array<string>(5).fill('DIRECTORY_RESPONSE'), 'RATE_LIMITED', 'RATE_LIMITED'])
    assert.equal(await ask(other), 'DIRECTORY_RESPONSE', 'another peer has its own rate')
    assert.equal(catchUp.limited, 2)
    await vi.advanceTimersByTimeAsync(1_000)
    assert.equal(await ask(asker), 'DIRECTORY_RESPONSE', 'a second later, one more')
  })
})
