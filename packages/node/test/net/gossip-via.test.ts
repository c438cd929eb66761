/**
 * The GossipRouter tells handlers which neighbour delivered a message (gossipsub's propagation
 * source) besides who signed it: the directory counts new agents against the neighbour that
 * brought them, whatever keys they are signed with.
 */
import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { peerIdFromString } from '@libp2p/peer-id'
import { createMessage, encodeMessage } from '@swarm/protocol'
import { GossipRouter } from '../../src/net/gossip.js'
import { silentLogger } from '../../src/logger.js'
import { systemClock } from '../../src/ports/clock.js'
import type { GossipDelivery } from '../../src/net/gossip.js'
import type { GossipSub, Message } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'

const SIGNER = peerIdFromString('12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK')
const NEIGHBOUR = peerIdFromString('12D3KooWAjg6exuoS5YziHwKoqHKw5fVUhqb9HCZiauaQQ7yLSz5')
const TOPIC = '/swarm/test/agents/1'

/** Just enough of gossipsub: validators, and a delivery from a propagation source. */
class FakePubsub extends EventTarget {
  readonly topicValidators = new Map<string, (peer: PeerId, msg: Message) => TopicValidatorResult>()
  subscribe (): void {}
  unsubscribe (): void {}
  getSubscribers (): PeerId[] { return [] }

  deliver (topic: string, signer: PeerId, propagationSource: PeerId, data: Uint8Array): void {
    const msg = { type: 'signed', from: signer, topic, data, sequenceNumber: 1n, signature: new Uint8Array(), key: new Uint8Array() } as unknown as Message
    if (this.topicValidators.get(topic)?.(propagationSource, msg) === TopicValidatorResult.Accept) this.dispatchEvent(new CustomEvent('message', { detail: msg }))
  }
}

describe('GossipRouter deliveries', () => {
  it('carry the signer as `from` and the neighbour that delivered the message as `via`', () => {
    const pubsub = new FakePubsub()
    const router = new GossipRouter(pubsub as unknown as GossipSub, { logger: silentLogger(), clock: systemClock })
    const got: GossipDelivery[] = []
    router.subscribe(TOPIC, 'agents', delivery => { got.push(delivery) })
    pubsub.deliver(TOPIC, SIGNER, NEIGHBOUR, encodeMessage(createMessage('HEARTBEAT', { cardSeq: 1, load: 0 })))
    assert.equal(got.length, 1)
    assert.equal(got[0]?.from.toString(), SIGNER.toString())
    assert.equal(got[0]?.via?.toString(), NEIGHBOUR.toString())
    router.stop()
  })
})
