import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { peerIdFromString } from '@libp2p/peer-id'
import { createMessage, encodeMessage } from '@swarm/protocol'
import { GossipRouter } from '../../src/net/gossip.js'
import { silentLogger } from '../../src/logger.js'
import type { GossipDelivery } from '../../src/net/gossip.js'
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
  deliver (topic: string, from: PeerId): TopicValidatorResult | undefined {
    const data = encodeMessage(createMessage('TASK_UPDATE', { taskId: 'task-0001', groupId: 'group-001', skill: 'viz', progress: 0.5 }))
    const msg = { type: 'signed', from, topic, data, sequenceNumber: 1n, signature: new Uint8Array(), key: new Uint8Array() } as unknown as Message
    const verdict = this.topicValidators.get(topic)?.(from, msg)
    if (verdict === TopicValidatorResult.Accept) this.dispatchEvent(new CustomEvent('message', { detail: msg }))
    return verdict
  }
}

function setup (): { pubsub: FakePubsub, router: GossipRouter } {
  const pubsub = new FakePubsub()
  const router = new GossipRouter(pubsub as unknown as GossipSub, { logger: silentLogger() })
  return { pubsub, router }
}

describe('GossipRouter with several subscribers of one topic', () => {
  it('delivers to every subscriber (an announcer that is also a member of its group)', () => {
    const { pubsub, router } = setup()
    const announcer: GossipDelivery[] = []
    const member: GossipDelivery[] = []
    router.subscribe(TOPIC, 'group', d => { announcer.push(d) }, (_m, from) => from.equals(MEMBER))
    router.subscribe(TOPIC, 'group', d => { member.push(d) }, (_m, from) => from.equals(MEMBER))
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
    router.subscribe(TOPIC, 'group', d => { strict.push(d) }, (_m, from) => from.equals(MEMBER))
    assert.equal(pubsub.deliver(TOPIC, STRANGER), TopicValidatorResult.Reject)
    router.subscribe(TOPIC, 'group', d => { open.push(d) })
    assert.equal(pubsub.deliver(TOPIC, STRANGER), TopicValidatorResult.Accept)
    assert.equal(strict.length, 0)
    assert.equal(open.length, 1)
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
