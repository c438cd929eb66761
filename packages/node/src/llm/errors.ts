/**
 * How an `llm` handler fails (issue 15): one code per cause a user can act on, each failing only
 * that member's part (a HandlerError with the code, on the wire as the part's error code).
 */
import { HandlerError } from '../executor/types.js'
import type { HandlerErrorCode } from '../executor/types.js'

/** The codes of {@link LlmError}: the LLM_ ones of executor/types.ts HANDLER_ERROR_CODES. */
export type LlmErrorCode = Extract<HandlerErrorCode, `LLM_${string}`>

/** A model server failure. `retryable`: worth another try after a pause (429, 5xx, a reset). */
export class LlmError extends HandlerError {
  readonly llmCode: LlmErrorCode
  readonly retryable: boolean
  /** The HTTP status, when the server answered. */
  readonly status?: number

  constructor (code: LlmErrorCode, message: string, options: { retryable?: boolean, status?: number, cause?: unknown } = {}) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'LlmError'
    this.llmCode = code
    this.retryable = options.retryable ?? false
    if (options.status !== undefined) this.status = options.status
  }
}

/** Phrases servers use for a prompt longer than the model's context (OpenAI, vLLM, llama.cpp, LM Studio, Ollama). */
const CONTEXT_TOO_LONG = /context length|context window|maximum context|too many tokens|exceeds? the (available )?context|prompt is too long|n_ctx/i
/** Phrases for a model the server does not have. */
const MODEL_NOT_FOUND = /model .*not found|not found.*model|no such model|model_not_found|does not exist|try pulling it/i

/**
 * The error of an HTTP answer `status` with the server's `message`, for the model server at
 * `url` and `model`.
 */
export function httpError (status: number, message: string, url: string, model: string): LlmError {
  const said = message.trim() === '' ? `HTTP ${status}` : `HTTP ${status}: ${message.trim().slice(0, 500)}`
  if (status === 404 && (MODEL_NOT_FOUND.test(message) || message.includes(model))) {
    return new LlmError('LLM_MODEL_NOT_FOUND', `the model server at ${url} has no model "${model}" (${said}); pull it (ollama pull ${model}) or load it, or name another with llm.model`, { status })
  }
  if ((status === 400 || status === 413 || status === 422) && CONTEXT_TOO_LONG.test(message)) {
    return new LlmError('LLM_CONTEXT_TOO_LONG', `the prompt is longer than the context of "${model}" at ${url} (${said}): give the task less input, or use a model with a larger context`, { status })
  }
  if (status === 429) return new LlmError('LLM_RATE_LIMITED', `the model server at ${url} is rate limiting this agent (${said})`, { status, retryable: true })
  if (status === 401 || status === 403) {
    return new LlmError('LLM_HTTP_ERROR', `the model server at ${url} refused the request (${said}): set the API key in the variable named by llm.apiKeyEnv`, { status })
  }
  return new LlmError('LLM_HTTP_ERROR', `the model server at ${url} answered ${said}`, { status, retryable: status >= 500 })
}

/** The error of a server that cannot be reached at `url`. */
export function unreachable (url: string, cause: unknown): LlmError {
  const why = cause instanceof Error ? describeCause(cause) : String(cause)
  return new LlmError('LLM_UNREACHABLE', `cannot reach the model server at ${url} (${why}): is Ollama (ollama serve) or LM Studio's server running there?`, { retryable: true, cause })
}

/** The innermost message of an error chain (fetch failures hide ECONNREFUSED in `cause`). */
function describeCause (err: Error): string {
  let current: unknown = err
  let text = err.message
  for (let i = 0; i < 5 && current instanceof Error; i++) {
    const code = (current as { code?: unknown }).code
    text = typeof code === 'string' ? `${code}: ${current.message}` : current.message
    current = current.cause
  }
  return text
}
