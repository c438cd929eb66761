import type { Logger } from '../logger.js'
import type { ReputationPort } from '../ports/ledger.js'
import type { StoredTask, TaskFilter } from '../store/types.js'

/** What {@link KnownAnnouncers} reads of the store. */
export interface KnownAnnouncersStore {
  listTasks: (filter: TaskFilter) => StoredTask[]
}

/** Member rows read at start to learn the announcers this node worked for well. */
const SEEDED_ROWS = 5_000

/** Announcers remembered at most (beyond, the first learned are forgotten first). */
const MAX_KNOWN = 10_000

/**
 * The peers this node had a successful outcome with, for the bidder's limits on unknown
 * announcers (docs/operations.md, "Limits"): an announcer one of whose tasks this node finished
 * well as a member (its member rows, from the store at start and as they are written), or a peer
 * whose work as a member of this node's groups succeeded at least once (the reputation book).
 */
export class KnownAnnouncers {
  readonly #reputation: Pick<ReputationPort, 'observed'>
  readonly #known = new Set<string>()

  constructor (components: { store: KnownAnnouncersStore, reputation: Pick<ReputationPort, 'observed'>, logger: Logger }) {
    this.#reputation = components.reputation
    try {
      for (const task of components.store.listTasks({ role: 'member', status: ['COMPLETE'], limit: SEEDED_ROWS })) this.saved(task)
    } catch (err) {
      components.logger.warn('member history not read (every announcer counts as unknown until it succeeds here)', { err })
    }
  }

  /** Whether this node had a successful outcome with `peerId`. */
  knows (peerId: string): boolean {
    return this.#known.has(peerId) || this.#reputation.observed(peerId).successes > 0
  }

  /** A task row was written: a member row that completed makes its announcer known. */
  saved (task: StoredTask): void {
    if (task.role !== 'member' || task.status !== 'COMPLETE' || task.announcer === undefined) return
    this.#known.delete(task.announcer)
    this.#known.add(task.announcer)
    if (this.#known.size > MAX_KNOWN) {
      const oldest = this.#known.values().next()
      if (oldest.done !== true) this.#known.delete(oldest.value)
    }
  }
}
