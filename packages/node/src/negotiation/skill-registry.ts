import { levelRank } from '@swarm/protocol'
import { updateSkillStats } from '../core/skill-stats.js'
import type { SkillStats } from '../core/skill-stats.js'
import type { SkillConfig } from '../config.js'
import type { SkillHandler } from '../executor/types.js'
import type { Level } from '@swarm/protocol'

/** A skill this node has, with its handler (if it can do the work) and its track record. */
export interface RuntimeSkill {
  config: SkillConfig
  name: string
  level: Level
  handler?: SkillHandler
  timeoutMs: number
  stats: SkillStats
}

/**
 * The skills of this node: what it advertises, what it can do (skills with a handler), and
 * the success rate and average time of its past work per skill.
 */
export class SkillRegistry {
  readonly #skills = new Map<string, RuntimeSkill>()

  /**
   * `timeoutFor` gives a skill's handler timeout when its handler config does not hold it (an
   * `llm` handler's may come from the config's `llm` defaults); else the handler's, or 60 s.
   */
  constructor (skills: SkillConfig[], handlerFor: (config: SkillConfig) => SkillHandler | undefined, loadStats: (skill: string) => SkillStats | undefined, timeoutFor?: (config: SkillConfig) => number | undefined) {
    for (const config of skills) {
      const handler = handlerFor(config)
      this.#skills.set(config.name, {
        config,
        name: config.name,
        level: config.level,
        ...(handler !== undefined ? { handler } : {}),
        timeoutMs: config.handler?.timeoutMs ?? timeoutFor?.(config) ?? 60_000,
        stats: loadStats(config.name) ?? { successRate: config.successRate, avgCompletionMs: config.avgCompletionMs, samples: 0 }
      })
    }
  }

  get (name: string): RuntimeSkill | undefined {
    return this.#skills.get(name)
  }

  list (): RuntimeSkill[] {
    return [...this.#skills.values()]
  }

  /** Whether this node can do `skill` at `minLevel` or above (it has a handler for it). */
  canDo (skill: string, minLevel: Level): boolean {
    const s = this.#skills.get(skill)
    return s?.handler !== undefined && levelRank(s.level) >= levelRank(minLevel)
  }

  /** Skills with handlers: the ones whose announcement topics this node joins. */
  workable (): RuntimeSkill[] {
    return this.list().filter(s => s.handler !== undefined)
  }

  /** Records the outcome of one run and returns the new statistics. */
  record (skill: string, outcome: { ok: boolean, durationMs: number }): SkillStats | undefined {
    const s = this.#skills.get(skill)
    if (s === undefined) return undefined
    s.stats = updateSkillStats(s.stats, outcome)
    return s.stats
  }
}
