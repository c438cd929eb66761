import { createMessage, topics } from '@swarm/protocol'
import { AgentDirectory } from './agent-directory.js'
import { CARD_CHANGE_REPUBLISH_MS, FULL_CARD_EVERY, HEARTBEAT_CHECK_MAX_MS, HEARTBEAT_EARLY_MS, JOIN_PUBLISH_DELAY_MS, MAX_CARD_ARRIVALS, RECENT_JOIN_WINDOW_MS } from './constants.js'
import { heartbeatInterval, maxHeartbeatInterval, shouldFloodJoin, silenceLimit } from './pacing.js'
import { LimitsConfigSchema } from '../config-limits.js'
import { RateLimiter } from '../core/token-bucket.js'
import type { NodeConfig } from '../config.js'
import type { LimitsConfig } from '../config-limits.js'
import type { Logger } from '../logger.js'
import type { Clock, TimerHandle } from '../ports/clock.js'
import type { EventSink } from '../ports/events.js'
import type { GossipDelivery, GossipPort } from '../ports/gossip.js'
import type { AgentRecord } from './agent-directory.js'
import type { PeerId, Startable } from '@libp2p/interface'
import type { AgentCardBody, SwarmMessage } from '@swarm/protocol'

export interface DirectoryServiceEvents {
  'agent:joined': AgentRecord
  'agent:updated': AgentRecord
  'agent:left': { peerId: string }
}

export interface DirectoryServiceComponents {
  /** The agents topic: cards and heartbeats, ours and others'. */
  gossip: GossipPort
  clock: Clock
  events: EventSink<DirectoryServiceEvents>
  logger: Logger
  /** Builds this node's current card (without seq, which the service keeps). */
  card: () => Omit<AgentCardBody, 'seq'>
}

/** The limits the directory keeps (config `limits`, see config-limits.ts). */
export type DirectoryLimits = Pick<LimitsConfig, 'newIdentitiesPerPeerPerMinute' | 'relayedIdentities' | 'maxDirectoryAgents' | 'maxSilenceFactor'>

/** The resolved `directory` settings (see config.ts), the network, this node's peer id and the limits (default: the config's defaults). */
export interface DirectoryServiceInit extends Readonly<NodeConfig['directory']> {
  network: string
  self: string
  limits?: DirectoryLimits
}

/** Agents refused, by why: `new-identity` (the delivering peer's budget of new agents is spent), `directory-full`. */
export interface DirectoryLimited {
  'new-identity': number
  'directory-full': number
}

/**
 * Publishes this agent's card on the agents topic (on join, on change, on a slow heartbeat,
 * and when a new neighbour subscribes so that it learns about us quickly), listens to the
 * cards of others, and expires agents that went silent. Its `agents` are what this node knows
 * of the swarm; catch-ups (see catch-up.ts) fill them through `snapshot` and `mergeHearsay`.
 */
export class DirectoryService implements Startable {
  /** The agents this node knows, itself included (at most limits.maxDirectoryAgents). */
  readonly agents: AgentDirectory
  readonly #c: DirectoryServiceComponents
  readonly #init: DirectoryServiceInit
  readonly #topic: string
  #seq = 0
  #lastCardKey = ''
  /** Sequence number of the card as the swarm last heard it (published, or left to catch-ups at join). */
  #sharedSeq = -1
  #beats = 0
  #heartbeat?: TimerHandle
  #republish?: TimerHandle
  #started = false
  /** When the last heartbeat went out (or the service started), and the jitter of the next. */
  #lastBeatAt = 0
  #beatFactor = 1
  /** Whether the first neighbour came (see peerJoined), and the pending join publication. */
  #joined = false
  #joinTimer?: TimerHandle
  /** When recent cards arrived on the agents topic (the last RECENT_JOIN_WINDOW_MS). */
  #cardsHeardAt: number[] = []
  /** Told when another agent frees a slot (see onCapacityFreed). */
  readonly #capacityListeners = new Set<(peerId: string) => void>()
  readonly #limits: DirectoryLimits
  /** New agents the catch-up answers of each peer may still teach us (a token bucket per peer). */
  readonly #introductions: RateLimiter
  /** New agents each neighbour may still introduce by relaying their cards on gossip. */
  readonly #relays: RateLimiter
  /**
   * Refusals of relayed cards forgiven per neighbour (half the budget of #relays, at its rate): a
   * neighbour that relays for a flooder passes on what the flooder got past it, which fits our
   * budget for it (the same size), and is refused only what honest newcomers add; one refused
   * far more is the flooder, and is charged (FLOODING).
   */
  readonly #forgiven: RateLimiter
  /** Agents refused so far, by why. */
  readonly limited: DirectoryLimited = { 'new-identity': 0, 'directory-full': 0 }

  constructor (components: DirectoryServiceComponents, init: DirectoryServiceInit) {
    this.#c = components
    this.#init = init
    this.#topic = topics.agents(init.network)
    this.#limits = init.limits ?? LimitsConfigSchema.parse({})
    this.agents = new AgentDirectory(this.#limits.maxDirectoryAgents)
    const perMinute = this.#limits.newIdentitiesPerPeerPerMinute
    this.#introductions = new RateLimiter({ perSecond: perMinute / 60, burst: perMinute })
    this.#relays = new RateLimiter(this.#limits.relayedIdentities)
    const relayed = this.#limits.relayedIdentities
    this.#forgiven = new RateLimiter({ perSecond: relayed.perSecond, burst: Math.max(1, Math.ceil(relayed.burst / 2)) })
  }

  get topic (): string {
    return this.#topic
  }

  start (): void {
    if (this.#started) return
    this.#started = true
    this.#c.gossip.subscribe(this.#topic, 'agents', this.#onGossip, { admit: this.#admit })
    this.#refreshSelf()
    this.#lastBeatAt = this.#c.clock.now()
    this.#beatFactor = 0.5 + Math.random()
    this.#scheduleHeartbeat(this.heartbeatIntervalMs() * this.#beatFactor)
  }

  stop (): void {
    const { clock } = this.#c
    this.#started = false
    clock.clearTimeout(this.#heartbeat)
    clock.clearTimeout(this.#republish)
    clock.clearTimeout(this.#joinTimer)
    this.#c.gossip.unsubscribe(this.#topic)
  }

  /**
   * This agent's heartbeat interval now. It grows with the swarm (see heartbeatInterval), counted
   * by the agents heard first-hand only (cards passed on in catch-ups are unsigned hints anyone
   * can make up), and never beyond maxHeartbeatInterval: agents an attacker made up cannot
   * stretch the silence limit more than limits.maxSilenceFactor times directory.ttlMs.
   */
  heartbeatIntervalMs (): number {
    const maxMs = maxHeartbeatInterval(this.#init.ttlMs, this.#limits.maxSilenceFactor)
    return heartbeatInterval(this.agents.firstHand, this.#init.heartbeatMs, this.#init.swarmHeartbeatsPerSecond, maxMs)
  }

  /** How long an agent may stay silent now before it is forgotten. */
  ttlMs (): number {
    return silenceLimit(this.heartbeatIntervalMs(), this.#init.ttlMs)
  }

  /**
   * Heartbeats are jittered (agents started together must not all speak at once) and small: a
   * HEARTBEAT with the card's sequence number and the load, and the whole card only every
   * FULL_CARD_EVERY beats or when it changed since it was last sent.
   */
  #scheduleHeartbeat (delayMs: number): void {
    if (!this.#started) return
    const { clock } = this.#c
    this.#heartbeat = clock.setTimeout(() => {
      this.#expire()
      // The interval grows as the directory fills (a node's first beat is planned while it
      // knows nobody): wait out the rest of the current interval before beating.
      const due = this.#lastBeatAt + this.heartbeatIntervalMs() * this.#beatFactor
      if (clock.now() < due - HEARTBEAT_EARLY_MS) {
        this.#scheduleHeartbeat(due - clock.now())
        return
      }
      this.#beats++
      this.#lastBeatAt = clock.now()
      this.#beatFactor = 0.9 + Math.random() * 0.2
      const card = this.#refreshSelf()
      if (card.seq !== this.#sharedSeq || this.#beats % FULL_CARD_EVERY === 0) void this.publishCard('heartbeat')
      else void this.#publishHeartbeat(card)
      this.#scheduleHeartbeat(this.heartbeatIntervalMs() * this.#beatFactor)
    }, Math.min(delayMs, HEARTBEAT_CHECK_MAX_MS))
  }

  async #publishHeartbeat (card: AgentCardBody): Promise<void> {
    try {
      await this.#c.gossip.publish(this.#topic, createMessage('HEARTBEAT', { cardSeq: card.seq, load: card.load }))
    } catch (err) {
      this.#c.logger.debug('heartbeat not published', { err })
    }
  }

  /** The current card; its seq increases whenever anything but the load changes. */
  currentCard (): AgentCardBody {
    const card = this.#c.card()
    // Load and track records change with every task: they travel on the heartbeat, and do not
    // make the card "changed" (re-publishing to the whole swarm per task would not scale).
    const { load: _load, skills, ...rest } = card
    const key = JSON.stringify({ ...rest, skills: skills.map(({ successRate: _s, avgCompletionMs: _a, ...skill }) => skill) })
    if (key !== this.#lastCardKey) {
      this.#lastCardKey = key
      this.#seq++
    }
    return { ...card, seq: this.#seq }
  }

  /**
   * Call when skills, capacity or addresses may have changed: publishes the new card soon if it
   * differs from the one the swarm has (libp2p reports many updates of its own peer record, e.g.
   * each protocol registered at start, that change nothing in the card).
   */
  cardChanged (): void {
    const card = this.#refreshSelf()
    if (!this.#joined || this.#joinTimer !== undefined || card.seq === this.#sharedSeq) return
    this.scheduleRepublish(CARD_CHANGE_REPUBLISH_MS)
  }

  /**
   * A neighbour subscribed to the agents topic. The first time, this is our way into the swarm:
   * publish our card so that everyone hears we joined. Later neighbours do not make us publish
   * again: a newcomer catches up by asking a neighbour for its directory (snapshot), which
   * costs one request instead of a card from every agent to the whole swarm.
   */
  peerJoined (): void {
    // Not "published before": a card published before any neighbour (on an address change at
    // start, say) reached nobody.
    if (this.#joined) return
    this.#joined = true
    // Not at once: right after the first connection gossipsub's streams and meshes are still
    // forming and a card published then reaches the first neighbour or two (measured: one card
    // in five). A second or two later, after a mesh heartbeat (and the first catch-up, which
    // tells how many agents are joining right now), it reaches everyone.
    this.#joinTimer = this.#c.clock.setTimeout(() => {
      this.#joinTimer = undefined
      this.#publishJoin()
    }, JOIN_PUBLISH_DELAY_MS * (1 + Math.random()))
  }

  /** Floods the join card, unless many agents are joining right now (catch-ups carry it then). */
  #publishJoin (): void {
    const now = this.#c.clock.now()
    // Two views of how many are joining: cards that just crossed the swarm, and agents (of
    // those our first catch-up told us about) that started a moment ago.
    const startedRecently = this.agents.list().filter(r => !r.self && now - r.card.startedAt < RECENT_JOIN_WINDOW_MS).length
    const flooded = this.#cardsHeardAt.filter(at => now - at < RECENT_JOIN_WINDOW_MS).length
    const recent = Math.max(startedRecently, flooded)
    if (shouldFloodJoin(recent, this.#init.joinFloodsPerSecond)) {
      void this.publishCard('join')
    } else {
      // Catch-ups carry the card from here on: that is how the swarm hears of it.
      this.#sharedSeq = this.#refreshSelf().seq
      this.#c.logger.debug('join card left to catch-ups: many agents are joining', { startedRecently: recent })
    }
  }

  scheduleRepublish (delayMs: number): void {
    if (!this.#started || this.#republish !== undefined) return
    this.#republish = this.#c.clock.setTimeout(() => {
      this.#republish = undefined
      void this.publishCard('republish')
    }, delayMs)
  }

  async publishCard (reason: string): Promise<void> {
    if (!this.#started) return
    const card = this.#refreshSelf()
    try {
      this.#sharedSeq = card.seq
      const recipients = await this.#c.gossip.publish(this.#topic, createMessage('AGENT_CARD', card))
      this.#c.logger.debug('agent card published', { reason, seq: card.seq, recipients })
    } catch (err) {
      this.#c.logger.warn('agent card not published', { reason, err })
    }
  }

  #refreshSelf (): AgentCardBody {
    const card = this.currentCard()
    this.agents.upsert(this.#init.self, card, this.#c.clock.now(), true)
    return card
  }

  #expire (): void {
    for (const peerId of this.agents.expire(this.#c.clock.now(), this.ttlMs())) {
      this.#c.logger.info('agent expired', { peerId })
      this.#c.events.emit('agent:left', { peerId })
    }
  }

  /**
   * Cards for a peer that asks (newcomers and periodic catch-ups), leaving out the agents it
   * names in `have`: first-hand cards first, then cards passed on to us, newest first. Cards
   * passed on travel further (a catch-up spreads like an epidemic even where gossip lost them)
   * but stay hints: an agent counts only once it answers for itself.
   */
  snapshot (limit: number, skill?: string, have?: ReadonlySet<string>): Array<{ peerId: string, card: AgentCardBody, ageMs: number }> {
    const now = this.#c.clock.now()
    const records = (skill === undefined ? this.agents.list() : this.agents.find({ skill }))
      .filter(r => have?.has(agentTag(r.peerId)) !== true)
      .sort((a, b) => Number(b.verified) - Number(a.verified) || b.lastSeen - a.lastSeen)
      .slice(0, limit)
    return records.map(r => ({ peerId: r.peerId, card: r.self ? this.currentCard() : { ...r.card, addrs: r.card.addrs.slice(0, 4) }, ageMs: r.self ? 0 : Math.max(0, now - r.lastSeen) }))
  }

  /** Tags of every agent this node knows, itself included (see agentTag). */
  knownTags (): string[] {
    return this.agents.list().map(r => agentTag(r.peerId))
  }

  /**
   * Merges the cards of a catch-up answer from peer `via` (see snapshot); returns how many agents
   * were new. New agents count against `via`'s budget (limits.newIdentitiesPerPeerPerMinute) and the
   * directory's size (limits.maxDirectoryAgents); beyond either they are left out.
   */
  mergeHearsay (agents: Array<{ peerId: string, card: AgentCardBody, ageMs: number }>, via: string): number {
    const now = this.#c.clock.now()
    const ttlMs = this.ttlMs()
    let added = 0
    const refusedBefore = this.limited['new-identity'] + this.limited['directory-full']
    for (const agent of agents) {
      if (agent.peerId === this.#init.self || agent.ageMs > ttlMs) continue
      if (!this.#mayLearn(agent.peerId, via, now, this.#introductions)) continue
      const result = this.agents.upsertHearsay(agent.peerId, agent.card, now - agent.ageMs)
      const record = this.agents.get(agent.peerId)
      if (record === undefined) continue
      if (result === 'added') {
        added++
        this.#c.events.emit('agent:joined', record)
      } else if (result === 'updated') {
        this.#c.events.emit('agent:updated', record)
      }
    }
    const refused = this.limited['new-identity'] + this.limited['directory-full'] - refusedBefore
    if (refused > 0) this.#c.logger.debug('agents passed on left out: over the limits', { via, refused, added })
    return added
  }

  /**
   * Whether the directory may learn of `peerId` through `via` now: always for an agent it knows;
   * a new one needs room in the directory, and takes one of `via`'s introductions from `budget`
   * unless it is `via` itself (a neighbour speaking for itself: one per connection, and a flood
   * passed on by a neighbour must not keep that neighbour out). Counts refusals.
   */
  #mayLearn (peerId: string, via: string, now: number, budget?: RateLimiter): boolean {
    if (this.agents.get(peerId) !== undefined) return true
    if (this.agents.full) {
      this.limited['directory-full']++
      return false
    }
    if (peerId !== via && budget !== undefined && !budget.allow(via, now)) {
      this.limited['new-identity']++
      return false
    }
    return true
  }

  /**
   * The agents topic's admission, at validation (before gossipsub passes a message on): a card
   * of an agent not known yet is taken only within the relaying neighbour's budget
   * (limits.relayedIdentities) and the directory's room; heartbeats and cards of known agents
   * always are. A neighbour refused more than its budget of forgiven refusals is FLOODING.
   */
  readonly #admit = (message: SwarmMessage, from: PeerId, via: PeerId): boolean | 'FLOODING' => {
    if (message.type !== 'AGENT_CARD') return true
    const peerId = from.toString()
    if (peerId === this.#init.self) return true
    const now = this.#c.clock.now()
    const neighbour = via.toString()
    if (this.#mayLearn(peerId, neighbour, now, this.#relays)) return true
    this.#c.logger.debug('agent card left out: over the limits', { peerId, via: neighbour })
    return this.agents.full || this.#forgiven.allow(neighbour, now) ? false : 'FLOODING'
  }

  /**
   * Records a card that the agent itself sent: signed gossip, already admitted (see #admit), or
   * the card a peer attaches to its own catch-up request (the stream authenticates it: one per
   * connection). A new agent needs room in the directory.
   */
  acceptFirstHand (peerId: string, card: AgentCardBody, now = this.#c.clock.now()): void {
    if (peerId === this.#init.self) return
    if (!this.#mayLearn(peerId, peerId, now)) {
      this.#c.logger.debug('agent card left out: the directory is full', { peerId })
      return
    }
    const result = this.agents.upsert(peerId, card, now)
    const record = this.agents.get(peerId)
    if (record === undefined) return
    if (result === 'added') {
      this.#c.logger.info('agent joined', { peerId, name: card.name, skills: card.skills.map(s => `${s.name}:${s.level}`) })
      this.#c.events.emit('agent:joined', record)
    } else if (result === 'updated') {
      this.#c.events.emit('agent:updated', record)
    }
  }

  /**
   * Subscribes to other agents freeing a slot: their card or heartbeat reports a load lower
   * than before and below their capacity (an announcer asks its queued tasks again then).
   * Returns the unsubscribe function.
   */
  onCapacityFreed (listener: (peerId: string) => void): () => void {
    this.#capacityListeners.add(listener)
    return () => { this.#capacityListeners.delete(listener) }
  }

  /** Tells the capacity listeners when `peerId`'s load went down from `before` and a slot is free. */
  #loadChanged (peerId: string, before: number | undefined): void {
    const record = this.agents.get(peerId)
    if (record === undefined || record.self || before === undefined) return
    if (record.load >= before || record.load >= record.card.capacity) return
    for (const listener of this.#capacityListeners) {
      try {
        listener(peerId)
      } catch (err) {
        this.#c.logger.warn('capacity listener failed', { peerId, err })
      }
    }
  }

  readonly #onGossip = (delivery: GossipDelivery): void => {
    const peerId = delivery.from.toString()
    if (peerId === this.#init.self) return
    const now = this.#c.clock.now()
    const { message } = delivery
    if (message.type === 'AGENT_CARD') {
      this.#cardsHeardAt.push(now)
      if (this.#cardsHeardAt.length > MAX_CARD_ARRIVALS) this.#cardsHeardAt = this.#cardsHeardAt.filter(at => now - at < RECENT_JOIN_WINDOW_MS)
      const before = this.agents.get(peerId)?.load
      this.acceptFirstHand(peerId, message.body, now)
      this.#loadChanged(peerId, before)
    } else if (message.type === 'HEARTBEAT') {
      const before = this.agents.get(peerId)?.load
      this.agents.touch(peerId, message.body.load, now)
      this.#loadChanged(peerId, before)
    }
  }
}

/** The directory as a service: `directoryService(init)(components)`. */
export function directoryService (init: DirectoryServiceInit): (components: DirectoryServiceComponents) => DirectoryService {
  return (components) => new DirectoryService(components, init)
}

/** A short tag naming an agent in a directory catch-up request: the last 10 characters of its peer id. */
function agentTag (peerId: string): string {
  return peerId.slice(-10)
}
