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
}

/** Decides whether the signer may send this message on this topic (e.g. group members only). */
export type GossipAuthorizer = (message: SwarmMessage, from: PeerId) => boolean

interface TopicEntry {
  channel: Channel
  handler: GossipHandler
  authorize?: GossipAuthorizer
}

/**
 * The node's only door to gossipsub: subscribes topics with validators that decode and check
 * every message (so that gossipsub's peer scoring punishes senders of invalid ones), and
 * hands validated messages with their signer to one handler per topic.
 */
export class GossipRouter {
  readonly #pubsub: GossipSub
  readonly #log: Logger
  readonly #maxClockSkewMs: number
  readonly #onReject: GossipRouterOptions['onReject']
  readonly #topics = new Map<string, TopicEntry>()
  /** Messages decoded by a validator, so the delivery does not decode them again. */
  readonly #decoded = new WeakMap<Message, SwarmMessage>()
  readonly stats: GossipStats = { published: 0, delivered: 0, rejected: {} }

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
    const entry: TopicEntry = authorize === undefined ? { channel, handler } : { channel, handler, authorize }
    if (this.#topics.has(topic)) {
      this.#topics.set(topic, entry)
      return
    }
    this.#topics.set(topic, entry)
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
    const result = await this.#pubsub.publish(topic, data)
    this.stats.published++
    return result.recipients.length
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
    const authorize = this.#topics.get(topic)?.authorize
    if (authorize !== undefined && !authorize(message, msg.from)) {
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
    try {
      entry.handler({ topic: msg.topic, message, from: msg.from })
    } catch (err) {
      this.#log.error('gossip handler failed', { topic: msg.topic, type: message.type, err })
    }
  }
}
