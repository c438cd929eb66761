import type { AgentView } from '../../src/types.js'
import type { SkillAd } from '@swarm/protocol'

/** A skill ad as the directory holds it. */
export function ad (name: string, level: SkillAd['level'], extra: Partial<SkillAd> = {}): SkillAd {
  return { id: name, name, level, successRate: 1, avgCompletionMs: 100, description: '', tags: [], examples: [], inputModes: ['application/json'], outputModes: ['application/json'], hasHandler: true, ...extra }
}

/** An agent of the directory with these skills. */
export function agent (name: string, skills: SkillAd[]): AgentView {
  return { peerId: `peer-${name}`, name, self: false, skills, capacity: 4, load: 0, addrs: [], version: '0.1.0', lastSeen: 0, reputation: 0.5 }
}
