import { afterEach, beforeEach, describe, it, vi } from 'vitest'
import assert from 'node:assert/strict'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { peerIdFromString } from '@libp2p/peer-id'
import { createMessage, encodeMessage } from '@swarm/protocol'
import { GossipRouter } from '../../src/net/gossip.js'
import { PeerPenalties } from '../../src/net/penalties.js'
import { PENALTY } from '../../src/net/verdict.js'
import { silentLogger } from '../../src/logger.js'
import { systemClock } from '../../src/ports/clock.js'
import type { GossipDelivery } from '../../src/net/gossip.js'
import type { GossipVerdict } from '../../src/net/verdict.js'
import type { GossipSub, Message } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'

const MEMBER = peerIdFromString('12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK')
const STRANGER = peerIdFromString('12D3KooWAjg6exuoS5YziHwKoqHKw5fVUhqb9HCZiauaQQ7yLSz5')
const TOPIC = '/swarm/test/group/g1/1'

/** Just enough of gossipsub: validators, subscriptions and a way to deliver a message. */
class FakePubsub extends EventTarget {
  readonly topicValidators = new Map<string, (peer: PeerId, msg: Message) => TopicValidatorResult>()
  readonly subscribed = new Set<string>()
  readonly published: string[] = []
  subscribers: PeerId[] = []
  /** Like GossipSub's: the peers gossipsub has an open stream to. */
  streamsOutbound?: Map<string, unknown>
  async publish (topic: string): Promise<{ recipients: PeerId[] }> {
    this.published.push(topic)
    return { recipients: this.subscribers.filter(p => this.streamsOutbound?.has(p.toString()) ?? true) }
  }

  subscribe (topic: string): void { this.subscribed.add(topic) }
  unsubscribe (topic: string): void { this.subscribed.delete(topic) }
  getSubscribers (): PeerId[] { return this.subscribers }

  /** Validates then delivers a message as gossipsub would; returns the validator's verdict. */
  deliver (topic: string, from: PeerId, data: Uint8Array = encodeMessage(update()), signed = true, via: PeerId = from): TopicValidatorResult | undefined {
    const msg = (signed
      ? { type: 'signed', from, topic, data, sequenceNumber: 1n, signature: new Uint8Array(), key: new Uint8Array() }
      : { type: 'unsigned', topic, data }) as unknown as Message
    const verdict = this.topicValidators.get(topic)?.(via, msg)
    if (verdict === TopicValidatorResult.Accept) this.dispatchEvent(new CustomEvent('message', { detail: msg }))
    return verdict
  }
}

function update (ts?: number): ReturnType<typeof createMessage<'TASK_UPDATE'>> {
  return createMessage('TASK_UPDATE', { taskId: 'task-0001', groupId: 'group-001', skill: 'viz', progress: 0.5 }, ts !== undefined ? { ts } : {})
}

interface Refusal { verdict: GossipVerdict, from: PeerId, topic: string }

function setup (): { pubsub: FakePubsub, router: GossipRouter, refusals: Refusal[], penalties: PeerPenalties } {
  const pubsub = new FakePubsub()
  const refusals: Refusal[] = []
  const penalties = new PeerPenalties({ clock: systemClock }, { halfLifeMs: 60_000, maxPeers: 100 })
  const router = new GossipRouter(pubsub as unknown as GossipSub, {
    logger: silentLogger(),
    clock: systemClock,
    maxClockSkewMs: 120_000,
    onReject: (verdict, from, topic) => {
      refusals.push({ verdict, from, topic })
      penalties.record(from, verdict)
    }
  })
  return { pubsub, router, refusals, penalties }
}

describe('GossipRouter with several subscribers of one topic', () => {
  it('delivers to every subscriber (an announcer that is also a member of its group)', () => {
    const { pubsub, router } = setup()
    const announcer: GossipDelivery[] = []
    const member: GossipDelivery[] = []
    router.subscribe(TOPIC, 'group', d => { announcer.push(d) }, { authorize: (_m, from) => from.equals(MEMBER) })
    router.subscribe(TOPIC, 'group', d => { member.push(d) }, { authorize: (_m, from) => from.equals(MEMBER) })
    assert.equal(pubsub.deliver(TOPIC, MEMBER), TopicValidatorResult.Accept)
    assert.equal(announcer.length, 1)
    assert.equal(member.length, 1)
    assert.equal(announcer[0]?.message.type, 'TASK_UPDATE')
    assert.ok(announcer[0]?.from.equals(MEMBER))
  })

  it('rejects a message no subscriber authorizes, and hands each only what it authorizes', () => {
    const { pubsub, router } = setup()
    const strict: GossipDelivery[] = []
    const open: GossipDelivery[] = []
    router.subscribe(TOPIC, 'group', d => { strict.push(d) }, { authorize: (_m, from) => from.equals(MEMBER) })
    assert.equal(pubsub.deliver(TOPIC, STRANGER), TopicValidatorResult.Reject)
    router.subscribe(TOPIC, 'group', d => { open.push(d) })
    assert.equal(pubsub.deliver(TOPIC, STRANGER), TopicValidatorResult.Accept)
    assert.equal(strict.length, 0)
    assert.equal(open.length, 1)
  })

  it('ignores what the admission does not take now (LIMITED: not delivered, not passed on, no penalty), charged to the neighbour that delivered it', () => {
    const { pubsub, router, refusals, penalties } = setup()
    const got: GossipDelivery[] = []
    const asked: Array<[string, string]> = []
    let budget = 1
    router.subscribe(TOPIC, 'group', d => { got.push(d) }, {
      authorize: (_m, from) => from.equals(MEMBER),
      admit: (_m, from, via) => {
        asked.push([from.toString(), via.toString()])
        return budget-- > 0
      }
    })
    assert.equal(pubsub.deliver(TOPIC, MEMBER, undefined, true, STRANGER), TopicValidatorResult.Accept)
    assert.equal(pubsub.deliver(TOPIC, MEMBER, undefined, true, STRANGER), TopicValidatorResult.Ignore)
    assert.deepEqual(asked, [[MEMBER.toString(), STRANGER.toString()], [MEMBER.toString(), STRANGER.toString()]], 'asked once per message, with the relaying neighbour')
    assert.equal(got.length, 1)
    assert.deepEqual(refusals.map(r => [r.verdict.reason, r.verdict.penalty, r.from.toString()]), [['LIMITED', 0, STRANGER.toString()]])
    assert.equal(penalties.score(STRANGER), 0)
    // An unauthorized sender is refused before its admission is asked (and charged nothing).
    assert.equal(pubsub.deliver(TOPIC, STRANGER), TopicValidatorResult.Reject)
    assert.equal(asked.length, 2)
  })

  it('charges FLOODING, when the admission says so, to the neighbour that delivered it (Ignore, a moderate penalty)', () => {
    const { pubsub, router, refusals, penalties } = setup()
    router.subscribe(TOPIC, 'group', () => { assert.fail('not delivered') }, { admit: () => 'FLOODING' })
    assert.equal(pubsub.deliver(TOPIC, MEMBER, undefined, true, STRANGER), TopicValidatorResult.Ignore)
    assert.deepEqual(refusals.map(r => [r.verdict.reason, r.from.toString()]), [['FLOODING', STRANGER.toString()]])
    assert.equal(penalties.score(STRANGER), PENALTY.moderate)
    assert.equal(penalties.score(MEMBER), 0)
  })

  it('does not deliver twice to a handler that subscribes twice; unsubscribe leaves the topic for all', () => {
    const { pubsub, router } = setup()
    const got: GossipDelivery[] = []
    const handler = (d: GossipDelivery): void => { got.push(d) }
    router.subscribe(TOPIC, 'group', handler)
    router.subscribe(TOPIC, 'group', handler)
    pubsub.deliver(TOPIC, MEMBER)
    assert.equal(got.length, 1)
    assert.ok(pubsub.subscribed.has(TOPIC))
    router.unsubscribe(TOPIC)
    assert.equal(router.isSubscribed(TOPIC), false)
    assert.equal(pubsub.subscribed.has(TOPIC), false)
    assert.equal(pubsub.deliver(TOPIC, MEMBER), undefined)
  })
})

describe('GossipRouter.publish to a just-connected subscriber', () => {
  const message = createMessage('TASK_UPDATE', { taskId: 'task-0001', groupId: 'group-001', skill: 'viz', progress: 0.5 })

  it('waits until gossipsub has a stream to every subscriber, then publishes to them', async () => {
    const { pubsub, router } = setup()
    pubsub.subscribers = [MEMBER]
    pubsub.streamsOutbound = new Map()
    const sent = router.publish(TOPIC, message)
    await new Promise(resolve => setImmediate(resolve))
    assert.deepEqual(pubsub.published, [], 'nothing is published while the stream is missing')
    pubsub.streamsOutbound.set(MEMBER.toString(), {})
    assert.equal(await sent, 1)
    assert.deepEqual(pubsub.published, [TOPIC])
  })

  it('publishes at once when every subscriber has a stream', async () => {
    const { pubsub, router } = setup()
    pubsub.subscribers = [MEMBER]
    pubsub.streamsOutbound = new Map([[MEMBER.toString(), {}]])
    assert.equal(await router.publish(TOPIC, message), 1)
  })
})

describe('GossipRouter validator verdicts', () => {
  const NOW = Date.parse('2026-01-05T10:00:00.000Z')
  beforeEach(() => {
    vi.useFakeTimers()
    vi.setSystemTime(NOW)
  })
  afterEach(() => { vi.useRealTimers() })

  it('ignores a stale message: not delivered, reported as Ignore, no penalty', () => {
    const { pubsub, router, refusals, penalties } = setup()
    const got: GossipDelivery[] = []
    router.subscribe(TOPIC, 'group', d => { got.push(d) })
    assert.equal(pubsub.deliver(TOPIC, MEMBER, encodeMessage(update(NOW - 120_001))), TopicValidatorResult.Ignore)
    assert.equal(got.length, 0)
    assert.equal(refusals.length, 1)
    assert.deepEqual(refusals[0]?.verdict, { reason: 'STALE', result: TopicValidatorResult.Ignore, penalty: PENALTY.none })
    assert.ok(refusals[0]?.from.equals(MEMBER))
    assert.equal(refusals[0]?.topic, TOPIC)
    assert.equal(penalties.score(MEMBER), 0)
    assert.deepEqual(penalties.counts(MEMBER), { STALE: 1 })
    assert.deepEqual(router.stats.rejected, { STALE: 1 })
    // Within the allowed skew (either way) it is accepted.
    assert.equal(pubsub.deliver(TOPIC, MEMBER, encodeMessage(update(NOW - 120_000))), TopicValidatorResult.Accept)
    assert.equal(pubsub.deliver(TOPIC, MEMBER, encodeMessage(update(NOW + 120_000))), TopicValidatorResult.Accept)
    assert.equal(got.length, 2)
  })

  it('ignores a message from the future beyond the skew, with a minor penalty', () => {
    const { pubsub, router, refusals } = setup()
    router.subscribe(TOPIC, 'group', () => {})
    assert.equal(pubsub.deliver(TOPIC, MEMBER, encodeMessage(update(NOW + 120_001))), TopicValidatorResult.Ignore)
    assert.equal(refusals[0]?.verdict.reason, 'FUTURE')
    assert.equal(refusals[0]?.verdict.penalty, PENALTY.minor)
  })

  it('rejects a type forged onto a channel it does not belong to, and penalises its signer', () => {
    const { pubsub, router, refusals, penalties } = setup()
    const got: GossipDelivery[] = []
    router.subscribe(TOPIC, 'group', d => { got.push(d) })
    const forged = encodeMessage(createMessage('ACK', { ref: 'message-0001' }))
    assert.equal(pubsub.deliver(TOPIC, STRANGER, forged), TopicValidatorResult.Reject)
    assert.equal(got.length, 0)
    assert.deepEqual(refusals.map(r => r.verdict), [{ reason: 'WRONG_CHANNEL', result: TopicValidatorResult.Reject, penalty: PENALTY.severe }])
    assert.equal(penalties.score(STRANGER), PENALTY.severe)
    assert.equal(penalties.score(MEMBER), 0)
    assert.deepEqual(router.stats.rejected, { WRONG_CHANNEL: 1 })
  })

  it('rejects undecodable, off-schema, unsigned and unauthorized messages with their reasons', () => {
    const { pubsub, router, refusals } = setup()
    router.subscribe(TOPIC, 'group', () => {}, { authorize: (_m, from) => from.equals(MEMBER) })
    const offSchema = new TextEncoder().encode(JSON.stringify({ ...update(), body: { taskId: 'x' } }))
    assert.equal(pubsub.deliver(TOPIC, MEMBER, new TextEncoder().encode('not json')), TopicValidatorResult.Reject)
    assert.equal(pubsub.deliver(TOPIC, MEMBER, offSchema), TopicValidatorResult.Reject)
    assert.equal(pubsub.deliver(TOPIC, MEMBER, undefined, false), TopicValidatorResult.Reject)
    assert.equal(pubsub.deliver(TOPIC, STRANGER), TopicValidatorResult.Reject)
    assert.deepEqual(refusals.map(r => [r.verdict.reason, r.verdict.result]), [
      ['MALFORMED', TopicValidatorResult.Reject],
      ['INVALID_MESSAGE', TopicValidatorResult.Reject],
      ['UNSIGNED', TopicValidatorResult.Reject],
      ['UNAUTHORIZED', TopicValidatorResult.Reject]
    ])
    // An unsigned message has no signer: the peer that delivered it is charged.
    assert.ok(refusals[2]?.from.equals(MEMBER))
    assert.ok(refusals[3]?.from.equals(STRANGER))
  })
})
