import { decayed } from '../core/decay.js'
import type { Clock } from '../ports/clock.js'
import type { Penalty } from './verdict.js'
import type { PeerId } from '@libp2p/interface'

/**
 * The node's book of misbehaving peers: what each peer was charged for (counts by reason) and a
 * score that decays by half every `halfLifeMs`, so that an old mistake fades while a peer that
 * keeps sending garbage keeps a high score. Fed by the gossip validator and the direct messenger
 * through net/verdict.ts; read by metrics (and by whatever acts on scores). The decay is computed
 * when a score is read or charged, so the book needs no timer.
 */

/** One peer's entry. */
export interface PenaltyRecord {
  /** Score as of `at`. */
  score: number
  at: number
  counts: Readonly<Record<string, number>>
}

/** The record after one more penalty at `now`. */
export function charge (record: PenaltyRecord | undefined, penalty: Penalty, now: number, halfLifeMs: number): PenaltyRecord {
  const score = record === undefined ? 0 : decayed(record.score, now - record.at, halfLifeMs)
  const counts = { ...record?.counts, [penalty.reason]: (record?.counts[penalty.reason] ?? 0) + 1 }
  return { score: score + penalty.penalty, at: now, counts }
}

export interface PeerPenaltiesInit {
  /** Time for a score to halve. */
  halfLifeMs: number
  /** Peers kept; beyond that the one charged longest ago is forgotten. */
  maxPeers: number
}

export interface PeerPenaltiesComponents {
  clock: Clock
}

/** What metrics read. */
export interface PenaltyStats {
  /** Penalties charged since start, by reason (never decreases). */
  byReason: Record<string, number>
  /** Peers in the book. */
  peers: number
  /** The highest scores now, highest first (at most 10). */
  worst: Array<{ peerId: string, score: number }>
}

const WORST_SHOWN = 10

export class PeerPenalties {
  readonly #clock: Clock
  readonly #init: PeerPenaltiesInit
  /** In order of the last charge: the first entry is the one charged longest ago. */
  readonly #peers = new Map<string, PenaltyRecord>()
  readonly #byReason: Record<string, number> = {}

  constructor (components: PeerPenaltiesComponents, init: PeerPenaltiesInit) {
    this.#clock = components.clock
    this.#init = init
  }

  /** Charges `peer` (a PenaltySink: pass `(peer, p) => penalties.record(peer, p)`). */
  record (peer: PeerId | string, penalty: Penalty): void {
    const id = peer.toString()
    const next = charge(this.#peers.get(id), penalty, this.#clock.now(), this.#init.halfLifeMs)
    this.#peers.delete(id)
    this.#peers.set(id, next)
    this.#byReason[penalty.reason] = (this.#byReason[penalty.reason] ?? 0) + 1
    if (this.#peers.size > this.#init.maxPeers) {
      const oldest = this.#peers.keys().next()
      if (oldest.done !== true) this.#peers.delete(oldest.value)
    }
  }

  /** The peer's score now (0 for a peer never charged). */
  score (peer: PeerId | string): number {
    const record = this.#peers.get(peer.toString())
    return record === undefined ? 0 : decayed(record.score, this.#clock.now() - record.at, this.#init.halfLifeMs)
  }

  /** What the peer was charged for, by reason. */
  counts (peer: PeerId | string): Readonly<Record<string, number>> {
    return this.#peers.get(peer.toString())?.counts ?? {}
  }

  stats (): PenaltyStats {
    const now = this.#clock.now()
    const scores: Array<{ peerId: string, score: number }> = []
    for (const [peerId, record] of this.#peers) scores.push({ peerId, score: decayed(record.score, now - record.at, this.#init.halfLifeMs) })
    scores.sort((a, b) => b.score - a.score)
    return { byReason: { ...this.#byReason }, peers: this.#peers.size, worst: scores.slice(0, WORST_SHOWN) }
  }
}

/** The js-libp2p service shape of the book. */
export function peerPenalties (init: PeerPenaltiesInit): (components: PeerPenaltiesComponents) => PeerPenalties {
  return components => new PeerPenalties(components, init)
}
