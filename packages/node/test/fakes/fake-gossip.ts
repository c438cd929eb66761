/**
 * A {@link GossipPort} without a network, for unit tests of any service that gossips. It
 * records what the service publishes and subscribes, and `deliver` plays a message arriving on a
 * topic, signed by a peer, through the service's authorizer and handler (as GossipRouter would
 * after validation). Publishing never fails unless `failPublish` says so.
 */
import type { GossipAdmission, GossipAuthorizer, GossipGuards, GossipHandler, GossipPort } from '../../src/ports/gossip.js'
import type { PeerId } from '@libp2p/interface'
import type { Channel, SwarmMessage } from '@swarm/protocol'

/** One subscription of the service under test. */
export interface FakeSubscription {
  channel: Channel
  handler: GossipHandler
  authorize?: GossipAuthorizer
  admit?: GossipAdmission
}

/** A message the service published. */
export interface Published<M extends SwarmMessage = SwarmMessage> {
  topic: string
  message: M
}

export class FakeGossip implements GossipPort {
  readonly subscriptions = new Map<string, FakeSubscription>()
  readonly published: Published[] = []
  /** Every topic left, in order (a topic may be left more than once). */
  readonly unsubscribed: string[] = []
  /** Connected subscribers per topic, as the test sets them. */
  readonly subscriberPeers = new Map<string, PeerId[]>()
  /** Topics whose publication rejects (plays "no peers subscribed" or a closed pubsub). */
  readonly failPublish = new Set<string>()

  subscribe (topic: string, channel: Channel, handler: GossipHandler, guards: GossipGuards = {}): void {
    this.subscriptions.set(topic, { channel, handler, ...guards })
  }

  unsubscribe (topic: string): void {
    this.subscriptions.delete(topic)
    this.unsubscribed.push(topic)
  }

  isSubscribed (topic: string): boolean {
    return this.subscriptions.has(topic)
  }

  /** Group keys installed, per topic: epoch → key (docs/protocol.md "Group encryption"). */
  readonly groupKeys = new Map<string, Map<number, Uint8Array>>()

  setGroupKey (topic: string, epoch: number, key: Uint8Array): void {
    const keys = this.groupKeys.get(topic) ?? new Map<number, Uint8Array>()
    keys.set(epoch, key)
    this.groupKeys.set(topic, keys)
  }

  dropGroupKeys (topic: string): void {
    this.groupKeys.delete(topic)
  }

  subscribers (topic: string): PeerId[] {
    return this.subscriberPeers.get(topic) ?? []
  }

  async publish (topic: string, message: SwarmMessage): Promise<number> {
    this.published.push({ topic, message })
    if (this.failPublish.has(topic)) throw new Error(`publishing on ${topic} failed (fake)`)
    return this.subscribers(topic).length
  }

  /**
   * Hands `message`, signed by `from`, to the topic's handler. False when the service does not
   * listen to the topic or its authorizer refuses the signer.
   */
  deliver (topic: string, message: SwarmMessage, from: PeerId, via: PeerId = from): boolean {
    const sub = this.subscriptions.get(topic)
    if (sub === undefined) return false
    if (sub.authorize !== undefined && !sub.authorize(message, from)) return false
    if (sub.admit !== undefined && sub.admit(message, from, via) !== true) return false
    sub.handler({ topic, message, from, via })
    return true
  }

  /** Messages of one type published so far, in order. */
  publishedOfType<T extends SwarmMessage['type']>(type: T): Array<Published<Extract<SwarmMessage, { type: T }>>> {
    return this.published.filter((p): p is Published<Extract<SwarmMessage, { type: T }>> => p.message.type === type)
  }
}
