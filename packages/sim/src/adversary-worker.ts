/**
 * A worker thread's side of the adversaries: the attackers it hosts, the sampling of its honest
 * peers' gossipsub score of every attacker (how fast an attacker falls below the graylist
 * threshold), and the honest peers' counters of what they refused and limited.
 */
import { Attacker } from './adversary.js'
import type { AdversarySpec } from './scenario.js'
import type { HonestCounters, ScoreObservation, WorkerEvent } from './messages.js'
import type { SwarmNode } from '@swarm/node'

type AdversaryStats = Extract<WorkerEvent, { type: 'adversary-stats' }>

/** The Prometheus counters read from the honest peers, by the name they have in the report. */
const COUNTERS = { limited: 'swarm_limited_total', penalties: 'swarm_peer_penalties_total' } as const

/** What the sampling reads of a node's gossipsub: its score of a peer, and its thresholds. */
interface ScoredPubsub {
  getScore: (peerId: string) => number
  opts?: { scoreThresholds?: { graylistThreshold?: number } }
}

function add (into: Record<string, number>, key: string, n: number): void {
  if (n !== 0) into[key] = (into[key] ?? 0) + n
}

/** Sums one counter of `node`'s metrics registry into `into`, by its label values. */
async function readCounter (node: SwarmNode, name: string, into: Record<string, number>): Promise<void> {
  const metric = node.metrics?.registry.getSingleMetric(name)
  if (metric === undefined) return
  const { values } = await metric.get()
  for (const v of values) add(into, Object.values(v.labels).join(',') || 'all', v.value)
}

export class AdversaryRoster {
  readonly #attackers = new Map<number, Attacker>()
  readonly #scores = new Map<string, ScoreObservation>()
  #graylistThreshold: number | undefined
  #timer: NodeJS.Timeout | undefined

  /** Hosts the attacker of the (started) peer `index`. */
  add (index: number, node: SwarmNode, spec: AdversarySpec): void {
    this.#attackers.get(index)?.stop()
    this.#attackers.set(index, new Attacker(node, index, spec))
  }

  isAdversary (index: number): boolean {
    return this.#attackers.has(index)
  }

  /** Starts every attack of this thread; how many attackers it holds. */
  attack (): number {
    for (const a of this.#attackers.values()) a.start()
    return this.#attackers.size
  }

  /** Samples every `everyMs` the score each honest peer of `nodes` gives each of `attackers`. */
  watch (nodes: ReadonlyMap<number, SwarmNode>, dead: ReadonlySet<number>, attackers: string[], everyMs: number): void {
    clearInterval(this.#timer)
    const sample = (): void => {
      const now = Date.now()
      for (const [index, node] of nodes) {
        if (dead.has(index) || this.#attackers.has(index) || !node.isRunning) continue
        const pubsub = node.libp2p.services.pubsub
        // The GossipSub class has these; its exported interface does not.
        const scored = pubsub as unknown as ScoredPubsub
        this.#graylistThreshold ??= scored.opts?.scoreThresholds?.graylistThreshold
        const peers = new Set(pubsub.getPeers().map(p => p.toString()))
        for (const attacker of attackers) this.#observe(index, attacker, peers.has(attacker), scored.getScore(attacker), now)
      }
    }
    sample()
    this.#timer = setInterval(sample, everyMs)
    this.#timer.unref()
  }

  #observe (observer: number, attacker: string, connected: boolean, score: number, now: number): void {
    const key = `${observer}|${attacker}`
    let o = this.#scores.get(key)
    if (o === undefined) {
      if (!connected) return
      o = { attacker, observer, seenAt: now, minScore: score, lastScore: score }
      this.#scores.set(key, o)
    }
    o.minScore = Math.min(o.minScore, score)
    o.lastScore = score
    if (o.belowAt === undefined && this.#graylistThreshold !== undefined && score < this.#graylistThreshold) o.belowAt = now
  }

  /** Stops the attacks and the sampling; what they counted, and the honest peers' counters. */
  async collect (nodes: ReadonlyMap<number, SwarmNode>): Promise<AdversaryStats> {
    clearInterval(this.#timer)
    this.#timer = undefined
    for (const a of this.#attackers.values()) a.stop()
    const honest: HonestCounters = { gossipRejected: {}, limited: {}, penalties: {}, agentsKnownMax: 0 }
    for (const [index, node] of nodes) {
      if (this.#attackers.has(index)) continue
      honest.agentsKnownMax = Math.max(honest.agentsKnownMax, node.directory.agents.size)
      for (const [reason, n] of Object.entries(node.gossip.stats.rejected)) add(honest.gossipRejected, reason, n)
      await readCounter(node, COUNTERS.limited, honest.limited)
      await readCounter(node, COUNTERS.penalties, honest.penalties)
    }
    return {
      type: 'adversary-stats',
      attackers: [...this.#attackers.values()].map(a => ({ ...a.stats, sent: { ...a.stats.sent }, answers: { ...a.stats.answers } })),
      scores: [...this.#scores.values()].map(o => ({ ...o })),
      ...(this.#graylistThreshold !== undefined ? { graylistThreshold: this.#graylistThreshold } : {}),
      honest
    }
  }

  /** Stops every attack and the sampling (the peers are stopping). */
  stop (): void {
    clearInterval(this.#timer)
    for (const a of this.#attackers.values()) a.stop()
  }
}
