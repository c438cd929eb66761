import { TopicValidatorResult } from '@libp2p/gossipsub'
import { LIMITS, createMessage, decodeMessage, encodeMessage, parseTopic } from '@swarm/protocol'
import { GroupKeyRing } from './group-keys.js'
import { MAX_SEALED_MESSAGE_BYTES, open, seal } from './group-seal.js'
import { channelFailure, decodeFailure, gossipVerdict, timestampFailure } from './verdict.js'
import type { Logger } from '../logger.js'
import type { Clock } from '../ports/clock.js'
import type { GossipAdmission, GossipAuthorizer, GossipGuards, GossipHandler, GossipPort } from '../ports/gossip.js'
import type { GossipFailure, GossipVerdict } from './verdict.js'
import type { GossipSub, Message } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'
import type { Channel, SwarmMessage } from '@swarm/protocol'

export type { GossipDelivery, GossipGuards, GossipHandler } from '../ports/gossip.js'

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
  /** How long a group key still opens messages once a newer epoch is installed (group-keys.ts). */
  groupKeyGraceMs?: number
}

/** Default of {@link GossipRouterOptions.groupKeyGraceMs}. */
const GROUP_KEY_GRACE_MS = 5_000

/** A message read off a topic: the (opened) message, or why it cannot be taken. */
type Read = { ok: true, message: SwarmMessage } | { ok: false, failure: GossipFailure, epoch?: number }

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
  admit?: GossipAdmission
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
  /** The peer each validated message came from (its propagation source), for the delivery. */
  readonly #via = new WeakMap<Message, PeerId>()
  /** Peers whose outbound gossip stream did not open in time once: not waited for again. */
  readonly #gaveUpOn = new Set<string>()
  /** Keys of the group topics we are in; a held item is a sealed message awaiting its epoch's key. */
  readonly #keys: GroupKeyRing<Message>
  readonly stats: GossipStats = { published: 0, delivered: 0, rejected: {}, publishedByType: {}, deliveredByType: {} }

  constructor (pubsub: GossipSub, options: GossipRouterOptions) {
    this.#pubsub = pubsub
    this.#log = options.logger
    this.#clock = options.clock
    this.#maxClockSkewMs = options.maxClockSkewMs ?? 120_000
    this.#onReject = options.onReject
    this.#keys = new GroupKeyRing(options.groupKeyGraceMs ?? GROUP_KEY_GRACE_MS)
    this.#pubsub.addEventListener('message', this.#onMessage)
  }

  stop (): void {
    this.#pubsub.removeEventListener('message', this.#onMessage)
    for (const topic of this.#topics.keys()) this.unsubscribe(topic)
  }

  subscribe (topic: string, channel: Channel, handler: GossipHandler, guards: GossipGuards = {}): void {
    const subscriber: Subscriber = { handler, ...guards }
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
    this.#keys.drop(topic)
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

  /**
   * Installs the key of `epoch` for a group topic (docs/protocol.md "Group encryption"): from
   * then on what is published there is sealed with the newest key, and only sealed messages are
   * taken there. Sealed messages that arrived for this epoch before its key are delivered now.
   */
  setGroupKey (topic: string, epoch: number, key: Uint8Array): void {
    if (parseTopic(topic)?.kind !== 'group') {
      this.#log.warn('a group key for a topic that is not a group topic was not installed', { topic })
      return
    }
    const now = this.#clock.now()
    if (!this.#keys.install(topic, epoch, key, now)) return
    for (const msg of this.#keys.release(topic, epoch, now)) this.#late(msg)
  }

  /** Forgets the keys of a group topic (unsubscribing does too). */
  dropGroupKeys (topic: string): void {
    this.#keys.drop(topic)
  }

  /**
   * Encodes and publishes a message (sealed with the topic's group key, if it has one); returns
   * how many peers it was sent to directly.
   */
  async publish (topic: string, message: SwarmMessage): Promise<number> {
    const data = this.#sealed(topic, encodeMessage(message, LIMITS.maxGossipMessageBytes))
    await this.#outboundStreamsReady(topic)
    const result = await this.#pubsub.publish(topic, data)
    this.stats.published++
    this.stats.publishedByType[message.type] = (this.stats.publishedByType[message.type] ?? 0) + 1
    return result.recipients.length
  }

  /** `data` sealed as a SEALED message when `topic` has a group key; else `data`. */
  #sealed (topic: string, data: Uint8Array): Uint8Array {
    const key = this.#keys.current(topic)
    const parsed = parseTopic(topic)
    if (key === undefined || parsed?.kind !== 'group') return data
    const body = { groupId: parsed.groupId, epoch: key.epoch, ...seal(key.key, topic, key.epoch, data) }
    return encodeMessage(createMessage('SEALED', body, { ts: this.#clock.now() }), MAX_SEALED_MESSAGE_BYTES)
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
   * told apart (WRONG_CHANNEL) from an undecodable or off-schema message. A sealed message of an
   * epoch whose key has not arrived yet is held for a moment (see {@link setGroupKey}).
   */
  #validate (topic: string, channel: Channel, propagationSource: PeerId, msg: Message): TopicValidatorResult {
    if (msg.type !== 'signed') return this.#fail('UNSIGNED', propagationSource, topic)
    const read = this.#read(topic, channel, msg.data)
    if (!read.ok) {
      if (read.epoch !== undefined) this.#keys.hold(topic, read.epoch, msg, this.#clock.now())
      return this.#fail(read.failure, msg.from, topic)
    }
    const failure = this.#check(topic, channel, read.message, msg.from) ?? this.#admission(topic, read.message, msg.from, propagationSource)
    if (failure !== undefined) return this.#fail(failure, failure === 'LIMITED' || failure === 'FLOODING' ? propagationSource : msg.from, topic)
    this.#decoded.set(msg, read.message)
    this.#via.set(msg, propagationSource)
    return TopicValidatorResult.Accept
  }

  /**
   * Decodes a message of `topic`; on a group topic with a key, a SEALED one is opened and its
   * inner message decoded, and anything else is refused (UNSEALED). A SEALED message of an epoch
   * we have no key for is UNKNOWN_EPOCH (with its epoch); one that does not open is SEAL_BROKEN.
   */
  #read (topic: string, channel: Channel, data: Uint8Array): Read {
    let message: SwarmMessage
    try {
      message = decodeMessage(data, { maxBytes: channel === 'group' ? MAX_SEALED_MESSAGE_BYTES : LIMITS.maxGossipMessageBytes })
    } catch (err) {
      return { ok: false, failure: decodeFailure(err) }
    }
    if (message.type !== 'SEALED') {
      if (data.byteLength > LIMITS.maxGossipMessageBytes) return { ok: false, failure: 'OVERSIZED' }
      return channel === 'group' && this.#keys.has(topic) ? { ok: false, failure: 'UNSEALED' } : { ok: true, message }
    }
    if (channel !== 'group') return { ok: false, failure: 'WRONG_CHANNEL' }
    const { epoch } = message.body
    const key = this.#keys.keyOf(topic, epoch, this.#clock.now())
    if (key === undefined) return { ok: false, failure: 'UNKNOWN_EPOCH', epoch }
    const plain = open(key, topic, epoch, message.body)
    if (plain === undefined) return { ok: false, failure: 'SEAL_BROKEN' }
    try {
      const inner = decodeMessage(plain, { maxBytes: LIMITS.maxGossipMessageBytes })
      return inner.type === 'SEALED' ? { ok: false, failure: 'WRONG_CHANNEL' } : { ok: true, message: inner }
    } catch (err) {
      return { ok: false, failure: decodeFailure(err) }
    }
  }

  /** The channel, timestamp and authorization checks of a decoded (opened) message. */
  #check (topic: string, channel: Channel, message: SwarmMessage, from: PeerId): GossipFailure | undefined {
    const failure = channelFailure(channel, message.type) ?? timestampFailure(message.ts, this.#clock.now(), this.#maxClockSkewMs)
    if (failure !== undefined) return failure
    const subscribers = this.#topics.get(topic)?.subscribers ?? []
    return subscribers.some(s => s.authorize === undefined || s.authorize(message, from)) ? undefined : 'UNAUTHORIZED'
  }

  /**
   * LIMITED (or FLOODING, when one says so) when every subscriber that authorizes the signer
   * has an admission and none takes the message now (over what `via` may make this node spend);
   * each admission is asked once.
   */
  #admission (topic: string, message: SwarmMessage, from: PeerId, via: PeerId): 'LIMITED' | 'FLOODING' | undefined {
    const subscribers = this.#topics.get(topic)?.subscribers ?? []
    let refusal: 'LIMITED' | 'FLOODING' | undefined
    for (const s of subscribers) {
      if (s.authorize !== undefined && !s.authorize(message, from)) continue
      const taken = s.admit?.(message, from, via) ?? true
      if (taken === true) return undefined
      if (refusal !== 'FLOODING') refusal = taken === false ? 'LIMITED' : 'FLOODING'
    }
    return refusal
  }

  /**
   * A sealed message that arrived before its epoch's key (it was not forwarded): checked now and
   * delivered here only.
   */
  #late (msg: Message): void {
    const entry = this.#topics.get(msg.topic)
    if (entry === undefined || msg.type !== 'signed') return
    const read = this.#read(msg.topic, entry.channel, msg.data)
    const failure = read.ok ? this.#check(msg.topic, entry.channel, read.message, msg.from) : read.failure
    if (failure !== undefined || !read.ok) {
      this.#fail(failure ?? 'SEAL_BROKEN', msg.from, msg.topic)
      return
    }
    this.#deliver(entry, msg.topic, read.message, msg.from)
  }

  readonly #onMessage = (event: CustomEvent<Message>): void => {
    const msg = event.detail
    const entry = this.#topics.get(msg.topic)
    if (entry === undefined || msg.type !== 'signed') return
    let message = this.#decoded.get(msg)
    if (message === undefined) {
      const read = this.#read(msg.topic, entry.channel, msg.data)
      if (!read.ok || channelFailure(entry.channel, read.message.type) !== undefined) return
      message = read.message
    }
    this.#deliver(entry, msg.topic, message, msg.from, this.#via.get(msg))
  }

  /** Hands a validated message to every subscriber of the topic that authorizes its signer. */
  #deliver (entry: TopicEntry, topic: string, message: SwarmMessage, from: PeerId, via?: PeerId): void {
    this.stats.delivered++
    this.stats.deliveredByType[message.type] = (this.stats.deliveredByType[message.type] ?? 0) + 1
    for (const s of [...entry.subscribers]) {
      if (s.authorize !== undefined && !s.authorize(message, from)) continue
      try {
        s.handler(via === undefined ? { topic, message, from } : { topic, message, from, via })
      } catch (err) {
        this.#log.error('gossip handler failed', { topic, type: message.type, err })
      }
    }
  }
}
