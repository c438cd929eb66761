import { TopicValidatorResult } from '@libp2p/gossipsub'
import { LIMITS, ProtocolError, decodeMessage, encodeMessage } from '@swarm/protocol'
import type { Logger } from '../logger.js'
import type { GossipSub, Message } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'
import type { Channel, SwarmMessage } from '@swarm/protocol'

/** A validated gossip message and its authenticated sender (the gossipsub signer). */
export interface GossipDelivery {
  topic: string
  message: SwarmMessage
  /** The peer that signed the message: the only sender identity we trust. */
  from: PeerId
}

export type GossipHandler = (delivery: GossipDelivery) => void

export interface GossipRouterOptions {
  logger: Logger
  /** Messages whose timestamp is further than this from our clock are rejected (replays). */
  maxClockSkewMs?: number
  /** Called for every rejected message, with the reason, for metrics and peer penalties. */
  onReject?: (reason: string, from: PeerId | undefined, topic: string) => void
}

export interface GossipStats {
  published: number
  delivered: number
  rejected: Record<string, number>
  /** Messages published and delivered, by message type. */
  publishedByType: Record<string, number>
  deliveredByType: Record<string, number>
}

/** Decides whether the signer may send this message on this topic (e.g. group members only). */
export type GossipAuthorizer = (message: SwarmMessage, from: PeerId) => boolean

/** Longest wait, before a publication, for gossipsub's stream to a newly connected subscriber. */
const OUTBOUND_STREAM_WAIT_MS = 1_000

interface Subscriber {
  handler: GossipHandler
  authorize?: GossipAuthorizer
}

interface TopicEntry {
  channel: Channel
  /** Everyone on this node that listens to the topic (e.g. the announcer and the local member of a group). */
  subscribers: Subscriber[]
}

/**
 * The node's only door to gossipsub: subscribes topics with validators that decode and check
 * every message (so that gossipsub's peer scoring punishes senders of invalid ones), and
 * hands validated messages with their signer to the handlers of the topic. Several parts of the
 * node may listen to one topic (an announcer that is also a member of its own group): each gets
 * the messages its authorizer allows; `unsubscribe` leaves the topic for all of them.
 */
export class GossipRouter {
  readonly #pubsub: GossipSub
  readonly #log: Logger
  readonly #maxClockSkewMs: number
  readonly #onReject: GossipRouterOptions['onReject']
  readonly #topics = new Map<string, TopicEntry>()
  /** Messages decoded by a validator, so the delivery does not decode them again. */
  readonly #decoded = new WeakMap<Message, SwarmMessage>()
  /** Peers whose outbound gossip stream did not open in time once: not waited for again. */
  readonly #gaveUpOn = new Set<string>()
  readonly stats: GossipStats = { published: 0, delivered: 0, rejected: {}, publishedByType: {}, deliveredByType: {} }

  constructor (pubsub: GossipSub, options: GossipRouterOptions) {
    this.#pubsub = pubsub
    this.#log = options.logger
    this.#maxClockSkewMs = options.maxClockSkewMs ?? 120_000
    this.#onReject = options.onReject
    this.#pubsub.addEventListener('message', this.#onMessage)
  }

  stop (): void {
    this.#pubsub.removeEventListener('message', this.#onMessage)
    for (const topic of this.#topics.keys()) this.unsubscribe(topic)
  }

  subscribe (topic: string, channel: Channel, handler: GossipHandler, authorize?: GossipAuthorizer): void {
    const subscriber: Subscriber = authorize === undefined ? { handler } : { handler, authorize }
    const existing = this.#topics.get(topic)
    if (existing !== undefined) {
      // The same handler subscribing again replaces its own entry; another handler is added.
      existing.subscribers = [...existing.subscribers.filter(s => s.handler !== handler), subscriber]
      return
    }
    this.#topics.set(topic, { channel, subscribers: [subscriber] })
    this.#pubsub.topicValidators.set(topic, (peer, msg) => this.#validate(topic, channel, peer, msg))
    this.#pubsub.subscribe(topic)
  }

  unsubscribe (topic: string): void {
    if (!this.#topics.delete(topic)) return
    this.#pubsub.topicValidators.delete(topic)
    this.#pubsub.unsubscribe(topic)
  }

  isSubscribed (topic: string): boolean {
    return this.#topics.has(topic)
  }

  /** Peers we are connected to that subscribe `topic`. */
  subscribers (topic: string): PeerId[] {
    return this.#pubsub.getSubscribers(topic)
  }

  /** Encodes and publishes a message; returns how many peers it was sent to directly. */
  async publish (topic: string, message: SwarmMessage): Promise<number> {
    const data = encodeMessage(message, LIMITS.maxGossipMessageBytes)
    await this.#outboundStreamsReady(topic)
    const result = await this.#pubsub.publish(topic, data)
    this.stats.published++
    this.stats.publishedByType[message.type] = (this.stats.publishedByType[message.type] ?? 0) + 1
    return result.recipients.length
  }

  /**
   * Gossipsub learns a new peer's subscriptions (on the peer's stream to us) a moment before its
   * own stream to that peer is open, and silently drops what is published to the peer in
   * between: an announcement published right after dialing the only agent with a skill would be
   * lost. So before publishing, wait (briefly, once per peer) until every known subscriber of
   * the topic can be sent to.
   */
  /**
   * Subscribers (over all our topics) that gossipsub cannot send to yet because its stream to
   * them is not open: 0 once the node's gossip connections have settled.
   */
  pendingOutboundStreams (): number {
    const outbound = (this.#pubsub as unknown as { streamsOutbound?: unknown }).streamsOutbound
    if (!(outbound instanceof Map)) return 0
    let pending = 0
    for (const topic of this.#topics.keys()) {
      for (const peer of this.#pubsub.getSubscribers(topic)) if (!outbound.has(peer.toString())) pending++
    }
    return pending
  }

  async #outboundStreamsReady (topic: string): Promise<void> {
    // The GossipSub class keeps its open streams in `streamsOutbound` (not part of its interface:
    // without it, as with another pubsub, there is nothing to wait for).
    const outbound = (this.#pubsub as unknown as { streamsOutbound?: unknown }).streamsOutbound
    if (!(outbound instanceof Map)) return
    const missing = (): string[] => this.#pubsub.getSubscribers(topic)
      .map(p => p.toString())
      .filter(id => !outbound.has(id) && !this.#gaveUpOn.has(id))
    let pending = missing()
    if (pending.length === 0) return
    const started = Date.now()
    const until = started + OUTBOUND_STREAM_WAIT_MS
    while (pending.length > 0 && Date.now() < until) {
      await new Promise(resolve => setTimeout(resolve, 10))
      pending = missing()
    }
    this.#log.debug('waited for gossip streams to new subscribers', { topic, waitedMs: Date.now() - started })
    if (pending.length > 0) {
      this.#log.debug('publishing although some subscribers have no open gossip stream', { topic, peers: pending })
      if (this.#gaveUpOn.size > 10_000) this.#gaveUpOn.clear()
      for (const id of pending) this.#gaveUpOn.add(id)
    }
  }

  #reject (reason: string, from: PeerId | undefined, topic: string): TopicValidatorResult {
    this.stats.rejected[reason] = (this.stats.rejected[reason] ?? 0) + 1
    this.#log.debug('gossip message rejected', { reason, topic, from: from?.toString() })
    this.#onReject?.(reason, from, topic)
    return TopicValidatorResult.Reject
  }

  #validate (topic: string, channel: Channel, propagationSource: PeerId, msg: Message): TopicValidatorResult {
    if (msg.type !== 'signed') return this.#reject('UNSIGNED', propagationSource, topic)
    let message: SwarmMessage
    try {
      message = decodeMessage(msg.data, { maxBytes: LIMITS.maxGossipMessageBytes, channel })
    } catch (err) {
      const code = err instanceof ProtocolError ? err.code : 'MALFORMED'
      return this.#reject(code, msg.from, topic)
    }
    if (Math.abs(Date.now() - message.ts) > this.#maxClockSkewMs) {
      return this.#reject('STALE', msg.from, topic)
    }
    const subscribers = this.#topics.get(topic)?.subscribers ?? []
    if (!subscribers.some(s => s.authorize === undefined || s.authorize(message, msg.from))) {
      return this.#reject('UNAUTHORIZED', msg.from, topic)
    }
    this.#decoded.set(msg, message)
    return TopicValidatorResult.Accept
  }

  readonly #onMessage = (event: CustomEvent<Message>): void => {
    const msg = event.detail
    const entry = this.#topics.get(msg.topic)
    if (entry === undefined || msg.type !== 'signed') return
    let message = this.#decoded.get(msg)
    if (message === undefined) {
      try {
        message = decodeMessage(msg.data, { maxBytes: LIMITS.maxGossipMessageBytes, channel: entry.channel })
      } catch {
        return
      }
    }
    this.stats.delivered++
    this.stats.deliveredByType[message.type] = (this.stats.deliveredByType[message.type] ?? 0) + 1
    for (const s of [...entry.subscribers]) {
      if (s.authorize !== undefined && !s.authorize(message, msg.from)) continue
      try {
        s.handler({ topic: msg.topic, message, from: msg.from })
      } catch (err) {
        this.#log.error('gossip handler failed', { topic: msg.topic, type: message.type, err })
      }
    }
  }
}
