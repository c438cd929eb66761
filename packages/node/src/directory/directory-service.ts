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
  /** Re-publish the card this often when nothing changed. */
  heartbeatMs: number
  /** Drop agents silent for this long. */
  ttlMs: number
  /** Builds this node's current card (without seq, which the service keeps). */
  buildCard: () => Omit<AgentCardBody, 'seq'>
  emit: <K extends keyof DirectoryServiceEvents>(event: K, payload: DirectoryServiceEvents[K]) => void
}

/** How long after its first neighbour a node publishes its card (up to twice this, jittered). */
const JOIN_PUBLISH_DELAY_MS = 1_500

/** Every how many heartbeats the whole card is sent again (the others carry only seq and load). */
const FULL_CARD_EVERY = 4

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
  #lastPublishedAt = 0
  #lastPublishedSeq = -1
  #beats = 0
  #heartbeat?: NodeJS.Timeout
  #republish?: NodeJS.Timeout
  #started = false

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
    this.#scheduleHeartbeat(this.#opts.heartbeatMs * (0.5 + Math.random()))
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
      this.#beats++
      const card = this.#refreshSelf()
      if (card.seq !== this.#lastPublishedSeq || this.#beats % FULL_CARD_EVERY === 0) void this.publishCard('heartbeat')
      else void this.#publishHeartbeat(card)
      this.#scheduleHeartbeat(this.#opts.heartbeatMs * (0.9 + Math.random() * 0.2))
    }, delayMs)
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

  /** Call when skills, capacity or addresses changed: publishes the new card soon. */
  cardChanged (): void {
    this.#refreshSelf()
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
    // in five). A second or two later, after a mesh heartbeat, it reaches everyone.
    this.scheduleRepublish(JOIN_PUBLISH_DELAY_MS * (1 + Math.random()))
  }

  #joined = false

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
      this.#lastPublishedAt = Date.now()
      this.#lastPublishedSeq = card.seq
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
    for (const peerId of this.directory.expire(Date.now(), this.#opts.ttlMs)) {
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
    let added = 0
    for (const agent of agents) {
      if (agent.peerId === this.#opts.selfPeerId || agent.ageMs > this.#opts.ttlMs) continue
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
