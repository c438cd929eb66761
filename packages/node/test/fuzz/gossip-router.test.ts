/**
 * Fuzzing the GossipRouter's topic validator over a stub of gossipsub: whatever arrives on a
 * topic of any channel (random bytes, random JSON, broken or valid messages, sealed messages with
 * random or tampered payloads on a group topic with a key), the validator never throws, and
 * Accept only ever goes to a message that decodes on the topic's channel (opened, on a sealed
 * group topic); every refusal is reported, and the node's handlers get only what was accepted.
 */
import { afterEach, describe, it } from 'vitest'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { CHANNEL_MESSAGE_TYPES, LIMITS, createMessage, decodeMessage, encodeMessage, topics } from '@swarm/protocol'
import { GossipRouter } from '../../src/net/gossip.js'
import { newGroupKey, open, seal } from '../../src/net/group-seal.js'
import { silentLogger } from '../../src/logger.js'
import { systemClock } from '../../src/ports/clock.js'
import { fakePeerIds } from '../fakes/fake-events.js'
import { FUZZ_TIMEOUT_MS, assertNoPollution, fuzz, hostileBytes, idArb, validMessages } from './arbitraries.js'
import type { FuzzContext } from './arbitraries.js'
import type { GossipDelivery } from '../../src/net/gossip.js'
import type { GossipSub, Message } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'
import type { Channel, SwarmMessage } from '@swarm/protocol'

const NETWORK = 'fuzz'
const GROUP_ID = 'group-fuzz-0001'
const TOPICS: Record<Exclude<Channel, 'direct' | 'input'>, string> = {
  agents: topics.agents(NETWORK),
  skill: topics.skill(NETWORK, 'alpha'),
  group: topics.group(NETWORK, GROUP_ID)
}
const SEALED_TOPIC = topics.group(NETWORK, 'group-fuzz-sealed')

/** Just enough of gossipsub: the topic validators the router installs, and its message event. */
class StubPubsub extends EventTarget {
  readonly topicValidators = new Map<string, (peer: PeerId, msg: Message) => TopicValidatorResult>()
  subscribe (): void {}
  unsubscribe (): void {}
  getSubscribers (): PeerId[] { return [] }
  async publish (): Promise<{ recipients: PeerId[] }> { return { recipients: [] } }

  /** Runs the topic's validator as gossipsub would, then delivers an accepted message. */
  deliver (topic: string, from: PeerId, data: Uint8Array, signed: boolean): TopicValidatorResult | undefined {
    const msg = (signed
      ? { type: 'signed', from, topic, data, sequenceNumber: 1n, signature: new Uint8Array(), key: new Uint8Array() }
      : { type: 'unsigned', topic, data }) as unknown as Message
    const verdict = this.topicValidators.get(topic)?.(from, msg)
    if (verdict === TopicValidatorResult.Accept) this.dispatchEvent(new CustomEvent('message', { detail: msg }))
    return verdict
  }
}

interface Setup {
  pubsub: StubPubsub
  router: GossipRouter
  refusals: number
  deliveries: GossipDelivery[]
  key: Uint8Array
}

function setup (): Setup {
  const pubsub = new StubPubsub()
  const s: Setup = { pubsub, router: undefined as unknown as GossipRouter, refusals: 0, deliveries: [], key: newGroupKey() }
  s.router = new GossipRouter(pubsub as unknown as GossipSub, { logger: silentLogger(), clock: systemClock, onReject: () => { s.refusals++ } })
  for (const [channel, topic] of Object.entries(TOPICS)) s.router.subscribe(topic, channel as Channel, d => { s.deliveries.push(d) })
  s.router.subscribe(SEALED_TOPIC, 'group', d => { s.deliveries.push(d) })
  s.router.setGroupKey(SEALED_TOPIC, 1, s.key)
  return s
}

/** The message inside `data` as the channel takes it (opened with `key` when sealed), or undefined. */
function readable (data: Uint8Array, channel: Channel, key?: Uint8Array, topic?: string): SwarmMessage | undefined {
  try {
    const outer = decodeMessage(data, { maxBytes: Infinity })
    if (outer.type !== 'SEALED') {
      return data.byteLength <= LIMITS.maxGossipMessageBytes ? decodeMessage(data, { channel, maxBytes: LIMITS.maxGossipMessageBytes }) : undefined
    }
    if (key === undefined || topic === undefined) return undefined
    const plain = open(key, topic, outer.body.epoch, outer.body)
    return plain === undefined ? undefined : decodeMessage(plain, { channel, maxBytes: LIMITS.maxGossipMessageBytes })
  } catch {
    return undefined
  }
}

const peersOf = async (): Promise<PeerId[]> => await fakePeerIds(3)

afterEach(() => { assertNoPollution() })

describe('fuzz: GossipRouter topic validator', () => {
  it('never throws on anything arriving on a topic of any channel; Accept only for what decodes there', async () => {
    const peers = await peersOf()
    const s = setup()
    const ctx: FuzzContext = { taskIds: ['task-fuzz-0001'], groupIds: [GROUP_ID], peers: peers.map(String), skills: ['alpha'] }
    const gossipTypes = [...new Set([...CHANNEL_MESSAGE_TYPES.agents, ...CHANNEL_MESSAGE_TYPES.skill, ...CHANNEL_MESSAGE_TYPES.group, 'SKILL_OFFER' as const, 'ACK' as const])]
    const valid = validMessages(ctx, gossipTypes)
    let accepted = 0
    let refused = 0
    fc.assert(fc.property(fc.constantFrom(...Object.keys(TOPICS) as Array<keyof typeof TOPICS>), hostileBytes(valid), fc.constantFrom(...peers), fc.boolean(), (channel, data, from, unsigned) => {
      const before = { refusals: s.refusals, deliveries: s.deliveries.length }
      const verdict = s.pubsub.deliver(TOPICS[channel], from, data, !unsigned)
      const message = readable(data, channel)
      if (verdict === TopicValidatorResult.Accept) {
        accepted++
        assert.ok(!unsigned, 'an unsigned message was accepted')
        assert.ok(message !== undefined, `accepted on the ${channel} topic what does not decode there`)
        assert.equal(s.deliveries.length, before.deliveries + 1)
        assert.deepEqual(s.deliveries.at(-1)?.message, message)
      } else {
        refused++
        assert.ok(verdict === TopicValidatorResult.Reject || verdict === TopicValidatorResult.Ignore, `verdict ${String(verdict)}`)
        assert.equal(s.refusals, before.refusals + 1, 'a refusal was not reported')
        assert.equal(s.deliveries.length, before.deliveries, 'a refused message reached a handler')
      }
    }), fuzz('gossip validator', 400))
    assert.ok(accepted > 0 && refused > 0, `accepted ${accepted}, refused ${refused}: the generators miss one side`)
  }, FUZZ_TIMEOUT_MS)

  it('on a sealed group topic: random, tampered and garbage-carrying SEALED messages never throw; Accept only when the inner message decodes', async () => {
    const peers = await peersOf()
    const s = setup()
    const ctx: FuzzContext = { taskIds: ['task-fuzz-0001'], groupIds: ['group-fuzz-sealed'], peers: peers.map(String), skills: ['alpha'] }
    const inner = fc.oneof(validMessages(ctx, CHANNEL_MESSAGE_TYPES.group).map(m => encodeMessage(m)), hostileBytes(validMessages(ctx, CHANNEL_MESSAGE_TYPES.group)))
    const sealed = fc.tuple(inner, fc.oneof(fc.constant(1), fc.integer({ min: 0, max: 5 })), fc.boolean(), fc.nat(), fc.boolean()).map(([plain, epoch, tamper, at, foreignKey]) => {
      const payload = seal(foreignKey ? newGroupKey() : s.key, SEALED_TOPIC, epoch, plain)
      const data = tamper ? payload.data.slice(0, at % payload.data.length) + (payload.data[at % payload.data.length] === 'A' ? 'B' : 'A') + payload.data.slice((at % payload.data.length) + 1) : payload.data
      try {
        return encodeMessage(createMessage('SEALED', { groupId: 'group-fuzz-sealed', epoch, nonce: payload.nonce, data }), Infinity)
      } catch {
        return plain // an epoch the schema refuses: the inner bytes, unsealed
      }
    })
    const randomSealed = fc.record({ epoch: fc.integer({ min: 0, max: 3 }), nonce: fc.stringMatching(/^[A-Za-z0-9_-]{16}$/), data: fc.stringMatching(/^[A-Za-z0-9_-]{22,200}$/), groupId: idArb })
      .map(body => { try { return encodeMessage(createMessage('SEALED', body)) } catch { return new Uint8Array([123]) } })
    let accepted = 0
    fc.assert(fc.property(fc.oneof(sealed, randomSealed, hostileBytes(validMessages(ctx, CHANNEL_MESSAGE_TYPES.group))), fc.constantFrom(...peers), (data, from) => {
      const before = s.deliveries.length
      const verdict = s.pubsub.deliver(SEALED_TOPIC, from, data, true)
      const message = readable(data, 'group', s.key, SEALED_TOPIC)
      const outer = readable(data, 'group')
      if (verdict === TopicValidatorResult.Accept) {
        accepted++
        assert.ok(message !== undefined && outer === undefined, 'accepted what does not open to a group message (or an unsealed one)')
        assert.deepEqual(s.deliveries.at(-1)?.message, message)
      } else {
        assert.equal(s.deliveries.length, before, 'a refused message reached a handler')
      }
    }), fuzz('gossip validator sealed', 250))
    assert.ok(accepted > 0, 'no sealed message was accepted: the generator only makes garbage')
  }, FUZZ_TIMEOUT_MS)
})
