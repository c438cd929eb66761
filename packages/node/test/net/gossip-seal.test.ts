/**
 * Group encryption in the GossipRouter: on a group topic with a key, what is published is a
 * SEALED message that only holders of the key open; a plain message there is rejected
 * (UNSEALED), a tampered one too (SEAL_BROKEN), one of an epoch not known yet is ignored
 * without penalty and delivered once its key arrives, and an epoch past its grace is ignored.
 */
import { afterEach, beforeEach, describe, it, vi } from 'vitest'
import assert from 'node:assert/strict'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { peerIdFromString } from '@libp2p/peer-id'
import { createMessage, decodeMessage, encodeMessage } from '@swarm/protocol'
import { GossipRouter } from '../../src/net/gossip.js'
import { newGroupKey } from '../../src/net/group-seal.js'
import { silentLogger } from '../../src/logger.js'
import { systemClock } from '../../src/ports/clock.js'
import type { GossipDelivery } from '../../src/net/gossip.js'
import type { GossipVerdict } from '../../src/net/verdict.js'
import type { GossipSub, Message } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'

const ALICE = peerIdFromString('12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK')
const BOB = peerIdFromString('12D3KooWAjg6exuoS5YziHwKoqHKw5fVUhqb9HCZiauaQQ7yLSz5')
const TOPIC = '/swarm/unit/group/group-0001/1'
const OTHER_TOPIC = '/swarm/unit/group/group-0002/1'

/** Just enough of gossipsub: validators, and the bytes published. */
class FakePubsub extends EventTarget {
  readonly topicValidators = new Map<string, (peer: PeerId, msg: Message) => TopicValidatorResult>()
  readonly published: Array<{ topic: string, data: Uint8Array }> = []
  async publish (topic: string, data: Uint8Array): Promise<{ recipients: PeerId[] }> {
    this.published.push({ topic, data })
    return { recipients: [] }
  }

  subscribe (): void {}
  unsubscribe (): void {}
  getSubscribers (): PeerId[] { return [] }

  /** Validates then delivers, as gossipsub would; returns the verdict. */
  deliver (topic: string, from: PeerId, data: Uint8Array): TopicValidatorResult | undefined {
    const msg = { type: 'signed', from, topic, data, sequenceNumber: 1n, signature: new Uint8Array(), key: new Uint8Array() } as unknown as Message
    const verdict = this.topicValidators.get(topic)?.(from, msg)
    if (verdict === TopicValidatorResult.Accept) this.dispatchEvent(new CustomEvent('message', { detail: msg }))
    return verdict
  }
}

interface Side { pubsub: FakePubsub, router: GossipRouter, got: GossipDelivery[], refusals: GossipVerdict[] }

function side (): Side {
  const pubsub = new FakePubsub()
  const refusals: GossipVerdict[] = []
  const router = new GossipRouter(pubsub as unknown as GossipSub, { logger: silentLogger(), clock: systemClock, groupKeyGraceMs: 5_000, onReject: v => { refusals.push(v) } })
  const got: GossipDelivery[] = []
  router.subscribe(TOPIC, 'group', d => { got.push(d) })
  return { pubsub, router, got, refusals }
}

function vote (): ReturnType<typeof createMessage<'VOTE'>> {
  return createMessage('VOTE', { proposalId: 'proposal-01', groupId: 'group-0001', choice: 'yes', confidence: 0.9, reason: 'the secret plan works', sig: 'A'.repeat(86) })
}

/** What `s` last published. */
function lastPublished (s: Side): Uint8Array {
  const data = s.pubsub.published.at(-1)?.data
  if (data === undefined) throw new Error('nothing published')
  return data
}

describe('GossipRouter sealing of group topics', () => {
  let alice: Side
  let bob: Side

  beforeEach(() => {
    vi.useFakeTimers()
    alice = side()
    bob = side()
  })
  afterEach(() => { vi.useRealTimers() })

  it('publishes a SEALED message that a member with the key opens and a reader without it cannot read', async () => {
    const key = newGroupKey()
    alice.router.setGroupKey(TOPIC, 1, key)
    bob.router.setGroupKey(TOPIC, 1, key)
    const message = vote()
    await alice.router.publish(TOPIC, message)
    const data = lastPublished(alice)
    const outer = decodeMessage(data)
    assert.equal(outer.type, 'SEALED')
    assert.ok(!new TextDecoder().decode(data).includes('secret plan'))
    assert.ok(!new TextDecoder().decode(data).includes('VOTE'))
    assert.equal(bob.pubsub.deliver(TOPIC, ALICE, data), TopicValidatorResult.Accept)
    assert.deepEqual(bob.got.map(d => d.message), [message])
    assert.ok(bob.got[0]?.from.equals(ALICE))
  })

  it('publishes plain on a topic without a key (and takes plain there)', async () => {
    await alice.router.publish(TOPIC, vote())
    assert.equal(decodeMessage(lastPublished(alice)).type, 'VOTE')
    assert.equal(bob.pubsub.deliver(TOPIC, ALICE, lastPublished(alice)), TopicValidatorResult.Accept)
  })

  it('rejects a plain message on a topic with a key (UNSEALED), and one sealed with another key (SEAL_BROKEN)', async () => {
    bob.router.setGroupKey(TOPIC, 1, newGroupKey())
    assert.equal(bob.pubsub.deliver(TOPIC, ALICE, encodeMessage(vote())), TopicValidatorResult.Reject)
    alice.router.setGroupKey(TOPIC, 1, newGroupKey())
    await alice.router.publish(TOPIC, vote())
    assert.equal(bob.pubsub.deliver(TOPIC, ALICE, lastPublished(alice)), TopicValidatorResult.Reject)
    assert.deepEqual(bob.refusals.map(r => r.reason), ['UNSEALED', 'SEAL_BROKEN'])
    assert.equal(bob.got.length, 0)
  })

  it('rejects a sealed message moved to another group topic (the topic is bound in)', async () => {
    const key = newGroupKey()
    alice.router.setGroupKey(OTHER_TOPIC, 1, key)
    bob.router.setGroupKey(TOPIC, 1, key)
    await alice.router.publish(OTHER_TOPIC, vote())
    assert.equal(bob.pubsub.deliver(TOPIC, ALICE, lastPublished(alice)), TopicValidatorResult.Reject)
    assert.deepEqual(bob.refusals.map(r => r.reason), ['SEAL_BROKEN'])
  })

  it('ignores a message of an epoch not known yet without penalty, and delivers it when the key arrives', async () => {
    const k1 = newGroupKey()
    const k2 = newGroupKey()
    alice.router.setGroupKey(TOPIC, 2, k2)
    bob.router.setGroupKey(TOPIC, 1, k1)
    const message = vote()
    await alice.router.publish(TOPIC, message)
    assert.equal(bob.pubsub.deliver(TOPIC, ALICE, lastPublished(alice)), TopicValidatorResult.Ignore)
    assert.deepEqual(bob.refusals.map(r => [r.reason, r.penalty]), [['UNKNOWN_EPOCH', 0]])
    assert.equal(bob.got.length, 0)
    bob.router.setGroupKey(TOPIC, 2, k2)
    assert.deepEqual(bob.got.map(d => d.message), [message])
  })

  it('reads the epoch before a rotation for the grace period only; then ignores it', async () => {
    const k1 = newGroupKey()
    alice.router.setGroupKey(TOPIC, 1, k1)
    bob.router.setGroupKey(TOPIC, 1, k1)
    await alice.router.publish(TOPIC, vote())
    const early = lastPublished(alice)
    await alice.router.publish(TOPIC, vote())
    const late = lastPublished(alice)
    bob.router.setGroupKey(TOPIC, 2, newGroupKey())
    assert.equal(bob.pubsub.deliver(TOPIC, ALICE, early), TopicValidatorResult.Accept)
    vi.advanceTimersByTime(5_001)
    assert.equal(bob.pubsub.deliver(TOPIC, ALICE, late), TopicValidatorResult.Ignore)
    assert.deepEqual(bob.refusals.map(r => r.reason), ['UNKNOWN_EPOCH'])
  })

  it('seals with the newest epoch once a newer key is installed, and forgets keys on unsubscribe', async () => {
    const k1 = newGroupKey()
    alice.router.setGroupKey(TOPIC, 1, k1)
    alice.router.setGroupKey(TOPIC, 3, newGroupKey())
    await alice.router.publish(TOPIC, vote())
    const sealed = decodeMessage(lastPublished(alice))
    assert.equal(sealed.type === 'SEALED' ? sealed.body.epoch : undefined, 3)
    alice.router.unsubscribe(TOPIC)
    await alice.router.publish(TOPIC, vote())
    assert.equal(decodeMessage(lastPublished(alice)).type, 'VOTE')
  })

  it('applies the authorizer to the opened message and its signer', async () => {
    const key = newGroupKey()
    const carol = side()
    carol.router.unsubscribe(TOPIC)
    const got: GossipDelivery[] = []
    carol.router.subscribe(TOPIC, 'group', d => { got.push(d) }, { authorize: (_m, from) => from.equals(ALICE) })
    carol.router.setGroupKey(TOPIC, 1, key)
    alice.router.setGroupKey(TOPIC, 1, key)
    await alice.router.publish(TOPIC, vote())
    assert.equal(carol.pubsub.deliver(TOPIC, BOB, lastPublished(alice)), TopicValidatorResult.Reject)
    assert.deepEqual(carol.refusals.map(r => r.reason), ['UNAUTHORIZED'])
    assert.equal(carol.pubsub.deliver(TOPIC, ALICE, lastPublished(alice)), TopicValidatorResult.Accept)
    assert.equal(got.length, 1)
  })
})
