/**
 * The `http` handler: POSTs the task to a URL as JSON and takes the JSON response as the result.
 */
import { LIMITS } from '@swarm/protocol'
import type { Json, WorkflowTag } from '@swarm/protocol'
import { HttpHandlerSchema } from '../config.js'
import { abortError } from './abort.js'
import { parseHandlerConfig } from './handler-config.js'
import type { HttpHandlerConfig } from './handler-config.js'
import { parseJsonOutput, snippet } from './output.js'
import { HandlerError } from './types.js'
import type { SkillHandler } from './types.js'

/** Bytes of an error response read for the snippet in the error message. */
const ERROR_BODY_BYTES = 4 * 1024

/** The JSON body POSTed to an `http` handler's URL. */
export interface HttpHandlerRequest {
  taskId: string
  groupId: string
  skill: string
  description: string
  attempt: number
  input: Json
  /** The workflow step the task serves (HandlerContext.workflow), when it serves one. */
  workflow?: WorkflowTag
}

/** The URL without query, fragment or credentials: safe for messages and logs. */
function describeUrl (url: string): string {
  try {
    const u = new URL(url)
    return `${u.origin}${u.pathname}`
  } catch {
    return url
  }
}

/**
 * Reads at most `max` bytes of a body. Returns `undefined` when it is longer (and cancels the
 * rest), unless `truncate` is set, in which case the first `max` bytes are returned.
 */
async function readBody (response: Response, max: number, truncate: boolean): Promise<Buffer | undefined> {
  const body = response.body
  if (body === null) return Buffer.alloc(0)
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  let bytes = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      bytes += value.byteLength
      if (bytes > max) {
        if (truncate) chunks.push(value.subarray(0, value.byteLength - (bytes - max)))
        await reader.cancel().catch(() => {})
        return truncate ? Buffer.concat(chunks) : undefined
      }
      chunks.push(value)
    }
  } finally {
    reader.releaseLock()
  }
  return Buffer.concat(chunks)
}

/**
 * A handler that POSTs `{ taskId, groupId, skill, description, attempt, input }` (and
 * `workflow`, for a workflow step's task) as JSON to `config.url` with `config.headers`, and:
 *
 * - takes a 2xx response's JSON body as the result (HANDLER_BAD_OUTPUT when it is empty, not
 *   JSON, or larger than LIMITS.maxResultBytes);
 * - fails with HANDLER_HTTP on any other status (with the status and the start of the body) or
 *   when the URL cannot be reached;
 * - gives up on `config.timeoutMs` (HANDLER_TIMEOUT) or when ctx.signal aborts (its reason's
 *   code, else HANDLER_ABORTED).
 *
 * Messages name the URL without its query string, which may hold secrets; headers are never
 * logged.
 */
export function httpHandler (config: HttpHandlerConfig): SkillHandler {
  const { url, headers, timeoutMs } = parseHandlerConfig(HttpHandlerSchema, config)
  const where = describeUrl(url)
  return async (input, ctx) => {
    if (ctx.signal.aborted) throw abortError(ctx.signal)
    const timeout = new AbortController()
    const timer = setTimeout(() => {
      timeout.abort(new HandlerError('HANDLER_TIMEOUT', `POST ${where} timed out after ${timeoutMs} ms`))
    }, timeoutMs)
    const signal = AbortSignal.any([ctx.signal, timeout.signal])
    const request: HttpHandlerRequest = { taskId: ctx.taskId, groupId: ctx.groupId, skill: ctx.skill, description: ctx.description, attempt: ctx.attempt, input, ...(ctx.workflow !== undefined ? { workflow: ctx.workflow } : {}) }
    try {
      let response: Response
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
          body: JSON.stringify(request),
          signal
        })
      } catch (err) {
        if (signal.aborted) throw abortError(signal)
        const cause: unknown = err instanceof Error ? err.cause : undefined
        const detail = cause instanceof Error ? cause.message : err instanceof Error ? err.message : String(err)
        throw new HandlerError('HANDLER_HTTP', `POST ${where} failed: ${detail}`, { cause: err })
      }
      try {
        if (!response.ok) {
          const body = await readBody(response, ERROR_BODY_BYTES, true)
          const text = snippet(body?.toString('utf8') ?? '', 300)
          throw new HandlerError('HANDLER_HTTP', `POST ${where} answered ${response.status}${response.statusText === '' ? '' : ` ${response.statusText}`}${text === '' ? '' : `: ${text}`}`)
        }
        const declared = Number(response.headers.get('content-length') ?? NaN)
        if (declared > LIMITS.maxResultBytes) {
          await response.body?.cancel().catch(() => {})
          throw new HandlerError('HANDLER_BAD_OUTPUT', `response of ${where} is ${declared} bytes, the limit of a result is ${LIMITS.maxResultBytes}`)
        }
        const body = await readBody(response, LIMITS.maxResultBytes, false)
        if (body === undefined) {
          throw new HandlerError('HANDLER_BAD_OUTPUT', `response of ${where} is larger than ${LIMITS.maxResultBytes} bytes, the limit of a result`)
        }
        return parseJsonOutput(body.toString('utf8'), `response of ${where}`)
      } catch (err) {
        if (signal.aborted && !(err instanceof HandlerError)) throw abortError(signal)
        if (err instanceof HandlerError) throw err
        throw new HandlerError('HANDLER_HTTP', `reading the response of ${where} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
      }
    } finally {
      clearTimeout(timer)
    }
  }
}
