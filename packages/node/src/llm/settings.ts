/**
 * The settings of an `llm` skill handler (issue 15): which server and model, how to sample, how
 * long to wait, how many requests at once. They can be given at three levels, the later winning:
 * the config file's `llm` block (defaults for every llm skill), a role preset (roles.ts), and the
 * skill's own `handler`. Pure: resolving them reads nothing but its arguments.
 */
import { z } from 'zod'
import { SwarmError } from '../errors.js'
import { ROLE_NAMES } from './role-names.js'

/** The wire APIs an `llm` handler speaks: OpenAI chat completions, or Ollama's own. */
export const LLM_APIS = ['openai', 'ollama'] as const
export type LlmApi = (typeof LLM_APIS)[number]

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** Every setting, each optional: a layer gives only what it changes. */
export const LlmSettingsSchema = z.object({
  /** `openai`: POST <baseUrl>/chat/completions (LM Studio, vLLM, llama.cpp, Ollama's /v1, hosted APIs); `ollama`: Ollama's /api/chat. */
  api: z.enum(LLM_APIS).optional(),
  /** Where the server listens: for `openai` up to the version path (…/v1), for `ollama` its root. */
  baseUrl: z.url({ protocol: /^https?$/, error: 'an http or https URL, e.g. http://127.0.0.1:11434/v1' }).optional(),
  model: z.string().min(1).max(256).optional(),
  temperature: z.number().min(0).max(2).optional(),
  /** Completion tokens at most (OpenAI `max_tokens`, Ollama `num_predict`). */
  maxTokens: z.number().int().min(1).max(1_000_000).optional(),
  topP: z.number().min(0).max(1).optional(),
  /** The system prompt. */
  system: z.string().max(32_000).optional(),
  /** Longest time for one part, retries included. */
  timeoutMs: z.number().int().positive().max(3_600_000).optional(),
  /** The name of the environment variable holding the API key (a key never sits in a config file or a flag). */
  apiKeyEnv: z.string().regex(ENV_NAME, 'an environment variable name').optional(),
  /** Requests this node sends to one endpoint (api + baseUrl) at once, whatever its capacity. */
  maxConcurrent: z.number().int().min(1).max(256).optional(),
  /** `json`: the answer must be one JSON value, returned parsed as `json` beside the text. */
  output: z.enum(['text', 'json']).optional(),
  /** Retries of a rate-limited (429) or failed (5xx, connection reset) request, with backoff, within timeoutMs. */
  retries: z.number().int().min(0).max(10).optional(),
  /** The member's vote when the group verifies the task's result: `model` asks the model to judge the results; `result` (default) votes yes when its own part succeeded. */
  vote: z.enum(['model', 'result']).optional(),
  /** Ask the model for findings (lines starting with FINDING:) and post them on the group's blackboard. */
  findings: z.boolean().optional()
}).strict()

export type LlmSettings = z.infer<typeof LlmSettingsSchema>

/**
 * A skill's `handler: { kind: llm, … }`: its own layer of settings, and the role preset it
 * starts from (roles.ts; default: the skill's name, when it is a role).
 */
export const LlmHandlerSchema = LlmSettingsSchema.extend({ kind: z.literal('llm'), role: z.enum(ROLE_NAMES).optional() }).strict()

/** The config file's `llm` block: the defaults of every llm skill, and overrides per role. */
export const LlmConfigSchema = LlmSettingsSchema.extend({
  roles: z.partialRecord(z.enum(ROLE_NAMES), LlmSettingsSchema).default({})
}).strict()

/** The settings an `llm` handler runs with: every layer merged, the defaults filled in. */
export interface ResolvedLlmSettings {
  api: LlmApi
  baseUrl: string
  model: string
  temperature?: number
  maxTokens?: number
  topP?: number
  system: string
  timeoutMs: number
  apiKeyEnv?: string
  maxConcurrent: number
  output: 'text' | 'json'
  retries: number
  vote: 'model' | 'result'
  findings: boolean
}

/** What an `llm` skill gets when no layer says otherwise. */
export const LLM_DEFAULTS = {
  api: 'openai',
  /** Ollama's OpenAI-compatible endpoint on this machine. */
  baseUrl: 'http://127.0.0.1:11434/v1',
  /** Ollama's own API on this machine. */
  ollamaBaseUrl: 'http://127.0.0.1:11434',
  timeoutMs: 120_000,
  maxConcurrent: 1,
  output: 'text',
  retries: 2,
  vote: 'result',
  findings: false,
  system: 'You are an agent in a swarm of agents. Do the task you are given, well and completely. Answer with the result only.'
} as const

/**
 * Merges the layers (later ones win, field by field) and fills in the defaults. Throws
 * SwarmError CONFIG_INVALID when no layer names a model. `skill` names the skill in the message.
 */
export function resolveLlmSettings (layers: ReadonlyArray<LlmSettings | undefined>, skill: string): ResolvedLlmSettings {
  const merged: LlmSettings = {}
  for (const layer of layers) {
    if (layer === undefined) continue
    for (const [key, value] of Object.entries(layer)) {
      if (value !== undefined && key !== 'kind' && key !== 'role' && key !== 'roles') (merged as Record<string, unknown>)[key] = value
    }
  }
  if (merged.model === undefined) {
    throw new SwarmError('CONFIG_INVALID', `skill "${skill}": an llm handler needs a model: set llm.model in the config file, model in the skill's handler, or --llm-model`)
  }
  const api = merged.api ?? LLM_DEFAULTS.api
  return {
    api,
    baseUrl: trimSlash(merged.baseUrl ?? (api === 'ollama' ? LLM_DEFAULTS.ollamaBaseUrl : LLM_DEFAULTS.baseUrl)),
    model: merged.model,
    ...(merged.temperature !== undefined ? { temperature: merged.temperature } : {}),
    ...(merged.maxTokens !== undefined ? { maxTokens: merged.maxTokens } : {}),
    ...(merged.topP !== undefined ? { topP: merged.topP } : {}),
    system: merged.system ?? LLM_DEFAULTS.system,
    timeoutMs: merged.timeoutMs ?? LLM_DEFAULTS.timeoutMs,
    ...(merged.apiKeyEnv !== undefined ? { apiKeyEnv: merged.apiKeyEnv } : {}),
    maxConcurrent: merged.maxConcurrent ?? LLM_DEFAULTS.maxConcurrent,
    output: merged.output ?? LLM_DEFAULTS.output,
    retries: merged.retries ?? LLM_DEFAULTS.retries,
    vote: merged.vote ?? LLM_DEFAULTS.vote,
    findings: merged.findings ?? LLM_DEFAULTS.findings
  }
}

function trimSlash (url: string): string {
  return url.replace(/\/+$/, '')
}

/** The key of an endpoint, for the cap on requests at once: the API and the server. */
export function endpointKey (settings: Pick<ResolvedLlmSettings, 'api' | 'baseUrl'>): string {
  return `${settings.api} ${settings.baseUrl}`
}

export type LlmConfig = z.infer<typeof LlmConfigSchema>
