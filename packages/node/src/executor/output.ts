/**
 * Checks of what handlers return: JSON only, at most LIMITS.maxResultBytes when encoded, and
 * shallow enough to travel inside a protocol message.
 */
import { LIMITS, nestsDeeperThan } from '@swarm/protocol'
import type { Json } from '@swarm/protocol'
import { HandlerError } from './types.js'

/**
 * Deepest nesting of arrays and objects allowed in an output. A result travels a few levels
 * deep inside a message (envelope, body, aggregated results), and decoders refuse messages
 * deeper than LIMITS.maxJsonDepth; the margin keeps every output sendable.
 */
const MAX_OUTPUT_DEPTH = LIMITS.maxJsonDepth - 8

/** At most `max` characters of `text` on one line, with an ellipsis when cut. */
export function snippet (text: string, max = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  return flat.length <= max ? flat : `${flat.slice(0, max)}…`
}

/** Size and depth checks of an output already encoded as `text` and decoded as `value`. */
function checkEncoded (text: string, value: Json, what: string): Json {
  const bytes = Buffer.byteLength(text, 'utf8')
  if (bytes > LIMITS.maxResultBytes) {
    throw new HandlerError('HANDLER_BAD_OUTPUT', `${what} is ${bytes} bytes of JSON, the limit is ${LIMITS.maxResultBytes}`)
  }
  if (nestsDeeperThan(value, MAX_OUTPUT_DEPTH)) {
    throw new HandlerError('HANDLER_BAD_OUTPUT', `${what} nests arrays and objects deeper than ${MAX_OUTPUT_DEPTH} levels`)
  }
  return value
}

/**
 * Turns whatever a handler returned into the JSON value that will be sent: encodes and decodes
 * it (so `toJSON` methods apply and the result is plain JSON) and checks its size and depth.
 * Throws HANDLER_BAD_OUTPUT for `undefined`, functions, symbols, bigints, cycles and
 * non-finite numbers.
 */
export function toJsonOutput (value: unknown, what = 'handler output'): Json {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new HandlerError('HANDLER_BAD_OUTPUT', `${what} is ${value}, which JSON cannot represent`)
  }
  let text: string | undefined
  try {
    text = JSON.stringify(value)
  } catch (err) {
    throw new HandlerError('HANDLER_BAD_OUTPUT', `${what} cannot be encoded as JSON: ${(err as Error).message}`, { cause: err })
  }
  if (text === undefined) {
    throw new HandlerError('HANDLER_BAD_OUTPUT', `${what} is ${typeof value === 'undefined' ? 'undefined' : `a ${typeof value}`}, not a JSON value (return null, a value, an array or an object)`)
  }
  return checkEncoded(text, JSON.parse(text) as Json, what)
}

/**
 * Parses `text` (a program's stdout, a response body) as the JSON output. Surrounding white
 * space is ignored. Throws HANDLER_BAD_OUTPUT, quoting the start of `text`, when it is empty,
 * not JSON, too large or too deep.
 */
export function parseJsonOutput (text: string, what: string): Json {
  const trimmed = text.trim()
  if (trimmed === '') throw new HandlerError('HANDLER_BAD_OUTPUT', `${what} is empty: the handler must produce a JSON value`)
  let value: Json
  try {
    value = JSON.parse(trimmed) as Json
  } catch (err) {
    throw new HandlerError('HANDLER_BAD_OUTPUT', `${what} is not JSON (${(err as Error).message}): ${snippet(trimmed)}`, { cause: err })
  }
  return checkEncoded(trimmed, value, what)
}
