import { afterEach, beforeEach, describe, it, vi } from 'vitest'
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { topics } from '@swarm/protocol'
import { DialPolicy } from '../../src/net/dial-policy.js'
import { silentLogger } from '../../src/logger.js'
import { systemClock } from '../../src/ports/clock.js'
import type { AgentRecord } from '../../src/directory/agent-directory.js'
import type { ConnectionsPort, GossipPort, MessengerPort } from '../../src/ports/index.js'
import type { PeerId } from '@libp2p/interface'

async function newPeer (): Promise<PeerId> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
}

function record (peerId: PeerId, skills: string[]): AgentRecord {
  return {
    peerId: peerId.toString(),
    self: false,
    load: 0,
    lastSeen: 0,
    card: {
      seq: 1,
      name: 'a',
      software: { name: 'swarm', version: '0' },
      skills: skills.map(name => ({ id: name, name, level: 'expert', successRate: 1, avgCompletionMs: 1, hasHandler: true, tags: [], examples: [], inputModes: [], outputModes: [] })),
      capacity: 1,
      load: 0,
      addrs: ['/ip4/127.0.0.1/tcp/1'],
      startedAt: 0
    }
  } as unknown as AgentRecord
}

describe('DialPolicy', () => {
  let dialled: string[]
  let subscribers: Map<string, number>
  let connected: number
  let self: PeerId
  const connections: ConnectionsPort = {
    connectionCount: peer => peer === undefined ? connected : 0,
    connectedPeers: () => [],
    dial: async peer => { dialled.push(peer.toString()) }
  }
  const gossip = { subscribers: (topic: string) => Array.from({ length: subscribers.get(topic) ?? 0 }) } as unknown as GossipPort
  const messenger: MessengerPort = { request: async () => { throw new Error('unused') }, learnAddrs: async () => {} }

  beforeEach(async () => {
    vi.useFakeTimers()
    dialled = []
    subscribers = new Map()
    connected = 0
    self = await newPeer()
  })
  afterEach(() => { vi.useRealTimers() })

  function policy (role: 'agent' | 'registry' = 'agent'): DialPolicy {
    const p = new DialPolicy({ connections, gossip, messenger, clock: systemClock, logger: silentLogger(), canDo: skill => skill === 'viz' }, {
      self, network: 'n', role, agentsTopic: topics.agents('n'), maxConnections: 20, meshDegree: 6, meshDegreeLow: 4
    })
    p.start()
    return p
  }

  it('dials an agent of a shared skill while that mesh is thin, once', async () => {
    subscribers.set(topics.agents('n'), 10)
    const other = await newPeer()
    const p = policy()
    p.meetSkillPeer(record(other, ['viz']))
    p.meetSkillPeer(record(other, ['viz']))
    await vi.advanceTimersByTimeAsync(5_000)
    assert.deepEqual(dialled, [other.toString()])
  })

  it('leaves agents without a shared skill alone when it has neighbours enough', async () => {
    subscribers.set(topics.agents('n'), 10)
    const p = policy()
    p.meetSkillPeer(record(await newPeer(), ['analytics']))
    await vi.advanceTimersByTimeAsync(5_000)
    assert.deepEqual(dialled, [])
  })

  it('keeps a few neighbours whatever their skills; a registry does not', async () => {
    const other = await newPeer()
    const p = policy()
    p.meetSkillPeer(record(other, ['analytics']))
    await vi.advanceTimersByTimeAsync(5_000)
    assert.deepEqual(dialled, [other.toString()])
    dialled = []
    const r = policy('registry')
    r.meetSkillPeer(record(await newPeer(), ['analytics']))
    await vi.advanceTimersByTimeAsync(5_000)
    assert.deepEqual(dialled, [])
  })

  it('does not dial a full mesh, nor past half the connection limit', async () => {
    subscribers.set(topics.agents('n'), 10)
    subscribers.set(topics.skill('n', 'viz'), 6)
    const p = policy()
    p.meetSkillPeer(record(await newPeer(), ['viz']))
    subscribers.set(topics.skill('n', 'viz'), 0)
    connected = 10
    p.meetSkillPeer(record(await newPeer(), ['viz']))
    p.discovered(await newPeer())
    await vi.advanceTimersByTimeAsync(5_000)
    assert.deepEqual(dialled, [])
  })

  it('dials discovered peers while connections are few, never itself', async () => {
    const p = policy()
    const other = await newPeer()
    p.discovered(self)
    p.discovered(other)
    await vi.advanceTimersByTimeAsync(0)
    assert.deepEqual(dialled, [other.toString()])
  })
})
