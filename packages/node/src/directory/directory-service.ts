import { createMessage, topics } from '@swarm/protocol'
import { AgentDirectory } from './agent-directory.js'
import type { GossipDelivery, GossipRouter } from '../net/gossip.js'
import type { Logger } from '../logger.js'
import type { AgentRecord } from './agent-directory.js'
import type { AgentCardBody } from '@swarm/protocol'

export interface DirectoryServiceEvents {
  'agent:joined': AgentRecord
  'agent:updated': AgentRecord
  'agent:left': { peerId: string }
}

export interface DirectoryServiceOptions {
  network: string
  selfPeerId: string
  router: GossipRouter
  logger: Logger
  /** Re-publish the card at least this far apart when nothing changed. */
  heartbeatMs: number
  /** Drop agents silent for this long (at least: see heartbeatInterval). */
  ttlMs: number
  /** Heartbeats per second of the whole swarm, at most (see heartbeatInterval). */
  swarmHeartbeatsPerSecond?: number
  /** Join cards per second of the whole swarm above which a newcomer does not flood its own (see peerJoined). */
  joinFloodsPerSecond?: number
  /** Builds this node's current card (without seq, which the service keeps). */
  buildCard: () => Omit<AgentCardBody, 'seq'>
  emit: <K extends keyof DirectoryServiceEvents>(event: K, payload: DirectoryServiceEvents[K]) => void
}

/** How long after its first neighbour a node publishes its card (up to twice this, jittered). */
const JOIN_PUBLISH_DELAY_MS = 2_000

/** Every how many heartbeats the whole card is sent again (the others carry only seq and load). */
const FULL_CARD_EVERY = 4

/** Window over which a newcomer counts the agents that started just before it (see peerJoined). */
const RECENT_JOIN_WINDOW_MS = 10_000

/**
 * The heartbeat interval of one agent: `minMs`, or longer in a large swarm so that all `known`
 * agents together send at most `swarmPerSecond` heartbeats a second. Every agent receives every
 * heartbeat, so a fixed interval would cost each agent work in proportion to the swarm's size
 * (and a simulation on one host the square of it); this keeps it constant. Pure.
 */
export function heartbeatInterval (known: number, minMs: number, swarmPerSecond: number): number {
  if (!(swarmPerSecond > 0)) return minMs
  return Math.max(minMs, Math.ceil((Math.max(1, known) / swarmPerSecond) * 1000))
}

/** How long an agent may stay silent before it is forgotten: `minMs`, and at least three of its heartbeats. Pure. */
export function silenceLimit (intervalMs: number, minMs: number): number {
  return Math.max(minMs, 3 * intervalMs)
}

/**
 * Whether a newcomer should publish its card to the whole swarm: not while many agents are
 * joining at once (more than `floodsPerSecond` started in the last window, by their cards), as
 * when a swarm of hundreds starts together: each card would cross every mesh link, hundreds of
 * times over. It spreads by catch-ups instead (its own request carries it to its neighbours,
 * their answers pass it on). Pure.
 */
export function shouldFloodJoin (startedRecently: number, floodsPerSecond: number, windowMs = RECENT_JOIN_WINDOW_MS): boolean {
  if (!(floodsPerSecond > 0)) return false
  return startedRecently / (windowMs / 1000) < floodsPerSecond
}

/**
 * Publishes this agent's card on the agents topic (on join, on change, on a slow heartbeat,
 * and when a new neighbour subscribes so that it learns about us quickly), listens to the
 * cards of others, and expires agents that went silent.
 */
export class DirectoryService {
  readonly directory = new AgentDirectory()
  readonly #opts: DirectoryServiceOptions
  readonly #topic: string
  #seq = 0
  #lastCardKey = ''
  /** Sequence number of the card as the swarm last heard it (published, or left to catch-ups at join). */
  #sharedSeq = -1
  #beats = 0
  #heartbeat?: NodeJS.Timeout
  #republish?: NodeJS.Timeout
  #started = false
  /** When the last heartbeat went out (or the service started), and the jitter of the next. */
  #lastBeatAt = 0
  #beatFactor = 1
  /** Whether the first neighbour came (see peerJoined), and the pending join publication. */
  #joined = false
  #joinTimer?: NodeJS.Timeout
  /** When recent cards arrived on the agents topic (the last RECENT_JOIN_WINDOW_MS). */
  #cardsHeardAt: number[] = []

  constructor (options: DirectoryServiceOptions) {
    this.#opts = options
    this.#topic = topics.agents(options.network)
  }

  get topic (): string {
    return this.#topic
  }

  start (): void {
    if (this.#started) return
    this.#started = true
    this.#opts.router.subscribe(this.#topic, 'agents', this.#onGossip)
    this.#refreshSelf()
    this.#lastBeatAt = Date.now()
    this.#beatFactor = 0.5 + Math.random()
    this.#scheduleHeartbeat(this.heartbeatIntervalMs() * this.#beatFactor)
  }

  /** This agent's heartbeat interval now (it grows with the swarm: see heartbeatInterval). */
  heartbeatIntervalMs (): number {
    return heartbeatInterval(this.directory.size, this.#opts.heartbeatMs, this.#opts.swarmHeartbeatsPerSecond ?? 0)
  }

  /** How long an agent may stay silent now before it is forgotten. */
  ttlMs (): number {
    return silenceLimit(this.heartbeatIntervalMs(), this.#opts.ttlMs)
  }

  /**
   * Heartbeats are jittered (agents started together must not all speak at once) and small: a
   * HEARTBEAT with the card's sequence number and the load, and the whole card only every
   * FULL_CARD_EVERY beats or when it changed since it was last sent.
   */
  #scheduleHeartbeat (delayMs: number): void {
    if (!this.#started) return
    this.#heartbeat = setTimeout(() => {
      this.#expire()
      // The interval grows as the directory fills (a node's first beat is planned while it
      // knows nobody): wait out the rest of the current interval before beating.
      const due = this.#lastBeatAt + this.heartbeatIntervalMs() * this.#beatFactor
      if (Date.now() < due - 1_000) {
        this.#scheduleHeartbeat(due - Date.now())
        return
      }
      this.#beats++
      this.#lastBeatAt = Date.now()
      this.#beatFactor = 0.9 + Math.random() * 0.2
      const card = this.#refreshSelf()
      if (card.seq !== this.#sharedSeq || this.#beats % FULL_CARD_EVERY === 0) void this.publishCard('heartbeat')
      else void this.#publishHeartbeat(card)
      this.#scheduleHeartbeat(this.heartbeatIntervalMs() * this.#beatFactor)
    }, Math.min(delayMs, 60_000))
    this.#heartbeat.unref()
  }

  async #publishHeartbeat (card: AgentCardBody): Promise<void> {
    try {
      await this.#opts.router.publish(this.#topic, createMessage('HEARTBEAT', { cardSeq: card.seq, load: card.load }))
    } catch (err) {
      this.#opts.logger.debug('heartbeat not published', { err })
    }
  }

  stop (): void {
    this.#started = false
    clearTimeout(this.#heartbeat)
    clearTimeout(this.#republish)
    clearTimeout(this.#joinTimer)
    this.#opts.router.unsubscribe(this.#topic)
  }

  /** The current card; its seq increases whenever anything but the load changes. */
  currentCard (): AgentCardBody {
    const card = this.#opts.buildCard()
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
    this.scheduleRepublish(50)
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
    this.#joinTimer = setTimeout(() => {
      this.#joinTimer = undefined
      const now = Date.now()
      // Two views of how many are joining: cards that just crossed the swarm, and agents (of
      // those our first catch-up told us about) that started a moment ago.
      const startedRecently = this.directory.list().filter(r => !r.self && now - r.card.startedAt < RECENT_JOIN_WINDOW_MS).length
      const flooded = this.#cardsHeardAt.filter(at => now - at < RECENT_JOIN_WINDOW_MS).length
      const recent = Math.max(startedRecently, flooded)
      if (shouldFloodJoin(recent, this.#opts.joinFloodsPerSecond ?? Number.POSITIVE_INFINITY)) {
        void this.publishCard('join')
      } else {
        // Catch-ups carry the card from here on: that is how the swarm hears of it.
        this.#sharedSeq = this.#refreshSelf().seq
        this.#opts.logger.debug('join card left to catch-ups: many agents are joining', { startedRecently: recent })
      }
    }, JOIN_PUBLISH_DELAY_MS * (1 + Math.random()))
    this.#joinTimer.unref()
  }

  scheduleRepublish (delayMs: number): void {
    if (!this.#started || this.#republish !== undefined) return
    this.#republish = setTimeout(() => {
      this.#republish = undefined
      void this.publishCard('republish')
    }, delayMs)
    this.#republish.unref()
  }

  async publishCard (reason: string): Promise<void> {
    if (!this.#started) return
    const card = this.#refreshSelf()
    try {
      this.#sharedSeq = card.seq
      const recipients = await this.#opts.router.publish(this.#topic, createMessage('AGENT_CARD', card))
      this.#opts.logger.debug('agent card published', { reason, seq: card.seq, recipients })
    } catch (err) {
      this.#opts.logger.warn('agent card not published', { reason, err })
    }
  }

  #refreshSelf (): AgentCardBody {
    const card = this.currentCard()
    this.directory.upsert(this.#opts.selfPeerId, card, Date.now(), true)
    return card
  }

  #expire (): void {
    for (const peerId of this.directory.expire(Date.now(), this.ttlMs())) {
      this.#opts.logger.info('agent expired', { peerId })
      this.#opts.emit('agent:left', { peerId })
    }
  }

  /**
   * Cards for a peer that asks (newcomers and periodic catch-ups), leaving out the agents it
   * names in `have`: first-hand cards first, then cards passed on to us, newest first. Cards
   * passed on travel further (a catch-up spreads like an epidemic even where gossip lost them)
   * but stay hints: an agent counts only once it answers for itself.
   */
  snapshot (limit: number, skill?: string, have?: ReadonlySet<string>): Array<{ peerId: string, card: AgentCardBody, ageMs: number }> {
    const now = Date.now()
    const records = (skill === undefined ? this.directory.list() : this.directory.find({ skill }))
      .filter(r => have?.has(agentTag(r.peerId)) !== true)
      .sort((a, b) => Number(b.verified) - Number(a.verified) || b.lastSeen - a.lastSeen)
      .slice(0, limit)
    return records.map(r => ({ peerId: r.peerId, card: r.self ? this.currentCard() : { ...r.card, addrs: r.card.addrs.slice(0, 4) }, ageMs: r.self ? 0 : Math.max(0, now - r.lastSeen) }))
  }

  /** Tags of every agent this node knows, itself included (see agentTag). */
  knownTags (): string[] {
    return this.directory.list().map(r => agentTag(r.peerId))
  }

  /** Merges cards another peer passed on (see snapshot). */
  mergeHearsay (agents: Array<{ peerId: string, card: AgentCardBody, ageMs: number }>): number {
    const now = Date.now()
    const ttlMs = this.ttlMs()
    let added = 0
    for (const agent of agents) {
      if (agent.peerId === this.#opts.selfPeerId || agent.ageMs > ttlMs) continue
      const result = this.directory.upsertHearsay(agent.peerId, agent.card, now - agent.ageMs)
      const record = this.directory.get(agent.peerId)
      if (record === undefined) continue
      if (result === 'added') {
        added++
        this.#opts.emit('agent:joined', record)
      } else if (result === 'updated') {
        this.#opts.emit('agent:updated', record)
      }
    }
    return added
  }

  /**
   * Records a card that the agent itself sent: signed gossip, or the card a peer attaches to
   * its own catch-up request (the stream authenticates it).
   */
  acceptFirstHand (peerId: string, card: AgentCardBody, now = Date.now()): void {
    if (peerId === this.#opts.selfPeerId) return
    const result = this.directory.upsert(peerId, card, now)
    const record = this.directory.get(peerId)
    if (record === undefined) return
    if (result === 'added') {
      this.#opts.logger.info('agent joined', { peerId, name: card.name, skills: card.skills.map(s => `${s.name}:${s.level}`) })
      this.#opts.emit('agent:joined', record)
    } else if (result === 'updated') {
      this.#opts.emit('agent:updated', record)
    }
  }

  readonly #onGossip = (delivery: GossipDelivery): void => {
    const peerId = delivery.from.toString()
    if (peerId === this.#opts.selfPeerId) return
    const now = Date.now()
    const { message } = delivery
    if (message.type === 'AGENT_CARD') {
      this.#cardsHeardAt.push(now)
      if (this.#cardsHeardAt.length > 256) this.#cardsHeardAt = this.#cardsHeardAt.filter(at => now - at < RECENT_JOIN_WINDOW_MS)
      this.acceptFirstHand(peerId, message.body, now)
    } else if (message.type === 'HEARTBEAT') {
      this.directory.touch(peerId, message.body.load, now)
    }
  }
}

/** A short tag naming an agent in a directory catch-up request: the last 10 characters of its peer id. */
export function agentTag (peerId: string): string {
  return peerId.slice(-10)
}
