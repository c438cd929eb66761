/**
 * The port an `llm` handler talks to a model server through (openai-client.ts, ollama-client.ts),
 * so that the handler's logic (retries, the cap per endpoint, streaming progress) is tested with
 * a fake, and the adapters against a local server that speaks the real wire protocols. Also
 * what both adapters add a streamed answer up with (AnswerCollector).
 */
import type { ChatMessage } from './prompt.js'

export interface ChatRequest {
  model: string
  messages: ChatMessage[]
  temperature?: number
  maxTokens?: number
  topP?: number
  /** The answer must be JSON (Ollama's `format: json`; OpenAI servers are told in the prompt). */
  json: boolean
}

export interface TokenUsage {
  promptTokens: number
  completionTokens: number
  totalTokens: number
}

export interface ChatResult {
  text: string
  /** The model that answered, as the server names it. */
  model: string
  /** Why the model stopped (`stop`, `length`, …), as the server says. */
  finishReason: string
  usage: TokenUsage
  /** Milliseconds from the request to the first token of the answer, when one came. */
  firstTokenMs?: number
}

export interface ChatOptions {
  signal: AbortSignal
  /** Each piece of the answer as it streams in. */
  onDelta: (text: string) => void
}

export interface LlmClient {
  /** One chat completion, streamed. Throws an LlmError (errors.ts) or the signal's reason. */
  chat: (request: ChatRequest, options: ChatOptions) => Promise<ChatResult>
  /** The models the server offers (`GET /v1/models`, `GET /api/tags`). */
  models: (signal: AbortSignal) => Promise<string[]>
}

/**
 * What a streamed answer adds up to, as its pieces arrive (both adapters): the text, the model
 * the server named, why it stopped, the token counts, and when the first token came.
 */
export class AnswerCollector {
  readonly #started = Date.now()
  readonly #onDelta: (text: string) => void
  text = ''
  model: string
  finishReason = 'unknown'
  usage: TokenUsage = { promptTokens: 0, completionTokens: 0, totalTokens: 0 }
  #firstTokenMs?: number

  constructor (model: string, onDelta: (text: string) => void) {
    this.model = model
    this.#onDelta = onDelta
  }

  /** A piece of the answer (an empty one is not). */
  delta (piece: unknown): void {
    if (typeof piece !== 'string' || piece === '') return
    this.#firstTokenMs ??= Date.now() - this.#started
    this.text += piece
    this.#onDelta(piece)
  }

  /** The model as a chunk names it (an empty name changes nothing). */
  named (model: string): void {
    if (model !== '') this.model = model
  }

  result (): ChatResult {
    return { text: this.text, model: this.model, finishReason: this.finishReason, usage: this.usage, ...(this.#firstTokenMs !== undefined ? { firstTokenMs: this.#firstTokenMs } : {}) }
  }
}
