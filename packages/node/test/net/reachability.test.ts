import { afterEach, beforeEach, describe, it, vi } from 'vitest'
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { topics } from '@swarm/protocol'
import { AgentDirectory } from '../../src/directory/agent-directory.js'
import { Reachability } from '../../src/net/reachability.js'
import { SwarmError } from '../../src/errors.js'
import { systemClock } from '../../src/ports/clock.js'
import type { ConnectionsPort, GossipPort, MessengerPort } from '../../src/ports/index.js'
import type { AgentCardBody, RequiredSkill } from '@swarm/protocol'

function card (name: string, skill: string, hasHandler: boolean): AgentCardBody {
  return {
    seq: 1,
    name,
    software: { name: 'swarm', version: '0' },
    skills: [{ id: skill, name: skill, level: 'expert', successRate: 1, avgCompletionMs: 1, hasHandler, tags: [], examples: [], inputModes: [], outputModes: [] }],
    capacity: 1,
    load: 0,
    addrs: [],
    startedAt: 0
  } as unknown as AgentCardBody
}

const viz: RequiredSkill = { name: 'viz', minLevel: 'novice', count: 1 }

describe('Reachability', () => {
  let subscribed: Set<string>
  let listeners: Set<() => void>
  let dialled: string[]
  let asked: number
  let directory: AgentDirectory
  let subscribeOnDial: boolean

  beforeEach(() => {
    vi.useFakeTimers()
    subscribed = new Set()
    listeners = new Set()
    dialled = []
    asked = 0
    directory = new AgentDirectory()
    subscribeOnDial = false
  })
  afterEach(() => { vi.useRealTimers() })

  function reachability (canDo = false): Reachability {
    const gossip = { subscribers: (topic: string) => subscribed.has(topic) ? [{}] : [] } as unknown as GossipPort
    const messenger: MessengerPort = { request: async () => { throw new Error('unused') }, learnAddrs: async () => {} }
    const connections: ConnectionsPort = {
      connectionCount: () => 0,
      connectedPeers: () => [],
      dial: async peer => {
        dialled.push(peer.toString())
        if (subscribeOnDial) {
          subscribed.add(topics.skill('n', 'viz'))
          for (const l of listeners) l()
        }
      }
    }
    return new Reachability({
      gossip,
      messenger,
      connections,
      directory,
      clock: systemClock,
      canDo: () => canDo,
      askNeighbours: async () => { asked++ },
      onSubscriptionChange: listener => { listeners.add(listener); return () => { listeners.delete(listener) } }
    }, { network: 'n', subscribeWaitMs: 3_000, dialsPerSkill: 3 })
  }

  it('is satisfied at once by a connected subscriber of the skill topic', async () => {
    subscribed.add(topics.skill('n', 'viz'))
    await reachability().ensure([viz])
    assert.equal(asked, 0)
    assert.deepEqual(dialled, [])
  })

  it('asks neighbours when nobody is known, then says so', async () => {
    const err = await reachability().ensure([viz]).catch((e: unknown) => e)
    assert.ok(err instanceof SwarmError)
    assert.equal(err.code, 'NO_CAPABLE_PEERS')
    assert.match(err.message, /skill "viz": no agent with it is known/)
    assert.equal(asked, 1)
  })

  it('dials a known agent and goes on once it subscribes', async () => {
    const peer = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    directory.upsert(peer.toString(), card('painter', 'viz', true), 0)
    subscribeOnDial = true
    await reachability().ensure([viz])
    assert.deepEqual(dialled, [peer.toString()])
    assert.equal(listeners.size, 0)
  })

  it('gives up on an agent that never subscribes, after the wait', async () => {
    const peer = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    directory.upsert(peer.toString(), card('painter', 'viz', true), 0)
    const pending = reachability().ensure([viz]).catch((e: unknown) => e)
    await vi.advanceTimersByTimeAsync(3_000)
    const err = await pending
    assert.ok(err instanceof SwarmError)
    assert.match(err.message, /1 agent\(s\) have it but none could be reached/)
  })

  it('names agents that advertise a skill without a handler; this node doing it is enough', async () => {
    const peer = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    directory.upsert(peer.toString(), card('painter', 'viz', false), 0)
    const err = await reachability().ensure([viz]).catch((e: unknown) => e)
    assert.ok(err instanceof SwarmError)
    assert.match(err.message, /painter advertise it without a handler \(start them with --exec viz=<command>\)/)
    await reachability(true).ensure([viz])
  })
})
