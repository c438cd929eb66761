/**
 * In-memory fakes of the ports the bidder, the directory service and the directory catch-up
 * take (gossip, direct messenger, direct registry, event sink, logger), recording what the
 * service did so that a test can assert on it and play the other peers.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createMessage } from '@swarm/protocol'
import { createLogger } from '../../src/logger.js'
import type { Logger } from '../../src/logger.js'
import type { EventSink } from '../../src/ports/events.js'
import type { GossipAdmission, GossipAuthorizer, GossipGuards, GossipHandler, GossipPort } from '../../src/ports/gossip.js'
import type { DirectHandler, DirectRegistry, MessengerPort, RequestOptions } from '../../src/ports/messenger.js'
import type { PeerId } from '@libp2p/interface'
import type { Channel, SwarmMessage } from '@swarm/protocol'

/** `n` fresh peer ids (Ed25519). */
export async function fakePeers (n: number): Promise<PeerId[]> {
  return await Promise.all(Array.from({ length: n }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))))
}

/** A logger that writes nowhere. */
export function silentLogger (): Logger {
  return createLogger({ level: 'error', sinks: [] })
}

interface Subscription {
  channel: Channel
  handler: GossipHandler
  authorize?: GossipAuthorizer
  admit?: GossipAdmission
}

/** Gossip without a network: `deliver` plays a signed message arriving, `published` records ours. */
export class FakeBidderGossip implements GossipPort {
  readonly subscriptions = new Map<string, Subscription>()
  readonly published: Array<{ topic: string, message: SwarmMessage }> = []
  /** Connected subscribers per topic, as a test sets them. */
  readonly subscriberPeers = new Map<string, PeerId[]>()

  subscribe (topic: string, channel: Channel, handler: GossipHandler, guards: GossipGuards = {}): void {
    this.subscriptions.set(topic, { channel, handler, ...guards })
  }

  unsubscribe (topic: string): void {
    this.subscriptions.delete(topic)
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
    return this.subscribers(topic).length
  }

  /** Hands `message`, signed by `from`, to the topic's handler; false when nobody listens or the authorizer refuses. */
  deliver (topic: string, message: SwarmMessage, from: PeerId, via: PeerId = from): boolean {
    const sub = this.subscriptions.get(topic)
    if (sub === undefined) return false
    if (sub.authorize !== undefined && !sub.authorize(message, from)) return false
    if (sub.admit !== undefined && sub.admit(message, from, via) !== true) return false
    sub.handler({ topic, message, from, via })
    return true
  }

  /** Messages of one type published so far. */
  publishedOfType<T extends SwarmMessage['type']>(type: T): Array<{ topic: string, message: Extract<SwarmMessage, { type: T }> }> {
    return this.published.filter((p): p is { topic: string, message: Extract<SwarmMessage, { type: T }> } => p.message.type === type)
  }
}

/** The answer a fake peer gives to a request (a rejection plays a failed delivery). */
export type FakeAnswer = (peer: PeerId, message: SwarmMessage) => SwarmMessage | Promise<SwarmMessage>

/** Direct requests without streams: every request is recorded and answered by `answer` (ACK by default). */
export class FakeBidderMessenger implements MessengerPort {
  readonly requests: Array<{ peer: PeerId, message: SwarmMessage, options?: RequestOptions }> = []
  readonly learned: Array<{ peer: PeerId, addrs: string[] }> = []
  answer: FakeAnswer = (_peer, message) => createMessage('ACK', { ref: message.id })

  async request (peer: PeerId, message: SwarmMessage, options?: RequestOptions): Promise<SwarmMessage> {
    this.requests.push({ peer, message, ...(options !== undefined ? { options } : {}) })
    return await this.answer(peer, message)
  }

  async learnAddrs (peer: PeerId, addrs: string[]): Promise<void> {
    this.learned.push({ peer, addrs })
  }

  /** Requests of one type sent so far. */
  sentOfType<T extends SwarmMessage['type']>(type: T): Array<{ peer: PeerId, message: Extract<SwarmMessage, { type: T }> }> {
    return this.requests.filter((r): r is { peer: PeerId, message: Extract<SwarmMessage, { type: T }> } => r.message.type === type)
  }
}

/** The direct registry: records the handlers a service registers; `call` plays a request arriving. */
export class FakeBidderDirect implements DirectRegistry {
  readonly handlers = new Map<SwarmMessage['type'], DirectHandler>()

  handle<T extends SwarmMessage['type']>(type: T, handler: DirectHandler<Extract<SwarmMessage, { type: T }>>): void {
    if (this.handlers.has(type)) throw new Error(`${type} registered twice`)
    this.handlers.set(type, handler as DirectHandler)
  }

  async call (message: SwarmMessage, from: PeerId): Promise<SwarmMessage> {
    const handler = this.handlers.get(message.type)
    if (handler === undefined) throw new Error(`no handler registered for ${message.type}`)
    return await handler(message, from)
  }
}

/** An event sink that keeps every event. */
export class RecordingEvents<Events> implements EventSink<Events> {
  readonly emitted: Array<{ event: keyof Events & string, payload: unknown }> = []

  emit<K extends keyof Events & string>(event: K, payload: Events[K]): void {
    this.emitted.push({ event, payload })
  }

  /** Payloads of one event, in order. */
  of<K extends keyof Events & string>(event: K): Array<Events[K]> {
    return this.emitted.filter(e => e.event === event).map(e => e.payload as Events[K])
  }
}
