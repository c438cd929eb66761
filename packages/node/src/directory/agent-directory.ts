import { levelRank } from '@swarm/protocol'
import type { AgentCardBody, Level, SkillAd } from '@swarm/protocol'

/** What the directory knows about one agent. */
export interface AgentRecord {
  peerId: string
  card: AgentCardBody
  /** When we last heard from the agent (card or heartbeat), epoch ms. */
  lastSeen: number
  /** Load reported by the latest card or heartbeat. */
  load: number
  /** True for this node's own record. */
  self: boolean
  /**
   * True when we heard the agent itself (its signed gossip); false for a card another peer
   * passed on (a hint where to find whom, until the agent speaks for itself).
   */
  verified: boolean
}

export interface SkillQuery {
  skill: string
  /** Lowest acceptable level (default: any). */
  minLevel?: Level
}

/** `refused`: a new agent while the directory is full (see AgentDirectory's maxAgents). */
export type UpsertResult = 'added' | 'updated' | 'unchanged' | 'stale' | 'refused'

/**
 * The agent cards a node has heard, keyed by the authenticated sender. A pure data structure:
 * time is passed in, so expiry is deterministic and unit-testable.
 */
export class AgentDirectory {
  readonly #agents = new Map<string, AgentRecord>()
  readonly #maxAgents: number

  /** `maxAgents`: agents kept at most, this node included; beyond it new agents are refused (known ones still updated). */
  constructor (maxAgents = Number.POSITIVE_INFINITY) {
    this.#maxAgents = maxAgents
  }

  /** Whether a new agent would be refused now. */
  get full (): boolean {
    return this.#agents.size >= this.#maxAgents
  }

  /**
   * Records a card. A card older than the one we have — an earlier start, or the same start
   * with a lower sequence number — is stale and ignored.
   */
  upsert (peerId: string, card: AgentCardBody, now: number, self = false): UpsertResult {
    const current = this.#agents.get(peerId)
    if (current !== undefined) {
      const older = card.startedAt < current.card.startedAt ||
        (card.startedAt === current.card.startedAt && card.seq < current.card.seq)
      if (older) return 'stale'
      const same = card.startedAt === current.card.startedAt && card.seq === current.card.seq
      current.lastSeen = Math.max(current.lastSeen, now)
      current.load = card.load
      current.verified = true
      if (same) return 'unchanged'
      current.card = card
      return 'updated'
    }
    if (!self && this.full) return 'refused'
    this.#agents.set(peerId, { peerId, card, lastSeen: now, load: card.load, self, verified: true })
    return 'added'
  }

  /**
   * Records a card passed on by another peer, heard `seenAt`. It never replaces what the agent
   * told us itself; among hearsay, the newer card wins.
   */
  upsertHearsay (peerId: string, card: AgentCardBody, seenAt: number): UpsertResult {
    const current = this.#agents.get(peerId)
    if (current !== undefined) {
      if (current.verified) return 'unchanged'
      const older = card.startedAt < current.card.startedAt ||
        (card.startedAt === current.card.startedAt && card.seq <= current.card.seq)
      if (older) {
        current.lastSeen = Math.max(current.lastSeen, seenAt)
        return 'unchanged'
      }
      current.card = card
      current.load = card.load
      current.lastSeen = Math.max(current.lastSeen, seenAt)
      return 'updated'
    }
    if (this.full) return 'refused'
    this.#agents.set(peerId, { peerId, card, lastSeen: seenAt, load: card.load, self: false, verified: false })
    return 'added'
  }

  /** Records a heartbeat: the agent is alive, and its load. Unknown agents are ignored. */
  touch (peerId: string, load: number, now: number): boolean {
    const current = this.#agents.get(peerId)
    if (current === undefined) return false
    current.lastSeen = Math.max(current.lastSeen, now)
    current.load = load
    return true
  }

  /** Removes agents silent for longer than `ttlMs`; returns their peer ids. */
  expire (now: number, ttlMs: number): string[] {
    const removed: string[] = []
    for (const [peerId, record] of this.#agents) {
      if (!record.self && now - record.lastSeen > ttlMs) {
        this.#agents.delete(peerId)
        removed.push(peerId)
      }
    }
    return removed
  }

  remove (peerId: string): boolean {
    return this.#agents.delete(peerId)
  }

  get (peerId: string): AgentRecord | undefined {
    return this.#agents.get(peerId)
  }

  get size (): number {
    return this.#agents.size
  }

  /** Agents heard first-hand (their own signed card, or a card on their own stream), this node included. */
  get firstHand (): number {
    let n = 0
    for (const record of this.#agents.values()) if (record.verified) n++
    return n
  }

  list (): AgentRecord[] {
    return [...this.#agents.values()].sort((a, b) => a.card.name.localeCompare(b.card.name) || a.peerId.localeCompare(b.peerId))
  }

  /**
   * Agents that have `skill` at `minLevel` or above, best level first, then by success rate,
   * then by free capacity.
   */
  /**
   * The peer ids of the agents with a handler for `query.skill` at `minLevel` or above (this
   * node included unless `withSelf` is false), in no particular order: what find gives without
   * the copies and the sort, for the callers that only need the set (every announcement heard
   * asks it).
   */
  peersWith (query: SkillQuery, withSelf = true): string[] {
    const min = query.minLevel === undefined ? 0 : levelRank(query.minLevel)
    const peers: string[] = []
    for (const record of this.#agents.values()) {
      if (!withSelf && record.self) continue
      const skill = record.card.skills.find(s => s.name === query.skill)
      if (skill?.hasHandler === true && levelRank(skill.level) >= min) peers.push(record.peerId)
    }
    return peers
  }

  find (query: SkillQuery): Array<AgentRecord & { skill: SkillAd }> {
    const min = query.minLevel === undefined ? 0 : levelRank(query.minLevel)
    const found: Array<AgentRecord & { skill: SkillAd }> = []
    for (const record of this.#agents.values()) {
      const skill = record.card.skills.find(s => s.name === query.skill)
      if (skill !== undefined && levelRank(skill.level) >= min) found.push({ ...record, skill })
    }
    return found.sort((a, b) =>
      levelRank(b.skill.level) - levelRank(a.skill.level) ||
      b.skill.successRate - a.skill.successRate ||
      (b.card.capacity - b.load) - (a.card.capacity - a.load) ||
      a.peerId.localeCompare(b.peerId))
  }
}
