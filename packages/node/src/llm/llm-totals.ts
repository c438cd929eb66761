/**
 * This agent's totals of model calls (issue 15), for `swarm-node status` and `GET /v1/status`:
 * requests, failures, tokens and time, in all and per skill (a role's skill is named after it).
 */
import type { LlmCall } from './llm-handler.js'

export interface LlmFigures {
  requests: number
  failures: number
  promptTokens: number
  completionTokens: number
  /** Mean time of a call (retries and the wait for a slot included), ms. */
  meanLatencyMs: number
}

export interface LlmTotalsView extends LlmFigures {
  bySkill: Record<string, LlmFigures & { models: string[] }>
}

interface Sums {
  requests: number
  failures: number
  promptTokens: number
  completionTokens: number
  latencyMs: number
  models: Set<string>
}

const empty = (): Sums => ({ requests: 0, failures: 0, promptTokens: 0, completionTokens: 0, latencyMs: 0, models: new Set() })

function figures (s: Sums): LlmFigures {
  return { requests: s.requests, failures: s.failures, promptTokens: s.promptTokens, completionTokens: s.completionTokens, meanLatencyMs: s.requests === 0 ? 0 : Math.round(s.latencyMs / s.requests) }
}

export class LlmTotals {
  readonly #all = empty()
  readonly #bySkill = new Map<string, Sums>()

  add (call: LlmCall): void {
    const skill = this.#bySkill.get(call.skill) ?? empty()
    this.#bySkill.set(call.skill, skill)
    for (const s of [this.#all, skill]) {
      s.requests++
      if (!call.ok) s.failures++
      s.promptTokens += call.promptTokens
      s.completionTokens += call.completionTokens
      s.latencyMs += call.latencyMs
      s.models.add(call.model)
    }
  }

  view (): LlmTotalsView {
    const bySkill: LlmTotalsView['bySkill'] = {}
    for (const [skill, s] of this.#bySkill) bySkill[skill] = { ...figures(s), models: [...s.models] }
    return { ...figures(this.#all), bySkill }
  }
}
