import type { AgentRecord, SkillQuery } from './agent-directory.js'
import type { AgentView } from '../types.js'
import type { SkillAd } from '@swarm/protocol'

/** What services read of the agent directory (implemented by AgentDirectory). */
export interface DirectoryView {
  /** Agents with a skill at a minimum level, best first. */
  find: (query: SkillQuery) => Array<AgentRecord & { skill: SkillAd }>
  get: (peerId: string) => AgentRecord | undefined
  list: () => AgentRecord[]
  readonly size: number
}

/**
 * An agent as the node's API shows it, with the reputation this node holds for it (`reputationOf`
 * is not asked about the node itself, which holds none for itself).
 */
export function agentView (record: AgentRecord, reputationOf: (peerId: string) => number): AgentView {
  return {
    peerId: record.peerId,
    name: record.card.name,
    self: record.self,
    skills: record.card.skills,
    capacity: record.card.capacity,
    load: record.load,
    addrs: record.card.addrs,
    version: record.card.software.version,
    lastSeen: record.lastSeen,
    reputation: record.self ? null : reputationOf(record.peerId)
  }
}
