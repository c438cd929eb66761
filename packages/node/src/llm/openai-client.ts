/**
 * The model-server port over the official `openai` client, for any server that speaks OpenAI's
 * chat completions (LM Studio, vLLM, llama.cpp's server, Ollama's /v1, hosted APIs): a streamed
 * `POST <baseUrl>/chat/completions` with the usage in the last chunk, and `GET <baseUrl>/models`.
 * The client's own retries are off (the handler retries, within its timeout, and says so).
 */
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai'
import { LlmError, httpError, unreachable } from './errors.js'
import { AnswerCollector } from './client.js'
import type { ChatOptions, ChatRequest, ChatResult, LlmClient } from './client.js'

export interface OpenAiClientInit {
  baseUrl: string
  /** The API key, if the server wants one (read from the variable llm.apiKeyEnv names). */
  apiKey?: string
  /** Longest wait for one request. */
  timeoutMs: number
}

/** The message of an APIError as the server wrote it (OpenAI's error.message, or the raw body). */
function serverMessage (err: APIError): string {
  const body: unknown = err.error
  if (typeof body === 'object' && body !== null) {
    const { message, error } = body as Record<string, unknown>
    if (typeof message === 'string') return message
    if (typeof error === 'string') return error
  }
  return err.message
}

export function openAiClient (init: OpenAiClientInit): LlmClient {
  const client = new OpenAI({ baseURL: init.baseUrl, apiKey: init.apiKey ?? 'none', maxRetries: 0, timeout: init.timeoutMs })
  const fail = (err: unknown, model: string, signal: AbortSignal): unknown => {
    if (signal.aborted) return signal.reason
    if (err instanceof LlmError) return err
    if (err instanceof APIUserAbortError) return signal.reason ?? err
    if (err instanceof APIConnectionTimeoutError) return new LlmError('LLM_TIMEOUT', `the model server at ${init.baseUrl} did not answer within ${init.timeoutMs} ms`, { retryable: true, cause: err })
    if (err instanceof APIConnectionError) return unreachable(init.baseUrl, err.cause ?? err)
    if (err instanceof APIError && typeof err.status === 'number') return httpError(err.status, serverMessage(err), init.baseUrl, model)
    return err
  }
  return {
    async chat (request: ChatRequest, options: ChatOptions): Promise<ChatResult> {
      const answer = new AnswerCollector(request.model, options.onDelta)
      try {
        const stream = await client.chat.completions.create({
          model: request.model,
          messages: request.messages,
          stream: true,
          stream_options: { include_usage: true },
          ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
          ...(request.maxTokens !== undefined ? { max_tokens: request.maxTokens } : {}),
          ...(request.topP !== undefined ? { top_p: request.topP } : {})
        }, { signal: options.signal })
        for await (const chunk of stream) {
          answer.named(chunk.model)
          const choice = chunk.choices[0]
          answer.delta(choice?.delta?.content)
          if (typeof choice?.finish_reason === 'string') answer.finishReason = choice.finish_reason
          if (chunk.usage != null) answer.usage = { promptTokens: chunk.usage.prompt_tokens, completionTokens: chunk.usage.completion_tokens, totalTokens: chunk.usage.total_tokens }
        }
        // An aborted stream may just end (the openai client's does): not an answer.
        if (options.signal.aborted) throw options.signal.reason
      } catch (err) {
        throw fail(err, request.model, options.signal)
      }
      return answer.result()
    },

    async models (signal: AbortSignal): Promise<string[]> {
      try {
        const ids: string[] = []
        for await (const model of client.models.list({ signal })) ids.push(model.id)
        return ids
      } catch (err) {
        throw fail(err, '', signal)
      }
    }
  }
}
