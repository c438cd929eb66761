/** A directory service over fakes, for the directory's unit tests; time is vitest's fake clock. */
import { DirectoryService } from '../../src/directory/directory-service.js'
import { systemClock } from '../../src/ports/clock.js'
import { FakeBidderGossip, RecordingEvents, fakePeers, silentLogger } from '../fakes/fake-bidder-ports.js'
import type { DirectoryServiceEvents, DirectoryServiceInit } from '../../src/directory/directory-service.js'
import type { PeerId } from '@libp2p/interface'
import type { AgentCardBody } from '@swarm/protocol'

export const NETWORK = 'unit'

/** A card as another agent would send it. */
export function agentCard (name: string, overrides: Partial<AgentCardBody> = {}): AgentCardBody {
  return {
    name,
    software: { name: 'swarm-node', version: '0.0.0-test' },
    skills: [{ id: 'alpha', name: 'alpha', level: 'expert', successRate: 1, avgCompletionMs: 1_000, description: '', tags: [], examples: [], inputModes: ['application/json'], outputModes: ['application/json'], hasHandler: true }],
    capacity: 2,
    load: 0,
    addrs: [],
    seq: 1,
    startedAt: Date.now(),
    ...overrides
  }
}

export interface DirectoryHarness {
  service: DirectoryService
  gossip: FakeBidderGossip
  events: RecordingEvents<DirectoryServiceEvents>
  self: PeerId
  /** Other agents to play. */
  others: PeerId[]
  /** This node's card as the service builds it; change it to change the card. */
  card: Omit<AgentCardBody, 'seq'>
  /** AGENT_CARD messages this node published so far. */
  cardsPublished: () => AgentCardBody[]
}

export async function directoryHarness (settings: Partial<DirectoryServiceInit> = {}): Promise<DirectoryHarness> {
  const [self, ...others] = await fakePeers(4) as [PeerId, ...PeerId[]]
  const gossip = new FakeBidderGossip()
  const events = new RecordingEvents<DirectoryServiceEvents>()
  const { seq: _seq, ...card } = agentCard('self-agent')
  const harness: DirectoryHarness = {
    service: undefined as unknown as DirectoryService,
    gossip,
    events,
    self,
    others,
    card,
    cardsPublished: () => gossip.publishedOfType('AGENT_CARD').map(p => p.message.body)
  }
  harness.service = new DirectoryService({
    gossip,
    clock: systemClock,
    events,
    logger: silentLogger(),
    card: () => harness.card
  }, { network: NETWORK, self: self.toString(), heartbeatMs: 1_000, ttlMs: 3_000, swarmHeartbeatsPerSecond: 10, joinFloodsPerSecond: 2, ...settings })
  return harness
}
