import { DEFAULT_REPUTATION } from '../core/scoring.js'
import { updateReputation } from '../core/skill-stats.js'
import { guardedWrite } from './guarded.js'
import type { Logger } from '../logger.js'
import type { ReputationOutcome, ReputationPort } from '../ports/ledger.js'

/** What the reputation book needs of the store. */
export interface ReputationStore {
  getReputation: (peerId: string) => number | undefined
  saveReputation: (peerId: string, score: number) => void
}

/**
 * The reputation this node holds for other agents, from what it observed of their work: read
 * through from the store once per peer, updated by the pure `updateReputation`, written back.
 */
export class ReputationBook implements ReputationPort {
  readonly #store: ReputationStore
  readonly #log: Logger
  readonly #cache = new Map<string, number>()

  constructor (components: { store: ReputationStore, logger: Logger }) {
    this.#store = components.store
    this.#log = components.logger
  }

  of (peerId: string): number {
    let score = this.#cache.get(peerId)
    if (score === undefined) {
      score = this.#read(peerId) ?? DEFAULT_REPUTATION
      this.#cache.set(peerId, score)
    }
    return score
  }

  record (peerId: string, outcome: ReputationOutcome): void {
    const next = updateReputation(this.of(peerId), outcome)
    this.#cache.set(peerId, next)
    guardedWrite(this.#log, 'reputation', { peerId }, () => { this.#store.saveReputation(peerId, next) })
  }

  #read (peerId: string): number | undefined {
    try {
      return this.#store.getReputation(peerId)
    } catch (err) {
      this.#log.warn('reputation not read', { peerId, err })
      return undefined
    }
  }
}
