import { TopicValidatorResult } from '@libp2p/gossipsub'
import { LIMITS, decodeMessage, encodeMessage } from '@swarm/protocol'
import { channelFailure, decodeFailure, gossipVerdict, timestampFailure } from './verdict.js'
import type { Logger } from '../logger.js'
import type { Clock } from '../ports/clock.js'
import type { GossipAuthorizer, GossipHandler, GossipPort } from '../ports/gossip.js'
import type { GossipFailure, GossipVerdict } from './verdict.js'
import type { GossipSub, Message } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'
import type { Channel, SwarmMessage } from '@swarm/protocol'

export type { GossipAuthorizer, GossipDelivery, GossipHandler } from '../ports/gossip.js'

export interface GossipRouterOptions {
  logger: Logger
  /** Reads the time for the timestamp check and paces the wait for outbound streams. */
  clock: Clock
  /** Messages whose timestamp is further than this from our clock are ignored (replays, bad clocks). */
  maxClockSkewMs?: number
  /**
   * Called for every message that fails validation, with its verdict (Ignore or Reject, the
   * reason and the penalty: net/verdict.ts), the peer charged (the signer; for an unsigned
   * message, the peer that delivered it) and the topic: the node's penalty book and metrics.
   */
  onReject?: (verdict: GossipVerdict, from: PeerId, topic: string) => void
}

export interface GossipStats {
  published: number
  delivered: number
  /** Messages that failed validation (Ignore or Reject), by reason. */
  rejected: Record<string, number>
  /** Messages published and delivered, by message type. */
  publishedByType: Record<string, number>
  deliveredByType: Record<string, number>
}

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
export class GossipRouter implements GossipPort {
  readonly #pubsub: GossipSub
  readonly #log: Logger
  readonly #clock: Clock
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
    this.#clock = options.clock
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

  /**
   * Gossipsub learns a new peer's subscriptions (on the peer's stream to us) a moment before its
   * own stream to that peer is open, and silently drops what is published to the peer in
   * between: an announcement published right after dialing the only agent with a skill would be
   * lost. So before publishing, wait (briefly, once per peer) until every known subscriber of
   * the topic can be sent to.
   */
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
    const started = this.#clock.now()
    const until = started + OUTBOUND_STREAM_WAIT_MS
    while (pending.length > 0 && this.#clock.now() < until) {
      await this.#clock.sleep(10)
      pending = missing()
    }
    this.#log.debug('waited for gossip streams to new subscribers', { topic, waitedMs: this.#clock.now() - started })
    if (pending.length > 0) {
      this.#log.debug('publishing although some subscribers have no open gossip stream', { topic, peers: pending })
      if (this.#gaveUpOn.size > 10_000) this.#gaveUpOn.clear()
      for (const id of pending) this.#gaveUpOn.add(id)
    }
  }

  #fail (reason: GossipFailure, from: PeerId, topic: string): TopicValidatorResult {
    const verdict = gossipVerdict(reason)
    this.stats.rejected[reason] = (this.stats.rejected[reason] ?? 0) + 1
    this.#log.debug('gossip message refused', { reason, verdict: verdict.result, topic, from: from.toString() })
    this.#onReject?.(verdict, from, topic)
    return verdict.result
  }

  /**
   * The topic validator: stops at the first failure, whose verdict (net/verdict.ts) gossipsub
   * acts on. Decoded without the channel, so that a type that does not belong on the topic is
   * told apart (WRONG_CHANNEL) from an undecodable or off-schema message.
   */
  #validate (topic: string, channel: Channel, propagationSource: PeerId, msg: Message): TopicValidatorResult {
    if (msg.type !== 'signed') return this.#fail('UNSIGNED', propagationSource, topic)
    let message: SwarmMessage
    try {
      message = decodeMessage(msg.data, { maxBytes: LIMITS.maxGossipMessageBytes })
    } catch (err) {
      return this.#fail(decodeFailure(err), msg.from, topic)
    }
    const failure = channelFailure(channel, message.type) ?? timestampFailure(message.ts, this.#clock.now(), this.#maxClockSkewMs)
    if (failure !== undefined) return this.#fail(failure, msg.from, topic)
    const subscribers = this.#topics.get(topic)?.subscribers ?? []
    if (!subscribers.some(s => s.authorize === undefined || s.authorize(message, msg.from))) {
      return this.#fail('UNAUTHORIZED', msg.from, topic)
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
