/**
 * One in-memory network for several group services in one test: each node gets a gossip port,
 * a direct messenger and a direct registry on the same bus. A message published on a topic
 * reaches the other nodes subscribed to it, checked by their authorizers as gossipsub's topic
 * validator would (the publisher is the signer); a direct request goes to the handler the
 * addressed node registered for its type. Every message is encoded and decoded on the way, so
 * that what the services send must pass the wire schemas. Deliveries are asynchronous (a
 * microtask later), as on the network.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { LIMITS, createMessage, decodeMessage, encodeMessage } from '@swarm/protocol'
import type { GossipAuthorizer, GossipHandler, GossipPort } from '../../src/ports/gossip.js'
import type { DirectHandler, DirectRegistry, MessengerPort, RequestOptions } from '../../src/ports/messenger.js'
import type { PeerId } from '@libp2p/interface'
import type { Channel, SwarmMessage } from '@swarm/protocol'

/** `n` fresh peer ids (Ed25519). */
export async function groupPeers (n: number): Promise<PeerId[]> {
  return await Promise.all(Array.from({ length: n }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))))
}

interface Subscriber {
  handler: GossipHandler
  authorize?: GossipAuthorizer
}

interface TopicEntry {
  channel: Channel
  subscribers: Subscriber[]
}

/** What one node of the bus gets: its ports. */
export interface FakeGroupNode {
  readonly peer: PeerId
  readonly gossip: GossipPort
  readonly messenger: MessengerPort
  readonly direct: DirectRegistry
}

/** A gossip message as the bus saw it, with its signer. */
export interface BusMessage {
  topic: string
  message: SwarmMessage
  from: string
}

class BusNode implements FakeGroupNode {
  readonly peer: PeerId
  readonly topics = new Map<string, TopicEntry>()
  readonly handlers = new Map<SwarmMessage['type'], DirectHandler>()
  readonly gossip: GossipPort
  readonly messenger: MessengerPort
  readonly direct: DirectRegistry

  constructor (bus: FakeGroupBus, peer: PeerId) {
    this.peer = peer
    this.gossip = {
      subscribe: (topic, channel, handler, guards = {}) => {
        const subscriber: Subscriber = guards.authorize === undefined ? { handler } : { handler, authorize: guards.authorize }
        const entry = this.topics.get(topic)
        if (entry === undefined) this.topics.set(topic, { channel, subscribers: [subscriber] })
        else entry.subscribers = [...entry.subscribers.filter(s => s.handler !== handler), subscriber]
      },
      unsubscribe: topic => { this.topics.delete(topic) },
      isSubscribed: topic => this.topics.has(topic),
      subscribers: topic => bus.subscribersOf(topic, this),
      publish: async (topic, message) => await bus.publish(this, topic, message),
      // The bus carries messages in the clear: keys change nothing here.
      setGroupKey: () => {},
      dropGroupKeys: () => {}
    }
    this.messenger = {
      request: async (to: PeerId, message: SwarmMessage, _options?: RequestOptions) => await bus.request(this, to, message),
      learnAddrs: async () => {}
    }
    this.direct = {
      handle: (type, handler) => {
        if (this.handlers.has(type)) throw new Error(`a handler for direct ${type} messages is registered already`)
        this.handlers.set(type, handler as DirectHandler)
      }
    }
  }
}

export class FakeGroupBus {
  readonly #nodes = new Map<string, BusNode>()
  /** Peers that neither receive gossip nor answer requests (a crashed or partitioned node). */
  readonly offline = new Set<string>()
  /** Every gossip message published or injected, in order. */
  readonly log: BusMessage[] = []
  /** Messages a node's validator rejected (no subscriber authorized them), by receiving peer. */
  readonly rejected: Array<BusMessage & { at: string }> = []

  /** The ports of a node on this bus (the same ones for the same peer). */
  node (peer: PeerId): FakeGroupNode {
    const id = peer.toString()
    let node = this.#nodes.get(id)
    if (node === undefined) {
      node = new BusNode(this, peer)
      this.#nodes.set(id, node)
    }
    return node
  }

  /** The node of `peer` comes back as a new process: fresh ports (no topics, no handlers). */
  restart (peer: PeerId): FakeGroupNode {
    const node = new BusNode(this, peer)
    this.#nodes.set(peer.toString(), node)
    return node
  }

  /** Gossip messages of one type seen on the bus. */
  ofType<T extends SwarmMessage['type']>(type: T): Array<Extract<SwarmMessage, { type: T }>> {
    return this.log.map(m => m.message).filter((m): m is Extract<SwarmMessage, { type: T }> => m.type === type)
  }

  /**
   * Plays a message signed by `from` (which need not be a node of the bus, e.g. an outsider)
   * arriving at every subscribed node; resolves with how many nodes accepted it.
   */
  async inject (topic: string, message: SwarmMessage, from: PeerId): Promise<number> {
    return await this.#broadcast(undefined, topic, message, from)
  }

  async publish (sender: BusNode, topic: string, message: SwarmMessage): Promise<number> {
    return await this.#broadcast(sender, topic, message, sender.peer)
  }

  subscribersOf (topic: string, asker: BusNode): PeerId[] {
    return [...this.#nodes.values()].filter(n => n !== asker && n.topics.has(topic) && !this.offline.has(n.peer.toString())).map(n => n.peer)
  }

  async request (sender: BusNode, to: PeerId, message: SwarmMessage): Promise<SwarmMessage> {
    const wire = roundTrip(message, 'direct')
    await Promise.resolve()
    const target = this.#nodes.get(to.toString())
    if (target === undefined || this.offline.has(to.toString()) || this.offline.has(sender.peer.toString())) {
      throw new Error(`peer ${to.toString()} is not reachable on the fake bus`)
    }
    const handler = target.handlers.get(wire.type)
    const reply = handler === undefined
      ? createMessage('ERROR', { ref: wire.id, code: 'UNEXPECTED', message: `${wire.type} is not expected on this stream` })
      : await handler(wire, sender.peer)
    return roundTrip(reply, 'direct')
  }

  async #broadcast (sender: BusNode | undefined, topic: string, message: SwarmMessage, from: PeerId): Promise<number> {
    const signer = from.toString()
    this.log.push({ topic, message, from: signer })
    const targets = [...this.#nodes.values()].filter(n => n !== sender && n.topics.has(topic) && !this.offline.has(n.peer.toString()))
    await Promise.resolve()
    let accepted = 0
    for (const node of targets) {
      const entry = node.topics.get(topic)
      if (entry === undefined) continue
      const wire = roundTrip(message, entry.channel)
      // The topic validator: accepted if any subscriber of the node authorizes it.
      if (!entry.subscribers.some(s => s.authorize === undefined || s.authorize(wire, from))) {
        this.rejected.push({ topic, message: wire, from: signer, at: node.peer.toString() })
        continue
      }
      accepted++
      for (const s of [...entry.subscribers]) {
        if (s.authorize !== undefined && !s.authorize(wire, from)) continue
        s.handler({ topic, message: wire, from })
      }
    }
    return accepted
  }
}

/** The message as the receiver decodes it (throws when it would not pass the wire schemas). */
function roundTrip (message: SwarmMessage, channel: Channel): SwarmMessage {
  const maxBytes = channel === 'direct' ? LIMITS.maxStreamMessageBytes : LIMITS.maxGossipMessageBytes
  return decodeMessage(encodeMessage(message, maxBytes), { maxBytes, channel })
}
