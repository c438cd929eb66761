/**
 * The check at start of the models the `llm` skills name (issue 15): each endpoint is asked once
 * for its models (`GET /v1/models`, `GET /api/tags`); a model it does not list, or an endpoint
 * that cannot be reached, is a warning (the node still starts: the server may come up later, and
 * each task's part would then fail with the same code).
 */
import { LlmError } from './errors.js'
import { endpointKey } from './settings.js'
import type { LlmClient } from './client.js'
import type { ResolvedLlmSettings } from './settings.js'

export interface ModelProblem {
  skill: string
  model: string
  baseUrl: string
  code: string
  message: string
}

/** Longest wait for an endpoint's list of models. */
const LIST_TIMEOUT_MS = 5_000

export async function checkModels (skills: ReadonlyArray<{ skill: string, settings: ResolvedLlmSettings }>, clientFor: (settings: ResolvedLlmSettings) => LlmClient): Promise<ModelProblem[]> {
  const byEndpoint = new Map<string, Array<{ skill: string, settings: ResolvedLlmSettings }>>()
  for (const s of skills) {
    const key = endpointKey(s.settings)
    byEndpoint.set(key, [...(byEndpoint.get(key) ?? []), s])
  }
  const problems = await Promise.all([...byEndpoint.values()].map(async group => {
    const first = group[0]
    if (first === undefined) return []
    let models: string[]
    try {
      models = await clientFor(first.settings).models(AbortSignal.timeout(LIST_TIMEOUT_MS))
    } catch (err) {
      const code = err instanceof LlmError ? err.llmCode : 'LLM_UNREACHABLE'
      const message = err instanceof Error ? err.message : String(err)
      return group.map(s => ({ skill: s.skill, model: s.settings.model, baseUrl: s.settings.baseUrl, code, message }))
    }
    // Ollama lists "name:tag"; a model named without its tag means ":latest".
    const served = new Set(models.flatMap(m => m.endsWith(':latest') ? [m, m.slice(0, -':latest'.length)] : [m]))
    return group.filter(s => !served.has(s.settings.model)).map(s => ({
      skill: s.skill,
      model: s.settings.model,
      baseUrl: s.settings.baseUrl,
      code: 'LLM_MODEL_NOT_FOUND',
      message: `the model server at ${s.settings.baseUrl} does not list "${s.settings.model}" (it has ${models.length === 0 ? 'none' : models.slice(0, 10).join(', ')}): pull or load it, or name another`
    }))
  }))
  return problems.flat()
}
