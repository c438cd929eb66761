/**
 * The `llm` skill handler (issue 15): a member's part done by a model. It waits for a slot of
 * its endpoint (endpoint-slots.ts), sends the skill's system prompt and the task (prompt.ts),
 * streams the answer into progress updates (the tail of the text so far, a few a second), retries
 * what is worth retrying with backoff within its time, and returns
 * `{ text, model, usage, latencyMs, finishReason }` (with `json` when the skill asks for JSON).
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { LlmError } from './errors.js'
import { ollamaClient } from './ollama-client.js'
import { openAiClient } from './openai-client.js'
import { buildMessages, findingsOf, parseJsonAnswer, parseVote, progressTail, voteMessages } from './prompt.js'
import { endpointKey } from './settings.js'
import type { ChatResult, LlmClient } from './client.js'
import type { VoteSubject } from './prompt.js'
import type { EndpointSlots } from './endpoint-slots.js'
import type { ResolvedLlmSettings } from './settings.js'
import type { HandlerContext, SkillHandler } from '../executor/types.js'
import type { VoteInput } from '../group/inputs.js'
import type { Json } from '@swarm/protocol'

/** Longest progress message (TASK_UPDATE allows 256 characters). */
const PROGRESS_CHARS = 240
/** Least time between two progress updates of a streaming answer. */
const PROGRESS_EVERY_MS = 250
/** First pause before a retry; doubled each time. */
const BACKOFF_MS = 500

/** One finished call, for metrics and reports. */
export interface LlmCall {
  skill: string
  model: string
  ok: boolean
  /** The failure's code, when not ok. */
  code?: string
  promptTokens: number
  completionTokens: number
  latencyMs: number
  firstTokenMs?: number
}

export interface LlmHandlerDeps {
  slots: EndpointSlots
  /** Where the API key is read from (the variable llm.apiKeyEnv names). */
  env: Readonly<Record<string, string | undefined>>
  /** The model-server client for these settings (default: the openai or ollama adapter). */
  clientFor?: (settings: ResolvedLlmSettings, apiKey: string | undefined) => LlmClient
  /** Told of every call that ended (metrics). */
  onCall?: (call: LlmCall) => void
}

/** The client of the settings' API. */
export function defaultClient (settings: ResolvedLlmSettings, apiKey: string | undefined): LlmClient {
  const init = { baseUrl: settings.baseUrl, timeoutMs: settings.timeoutMs, ...(apiKey !== undefined ? { apiKey } : {}) }
  return settings.api === 'ollama' ? ollamaClient(init) : openAiClient(init)
}

/** The handler of one `llm` skill. */
export function llmHandler (settings: ResolvedLlmSettings, deps: LlmHandlerDeps): SkillHandler {
  const clientFor = deps.clientFor ?? defaultClient
  return async (input: Json, ctx: HandlerContext): Promise<Json> => {
    const apiKey = settings.apiKeyEnv === undefined ? undefined : deps.env[settings.apiKeyEnv]
    if (settings.apiKeyEnv !== undefined && (apiKey === undefined || apiKey === '')) {
      throw new LlmError('LLM_NO_KEY', `the API key is missing: set the environment variable ${settings.apiKeyEnv} (named by llm.apiKeyEnv) where the node starts`)
    }
    const client = clientFor(settings, apiKey)
    // The model's own time, a moment before the part's (runHandler's timer), so that a slow
    // model fails as LLM_TIMEOUT, naming what to change, rather than as a bare handler timeout.
    const budgetMs = Math.max(1, Math.min(settings.timeoutMs, ctx.deadline - Date.now()) - TIMEOUT_MARGIN_MS)
    const timer = AbortSignal.timeout(budgetMs)
    const signal = AbortSignal.any([ctx.signal, timer])
    let result: { chat: ChatResult, latencyMs: number }
    try {
      result = await call(client, settings, deps, ctx.skill, signal, async () => await complete(client, settings, input, ctx, signal))
    } catch (err) {
      if (!timer.aborted || ctx.signal.aborted) throw err
      throw new LlmError('LLM_TIMEOUT', `the model "${settings.model}" at ${settings.baseUrl} did not finish within ${budgetMs} ms: raise llm.timeoutMs (or the task's deadline), or use a faster model`, { cause: err })
    }
    if (settings.findings && ctx.postFinding !== undefined) {
      for (const content of findingsOf(result.chat.text)) ctx.postFinding({ kind: 'observation', content, confidence: FINDING_CONFIDENCE })
    }
    // The votes, when the skill votes by its model: on the verification once the group's results
    // are in, and on the proposals other members open while the group lasts.
    if (settings.vote === 'model') {
      const { skill, description } = ctx
      ctx.onVerify?.(async proposal => await modelVote(client, settings, deps, { skill, description, subject: { kind: 'verification', results: resultsOf(proposal.params) } }))
      ctx.onProposal?.(async proposal => await modelVote(client, settings, deps, { skill, description, subject: { kind: 'proposal', action: proposal.action, params: proposal.params } }))
    }
    return resultOf(result.chat, result.latencyMs, settings)
  }
}

/** How much sooner than the part's time limit the model's own ends. */
const TIMEOUT_MARGIN_MS = 250

/** Confidence of a finding taken from an answer. */
const FINDING_CONFIDENCE = 0.7

/**
 * One model call as a part or a vote: a slot of the endpoint, retries, and the call reported
 * (metrics, totals) whatever its end.
 */
async function call (client: LlmClient, settings: ResolvedLlmSettings, deps: LlmHandlerDeps, skill: string, signal: AbortSignal, run: () => Promise<ChatResult>): Promise<{ chat: ChatResult, latencyMs: number }> {
  const release = await deps.slots.acquire(endpointKey(settings), settings.maxConcurrent, signal)
  const started = Date.now()
  try {
    const chat = await withRetries(settings, signal, run)
    const latencyMs = Date.now() - started
    deps.onCall?.({ skill, model: chat.model, ok: true, promptTokens: chat.usage.promptTokens, completionTokens: chat.usage.completionTokens, latencyMs, ...(chat.firstTokenMs !== undefined ? { firstTokenMs: chat.firstTokenMs } : {}) })
    return { chat, latencyMs }
  } catch (err) {
    deps.onCall?.({ skill, model: settings.model, ok: false, code: err instanceof LlmError ? err.llmCode : 'LLM_OTHER', promptTokens: 0, completionTokens: 0, latencyMs: Date.now() - started })
    throw err
  } finally {
    release()
  }
}

/** The results a verification proposal shows its voters (`params.results`, see negotiation/announcer/verification.ts). */
function resultsOf (params: Json | undefined): Json | undefined {
  return typeof params === 'object' && params !== null && !Array.isArray(params) ? params.results : undefined
}

/**
 * The member's vote by its model (on the verification or a proposal): approve → yes, reject → no, with the model's
 * confidence and reason; an answer that is not a vote, or a failed call, is an abstention that
 * says why (never a crash of the vote).
 */
async function modelVote (client: LlmClient, settings: ResolvedLlmSettings, deps: LlmHandlerDeps, parts: { skill: string, description: string, subject: VoteSubject }): Promise<VoteInput> {
  const messages = voteMessages({ system: settings.system, ...parts })
  const signal = AbortSignal.timeout(settings.timeoutMs)
  try {
    const { chat } = await call(client, settings, deps, parts.skill, signal, async () => await client.chat({
      model: settings.model,
      messages,
      json: true,
      ...(settings.temperature !== undefined ? { temperature: settings.temperature } : {}),
      ...(settings.topP !== undefined ? { topP: settings.topP } : {})
    }, { signal, onDelta: () => {} }))
    return parseVote(chat.text)
  } catch (err) {
    return { choice: 'abstain', confidence: 0, reason: `the model could not be asked for a vote: ${err instanceof Error ? err.message : String(err)}`.slice(0, 4000) }
  }
}

/** One completion: the prompt out, the answer streamed into progress updates. */
async function complete (client: LlmClient, settings: ResolvedLlmSettings, input: Json, ctx: HandlerContext, signal: AbortSignal): Promise<ChatResult> {
  const findings = ctx.blackboard?.().findings.map(f => ({ kind: f.kind, content: f.content, confidence: f.confidence }))
  const messages = buildMessages({
    system: settings.system,
    skill: ctx.skill,
    description: ctx.description,
    input,
    output: settings.output,
    askFindings: settings.findings,
    ...(findings !== undefined ? { findings } : {}),
    ...(ctx.workflow !== undefined ? { workflow: ctx.workflow } : {})
  })
  let text = ''
  let lastProgressAt = 0
  const result = await client.chat({
    model: settings.model,
    messages,
    json: settings.output === 'json',
    ...(settings.temperature !== undefined ? { temperature: settings.temperature } : {}),
    ...(settings.maxTokens !== undefined ? { maxTokens: settings.maxTokens } : {}),
    ...(settings.topP !== undefined ? { topP: settings.topP } : {})
  }, {
    signal,
    onDelta: delta => {
      text += delta
      const now = Date.now()
      if (now - lastProgressAt < PROGRESS_EVERY_MS) return
      lastProgressAt = now
      ctx.progress(progressOf(text, settings.maxTokens), progressTail(text, PROGRESS_CHARS))
    }
  })
  if (result.text.trim() === '') {
    throw new LlmError('LLM_EMPTY', `the model "${result.model}" at ${settings.baseUrl} gave an empty answer (finish reason: ${result.finishReason})`, { retryable: true })
  }
  return result
}

/** How far a streaming answer is: its length against maxTokens (about 4 characters a token), short of 1. */
function progressOf (text: string, maxTokens: number | undefined): number {
  if (maxTokens === undefined) return 0.5
  return Math.min(0.95, text.length / 4 / maxTokens)
}

/** The member's result. */
function resultOf (result: ChatResult, latencyMs: number, settings: ResolvedLlmSettings): Json {
  const out: Record<string, Json> = {
    text: result.text,
    model: result.model,
    usage: { promptTokens: result.usage.promptTokens, completionTokens: result.usage.completionTokens, totalTokens: result.usage.totalTokens },
    latencyMs,
    finishReason: result.finishReason
  }
  if (result.firstTokenMs !== undefined) out.firstTokenMs = result.firstTokenMs
  if (settings.output === 'json') {
    const json = parseJsonAnswer(result.text)
    if (json === undefined) throw new LlmError('LLM_BAD_JSON', `the model "${result.model}" was asked for JSON and answered something else: ${JSON.stringify(result.text.slice(0, 200))}`)
    out.json = json
  }
  return out
}

/**
 * Runs `call`, again after a pause (500 ms, doubled each time) when it fails with a retryable
 * LlmError, at most settings.retries more times, while the part is not aborted.
 */
async function withRetries<T> (settings: ResolvedLlmSettings, signal: AbortSignal, call: () => Promise<T>): Promise<T> {
  for (let retry = 0; ; retry++) {
    try {
      return await call()
    } catch (err) {
      if (!(err instanceof LlmError) || !err.retryable || retry >= settings.retries || signal.aborted) throw err
      await sleep(BACKOFF_MS * 2 ** retry, undefined, { signal }).catch(() => { throw signal.reason ?? err })
    }
  }
}
