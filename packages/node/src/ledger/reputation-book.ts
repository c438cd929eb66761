import { NEWCOMER_REPUTATION, decayReputation } from '../core/reputation.js'
import type { Observations } from '../core/reputation.js'
import { updateReputation } from '../core/skill-stats.js'
import { guardedWrite } from './guarded.js'
import type { Logger } from '../logger.js'
import type { Clock } from '../ports/clock.js'
import type { ReputationOutcome, ReputationPort } from '../ports/ledger.js'
import type { ReputationRecord } from '../store/types.js'

/** What the reputation book needs of the store. */
export interface ReputationStore {
  getReputation: (peerId: string) => ReputationRecord | undefined
  saveReputation: (record: ReputationRecord) => void
}

/** Settings of the reputation book (the resolved `reputation` block of the node config). */
export interface ReputationBookInit {
  /** Time for a score's distance to neutral to halve without new outcomes. */
  halfLifeMs: number
}

/** A score and when it was set; read back decayed toward neutral by the time since. */
interface Entry {
  score: number
  at: number
}

/**
 * The reputation this node holds for other agents, from what it observed of their work: read
 * through from the store once per peer, updated by the pure `updateReputation`, written back.
 * Scores fade toward neutral (`decayReputation`) from the time they were set; a peer never
 * observed gets the newcomer prior. The outcomes observed (successes of how many) are kept with
 * the score, so a restart forgets neither.
 */
export class ReputationBook implements ReputationPort {
  readonly #store: ReputationStore
  readonly #log: Logger
  readonly #clock: Clock
  readonly #halfLifeMs: number
  readonly #cache = new Map<string, Entry | null>()
  readonly #observed = new Map<string, Observations>()

  constructor (components: { store: ReputationStore, logger: Logger, clock: Clock }, init: ReputationBookInit) {
    if (!(init.halfLifeMs > 0)) throw new RangeError(`reputation.halfLifeMs must be a positive number of milliseconds, got ${init.halfLifeMs}`)
    this.#store = components.store
    this.#log = components.logger
    this.#clock = components.clock
    this.#halfLifeMs = init.halfLifeMs
  }

  of (peerId: string): number {
    const entry = this.#entry(peerId)
    if (entry === null) return NEWCOMER_REPUTATION
    return decayReputation(entry.score, this.#clock.now() - entry.at, this.#halfLifeMs)
  }

  record (peerId: string, outcome: ReputationOutcome): void {
    const next = updateReputation(this.of(peerId), outcome)
    const at = this.#clock.now()
    this.#cache.set(peerId, { score: next, at })
    const seen = this.observed(peerId)
    const observed = { successes: seen.successes + (outcome === 'success' ? 1 : 0), total: seen.total + 1 }
    this.#observed.set(peerId, observed)
    guardedWrite(this.#log, 'reputation', { peerId }, () => {
      this.#store.saveReputation({ peerId, score: next, updatedAt: at, successes: observed.successes, outcomes: observed.total })
    })
  }

  observed (peerId: string): Observations {
    this.#entry(peerId)
    return this.#observed.get(peerId) ?? { successes: 0, total: 0 }
  }

  /** The cached entry of a peer (read from the store the first time); null when it has none. */
  #entry (peerId: string): Entry | null {
    let entry = this.#cache.get(peerId)
    if (entry === undefined) {
      const stored = this.#read(peerId)
      entry = stored === undefined ? null : { score: stored.score, at: Math.min(stored.updatedAt ?? this.#clock.now(), this.#clock.now()) }
      if (stored !== undefined && !this.#observed.has(peerId)) this.#observed.set(peerId, { successes: stored.successes, total: stored.outcomes })
      this.#cache.set(peerId, entry)
    }
    return entry
  }

  #read (peerId: string): ReputationRecord | undefined {
    try {
      return this.#store.getReputation(peerId)
    } catch (err) {
      this.#log.warn('reputation not read', { peerId, err })
      return undefined
    }
  }
}
