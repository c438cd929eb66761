import { SOFTWARE } from '../version.js'
import type { SkillConfig } from '../config.js'
import type { AgentCardBody } from '@swarm/protocol'

/** What goes into this agent's card besides its configured skills. */
export interface CardFacts {
  name: string
  skills: SkillConfig[]
  /** The track record of a skill (handler runs on this node), when it has one. */
  statsOf: (skill: string) => { successRate: number, avgCompletionMs: number } | undefined
  capacity: number
  load: number
  /** Dialable addresses (empty until the node listens). */
  addrs: string[]
  startedAt: number
}

/** Addresses a card carries at most. */
const MAX_CARD_ADDRS = 16

/**
 * This agent's card (without `seq`, which the directory service keeps): its skills with their
 * observed success rate and completion time (the configured ones until it has worked), whether
 * each has a handler, its capacity and load, where to reach it. Pure.
 */
export function buildAgentCard (facts: CardFacts): Omit<AgentCardBody, 'seq'> {
  return {
    name: facts.name,
    software: { ...SOFTWARE },
    skills: facts.skills.map(skill => ({
      id: skill.id ?? skill.name,
      name: skill.name,
      level: skill.level,
      successRate: facts.statsOf(skill.name)?.successRate ?? skill.successRate,
      avgCompletionMs: facts.statsOf(skill.name)?.avgCompletionMs ?? skill.avgCompletionMs,
      description: skill.description,
      tags: skill.tags,
      examples: skill.examples,
      inputModes: skill.inputModes,
      outputModes: skill.outputModes,
      hasHandler: skill.handler !== undefined
    })),
    capacity: facts.capacity,
    load: facts.load,
    addrs: facts.addrs.slice(0, MAX_CARD_ADDRS),
    startedAt: facts.startedAt
  }
}
