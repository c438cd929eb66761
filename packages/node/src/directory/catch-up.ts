import { createMessage } from '@swarm/protocol'
import { RateLimiter } from '../core/token-bucket.js'
import { CATCH_UP_MAX_CARDS, CATCH_UP_MAX_HAVE, CATCH_UP_TIMEOUT_MS, DIRECTORY_CATCH_UP_MS, DIRECTORY_LEARNING_CATCH_UP_MS, FIRST_CATCH_UPS, SECOND_CATCH_UP_DELAY_MS } from './constants.js'
import type { RateLimit } from '../config-limits.js'
import type { Logger } from '../logger.js'
import type { Clock, TimerHandle } from '../ports/clock.js'
import type { DirectRegistry, MessengerPort } from '../ports/messenger.js'
import type { DirectoryService } from './directory-service.js'
import type { PeerId, Startable } from '@libp2p/interface'
import type { MessageOf, SwarmMessage } from '@swarm/protocol'

/** What catch-ups need of the directory service: our card and tags out, their cards in. */
export type CatchUpDirectory = Pick<DirectoryService, 'acceptFirstHand' | 'snapshot' | 'knownTags' | 'currentCard' | 'mergeHearsay'>

export interface DirectoryCatchUpComponents {
  /** Sends our DIRECTORY_REQUESTs. */
  messenger: MessengerPort
  /** Where the catch-up answers DIRECTORY_REQUEST. */
  direct: DirectRegistry
  clock: Clock
  directory: CatchUpDirectory
  /** The peers this node is connected to now. */
  peers: () => PeerId[]
  logger: Logger
  /** Directory requests answered for one peer (limits.rates.directoryRequests; default: unlimited). */
  requestRate?: RateLimit
}

/**
 * Directory catch-ups (anti-entropy): a newcomer asks its first two neighbours for the agents
 * they know instead of waiting for every agent's next heartbeat; later it asks a random
 * neighbour at about 5 s, 10 s, 30 s and 75 s after the start, then every 5 min, and a few
 * seconds after a catch-up that taught it something (another neighbour likely knows more: while
 * a swarm is starting, directories fill this way without every card crossing every link). Each
 * request names the agents already known, so once directories agree a catch-up costs a few KiB;
 * and it carries our own card, so the peer asked learns us first-hand. Also answers the
 * requests of others.
 */
export class DirectoryCatchUp implements Startable {
  readonly #c: DirectoryCatchUpComponents
  #running = false
  /** Catch-ups started as neighbours connected (at most FIRST_CATCH_UPS; a failed one is given back). */
  #firstSyncs = 0
  #round = 0
  #timer?: TimerHandle
  /** Requests answered per peer; the others get an ERROR RATE_LIMITED. */
  readonly #requests?: RateLimiter

  constructor (components: DirectoryCatchUpComponents) {
    this.#c = components
    if (components.requestRate !== undefined) this.#requests = new RateLimiter(components.requestRate)
    components.direct.handle('DIRECTORY_REQUEST', (message, from) => this.#answer(message, from))
  }

  start (): void {
    if (this.#running) return
    this.#running = true
    this.#schedule(0)
  }

  stop (): void {
    this.#running = false
    this.#c.clock.clearTimeout(this.#timer)
    this.#timer = undefined
  }

  /** A peer connected: the first two catch up at once and two seconds later. */
  onPeerConnect (peer: PeerId): void {
    if (!this.#running || this.#firstSyncs >= FIRST_CATCH_UPS) return
    this.#firstSyncs++
    void this.#sync(peer, this.#firstSyncs === 1 ? 0 : SECOND_CATCH_UP_DELAY_MS)
  }

  /** Directory requests refused as over the rate so far. */
  get limited (): number {
    return this.#requests?.limited ?? 0
  }

  /**
   * Catches up from `n` random neighbours at once, waiting at most `timeoutMs` for each: for an
   * announcement whose directory knows nobody for a required skill.
   */
  async askNeighbours (n: number, timeoutMs: number): Promise<void> {
    await Promise.all(pickAtRandom(this.#c.peers(), n).map(async peer => { await this.#sync(peer, 0, timeoutMs) }))
  }

  /** Arms the next scheduled catch-up: `delayMs`, or the round's delay, jittered by ±20 %. */
  #schedule (round: number, delayMs?: number): void {
    const { clock } = this.#c
    clock.clearTimeout(this.#timer)
    this.#round = round
    const delay = delayMs ?? DIRECTORY_CATCH_UP_MS[Math.min(round, DIRECTORY_CATCH_UP_MS.length - 1)] ?? 300_000
    this.#timer = clock.setTimeout(() => {
      if (!this.#running) return
      const [peer] = pickAtRandom(this.#c.peers(), 1)
      this.#schedule(round + 1)
      if (peer !== undefined) void this.#sync(peer, 0)
    }, delay * (0.8 + Math.random() * 0.4))
  }

  async #sync (peer: PeerId, delayMs: number, timeoutMs = CATCH_UP_TIMEOUT_MS): Promise<void> {
    const { clock, directory, logger } = this.#c
    if (delayMs > 0) await clock.sleep(delayMs)
    if (!this.#running) return
    try {
      // Name the agents already known: the answer holds only the others.
      const request = createMessage('DIRECTORY_REQUEST', { limit: CATCH_UP_MAX_CARDS, have: directory.knownTags().slice(0, CATCH_UP_MAX_HAVE), card: directory.currentCard() })
      const reply = await this.#c.messenger.request(peer, request, { timeoutMs })
      if (reply.type === 'DIRECTORY_RESPONSE') {
        const added = directory.mergeHearsay(reply.body.agents, peer.toString())
        logger.debug('directory synced', { from: peer.toString(), agents: reply.body.agents.length, added })
        // Learned something: ask another neighbour soon, without moving on in the schedule.
        if (added > 0 && this.#running) this.#schedule(Math.max(0, this.#round - 1), DIRECTORY_LEARNING_CATCH_UP_MS)
      }
    } catch (err) {
      this.#firstSyncs = Math.max(0, this.#firstSyncs - 1)
      logger.debug('directory sync failed', { from: peer.toString(), err })
    }
  }

  /** A peer's catch-up: its own card is first-hand (the stream authenticates it); the answer leaves out the agents it has. */
  #answer (message: MessageOf<'DIRECTORY_REQUEST'>, from: PeerId): SwarmMessage {
    const { directory } = this.#c
    if (this.#requests?.allow(from.toString(), this.#c.clock.now()) === false) {
      this.#c.logger.debug('directory request over the rate', { from: from.toString() })
      return createMessage('ERROR', { ref: message.id, code: 'RATE_LIMITED', message: 'too many directory requests: ask again later' })
    }
    if (message.body.card !== undefined) directory.acceptFirstHand(from.toString(), message.body.card)
    const have = message.body.have === undefined ? undefined : new Set(message.body.have)
    return createMessage('DIRECTORY_RESPONSE', { agents: directory.snapshot(Math.min(CATCH_UP_MAX_CARDS, message.body.limit), message.body.skill, have) })
  }
}

/** Catch-ups as a service: `directoryCatchUp()(components)`. */
export function directoryCatchUp (): (components: DirectoryCatchUpComponents) => DirectoryCatchUp {
  return (components) => new DirectoryCatchUp(components)
}

/** Up to `n` distinct items of `items`, chosen at random. */
function pickAtRandom<T> (items: readonly T[], n: number): T[] {
  const pool = [...items]
  const picked: T[] = []
  while (picked.length < n && pool.length > 0) picked.push(pool.splice(Math.floor(Math.random() * pool.length), 1)[0] as T)
  return picked
}
