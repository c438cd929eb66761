import { ProtocolError } from './errors.js'
import { LIMITS } from './limits.js'
import { BODY_SCHEMAS, CHANNEL_MESSAGE_TYPES, IdSchema, SwarmMessageSchema, TimestampSchema } from './schemas.js'
import { PROTOCOL_VERSION, SUPPORTED_VERSIONS } from './version.js'
import type { BodyInput, Channel, MessageOf, MessageType, SwarmMessage } from './schemas.js'
import type { z } from 'zod'

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

export interface DecodeOptions {
  /** Refuse messages longer than this many bytes (default: the stream limit). */
  maxBytes?: number
  /** Refuse message types that do not belong on this channel. */
  channel?: Channel
  /**
   * The limit of each message type (e.g. {@link maxRequestBytes}): a message longer than its
   * type's is refused as OVERSIZED once its type is read, before its schema is checked.
   */
  maxBytesOf?: (type: string) => number
}

export interface CreateMessageOptions {
  id?: string
  ts?: number
}

/** Formats zod issues as `path: reason` strings a person can act on. */
export function formatIssues (error: z.ZodError): string[] {
  return error.issues.map(issue => {
    const path = issue.path.length === 0 ? '(root)' : issue.path.map(String).join('.')
    return `${path}: ${issue.message}`
  })
}

/**
 * True when arrays and objects in `value` nest deeper than `limit` levels (a scalar is level 0).
 * Iterative, so that hostile input cannot exhaust the stack; stops as soon as the limit is passed,
 * which also ends the walk of a cyclic value.
 */
export function nestsDeeperThan (value: unknown, limit: number): boolean {
  const stack: Array<{ value: unknown, depth: number }> = [{ value, depth: 0 }]
  while (stack.length > 0) {
    const item = stack.pop()
    if (item === undefined || typeof item.value !== 'object' || item.value === null) continue
    const depth = item.depth + 1
    if (depth > limit) return true
    const children: unknown[] = Array.isArray(item.value) ? item.value : Object.values(item.value)
    for (const child of children) {
      if (typeof child === 'object' && child !== null) stack.push({ value: child, depth })
    }
  }
  return false
}

/**
 * A fresh message id: 22 URL-safe characters from 128 random bits. It never starts with "-":
 * task ids are typed on command lines (`swarm-node task <id>`), where a leading "-" reads as an
 * option.
 */
export function newId (): string {
  const bytes = new Uint8Array(16)
  do {
    globalThis.crypto.getRandomValues(bytes)
  } while ((bytes[0] ?? 0) >> 2 === 62) // the first character would be "-" (base64url digit 62)
  return Buffer.from(bytes).toString('base64url')
}

/**
 * Builds a message of the given type, filling defaults and validating the body, so that a
 * node can never send what its peers would reject.
 */
export function createMessage<T extends MessageType> (type: T, body: BodyInput<T>, options: CreateMessageOptions = {}): MessageOf<T> {
  // The envelope is one level, so the body may nest one level less than a whole message.
  if (nestsDeeperThan(body, LIMITS.maxJsonDepth - 1)) {
    const issues = [`body: nests deeper than ${LIMITS.maxJsonDepth} levels including the envelope`]
    throw new ProtocolError('INVALID_MESSAGE', `invalid ${type} message: ${issues.join('; ')}`, issues)
  }
  const issues: string[] = []
  const id = options.id ?? newId()
  const idParsed = IdSchema.safeParse(id)
  if (!idParsed.success) issues.push(...formatIssues(idParsed.error).map(issue => `id${issue.slice('(root)'.length)}`))
  const ts = options.ts ?? Date.now()
  const tsParsed = TimestampSchema.safeParse(ts)
  if (!tsParsed.success) issues.push(...formatIssues(tsParsed.error).map(issue => `ts${issue.slice('(root)'.length)}`))
  const schema = BODY_SCHEMAS[type]
  const parsed = schema.safeParse(body)
  if (!parsed.success) {
    issues.push(...formatIssues(parsed.error).map(issue => issue.startsWith('(root)') ? `body${issue.slice('(root)'.length)}` : `body.${issue}`))
  }
  if (issues.length > 0 || !parsed.success) {
    throw new ProtocolError('INVALID_MESSAGE', `invalid ${type} message: ${issues.join('; ')}`, issues)
  }
  // The cast is safe: the body was validated by the schema of this very type.
  return { v: PROTOCOL_VERSION, id, ts, type, body: parsed.data } as unknown as MessageOf<T>
}

/** Encodes a message as UTF-8 JSON, refusing one larger than `maxBytes`. */
export function encodeMessage (message: SwarmMessage, maxBytes: number = LIMITS.maxStreamMessageBytes): Uint8Array {
  const bytes = encoder.encode(JSON.stringify(message))
  if (bytes.byteLength > maxBytes) {
    throw new ProtocolError('OVERSIZED', `${message.type} message is ${bytes.byteLength} bytes, the limit is ${maxBytes}`)
  }
  return bytes
}

/**
 * Decodes and validates one message. Throws ProtocolError with code OVERSIZED, MALFORMED,
 * UNSUPPORTED_VERSION or INVALID_MESSAGE; never returns anything that is off-schema.
 */
export function decodeMessage (data: Uint8Array, options: DecodeOptions = {}): SwarmMessage {
  const maxBytes = options.maxBytes ?? LIMITS.maxStreamMessageBytes
  if (data.byteLength > maxBytes) {
    throw new ProtocolError('OVERSIZED', `message is ${data.byteLength} bytes, the limit is ${maxBytes}`)
  }
  let raw: unknown
  try {
    raw = JSON.parse(decoder.decode(data))
  } catch (err) {
    throw new ProtocolError('MALFORMED', `message is not UTF-8 JSON: ${(err as Error).message}`)
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ProtocolError('MALFORMED', 'message is not a JSON object')
  }
  if (nestsDeeperThan(raw, LIMITS.maxJsonDepth)) {
    throw new ProtocolError('MALFORMED', `message nests arrays and objects deeper than ${LIMITS.maxJsonDepth} levels`)
  }
  const version = (raw as { v?: unknown }).v
  if (typeof version !== 'number' || !SUPPORTED_VERSIONS.includes(version)) {
    throw new ProtocolError('UNSUPPORTED_VERSION', `protocol version ${String(version)} is not supported (this node speaks ${SUPPORTED_VERSIONS.join(', ')})`)
  }
  const type = (raw as { type?: unknown }).type
  const typeLimit = options.maxBytesOf !== undefined && typeof type === 'string' ? options.maxBytesOf(type) : maxBytes
  if (data.byteLength > typeLimit) {
    throw new ProtocolError('OVERSIZED', `${String(type)} message is ${data.byteLength} bytes, the limit of its type is ${typeLimit}`)
  }
  const parsed = SwarmMessageSchema.safeParse(raw)
  if (!parsed.success) {
    const issues = formatIssues(parsed.error)
    throw new ProtocolError('INVALID_MESSAGE', `invalid message: ${issues.join('; ')}`, issues)
  }
  const message = parsed.data
  if (options.channel !== undefined) {
    const allowed: readonly MessageType[] = CHANNEL_MESSAGE_TYPES[options.channel]
    if (!allowed.includes(message.type)) {
      const issue = `type: ${message.type} is not allowed on a ${options.channel} channel (allowed: ${allowed.join(', ')})`
      throw new ProtocolError('INVALID_MESSAGE', `invalid message: ${issue}`, [issue])
    }
  }
  return message
}

/** True when the message is of the given type (narrows it). */
export function isMessageOf<T extends MessageType> (message: SwarmMessage, type: T): message is MessageOf<T> {
  return message.type === type
}
