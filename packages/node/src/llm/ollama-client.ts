/**
 * The model-server port over the official `ollama` client, for Ollama's own API: a streamed
 * `POST /api/chat` (NDJSON; the token counts in the last line) and `GET /api/tags`.
 */
import { Ollama } from 'ollama'
import { LlmError, httpError, unreachable } from './errors.js'
import { AnswerCollector } from './client.js'
import type { ChatOptions, ChatRequest, ChatResult, LlmClient } from './client.js'

export interface OllamaClientInit {
  /** Ollama's root URL (a trailing /v1 or /api is dropped). */
  baseUrl: string
  apiKey?: string
  timeoutMs: number
}

/** Ollama's root for a base URL that may name its OpenAI-compatible path. */
function ollamaHost (baseUrl: string): string {
  return baseUrl.replace(/\/+$/, '').replace(/\/(v1|api)$/, '')
}

/** Ollama's ResponseError: the HTTP status and the server's `error` text. */
function statusOf (err: unknown): { status: number, message: string } | undefined {
  if (!(err instanceof Error)) return undefined
  const status = (err as { status_code?: unknown }).status_code
  return typeof status === 'number' ? { status, message: (err as { error?: unknown }).error as string ?? err.message } : undefined
}

export function ollamaClient (init: OllamaClientInit): LlmClient {
  const host = ollamaHost(init.baseUrl)
  const headers = init.apiKey === undefined ? undefined : { Authorization: `Bearer ${init.apiKey}` }
  // A fetch bound to each call's signal and the timeout (the client itself only aborts everything at once).
  const clientFor = (signal: AbortSignal): Ollama => new Ollama({
    host,
    ...(headers !== undefined ? { headers } : {}),
    fetch: async (input, options) => await fetch(input, { ...options, signal: AbortSignal.any([signal, AbortSignal.timeout(init.timeoutMs)]) })
  })
  const fail = (err: unknown, model: string, signal: AbortSignal): unknown => {
    if (signal.aborted) return signal.reason
    if (err instanceof LlmError) return err
    const http = statusOf(err)
    if (http !== undefined) return httpError(http.status, http.message, host, model)
    if (err instanceof Error && (err.name === 'TimeoutError' || (err.cause instanceof Error && err.cause.name === 'TimeoutError'))) {
      return new LlmError('LLM_TIMEOUT', `the model server at ${host} did not answer within ${init.timeoutMs} ms`, { retryable: true, cause: err })
    }
    if (err instanceof TypeError) return unreachable(host, err.cause ?? err)
    return err
  }
  return {
    async chat (request: ChatRequest, options: ChatOptions): Promise<ChatResult> {
      const answer = new AnswerCollector(request.model, options.onDelta)
      try {
        const sampling = {
          ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
          ...(request.maxTokens !== undefined ? { num_predict: request.maxTokens } : {}),
          ...(request.topP !== undefined ? { top_p: request.topP } : {})
        }
        const stream = await clientFor(options.signal).chat({
          model: request.model,
          messages: request.messages,
          stream: true,
          ...(request.json ? { format: 'json' } : {}),
          ...(Object.keys(sampling).length > 0 ? { options: sampling } : {})
        })
        for await (const part of stream) {
          answer.named(part.model)
          answer.delta(part.message?.content)
          if (part.done) {
            answer.finishReason = part.done_reason === '' ? 'stop' : part.done_reason
            const prompt = part.prompt_eval_count ?? 0
            const completion = part.eval_count ?? 0
            answer.usage = { promptTokens: prompt, completionTokens: completion, totalTokens: prompt + completion }
          }
        }
        // An aborted stream may just end: not an answer.
        if (options.signal.aborted) throw options.signal.reason
      } catch (err) {
        throw fail(err, request.model, options.signal)
      }
      return answer.result()
    },

    async models (signal: AbortSignal): Promise<string[]> {
      try {
        const list = await clientFor(signal).list()
        return list.models.map(m => m.name)
      } catch (err) {
        throw fail(err, '', signal)
      }
    }
  }
}
