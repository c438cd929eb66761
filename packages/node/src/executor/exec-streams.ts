/**
 * The stream side of the `exec` handler: stdout collected up to the size of a result, stderr cut
 * into lines and read as the progress/checkpoint/finding/handoff line protocol, and the end of stderr
 * kept for the message of a failed run.
 */
import { StringDecoder } from 'node:string_decoder'
import { z } from 'zod'
import { JsonSchema } from '@swarm/protocol'
import { FindingInputSchema } from '../group/inputs.js'
import type { Json } from '@swarm/protocol'
import type { HandlerContext, HandoffRequest } from './types.js'

/** Longest stderr line; longer runs without a newline are cut into lines of this size. */
const MAX_STDERR_LINE_CHARS = 16 * 1024

const PROGRESS_LINE = /^progress\s+(\S+)(?:\s+(.*))?$/
const CHECKPOINT_LINE = /^checkpoint\s+(.+)$/
const HANDOFF_LINE = /^handoff\s+(.+)$/
const FINDING_LINE = /^finding\s+(.+)$/

/** The JSON of a `handoff` line: why, and the state the next member resumes from. */
const HandoffLineSchema = z.object({
  reason: z.string().trim().min(1),
  state: JsonSchema.optional()
}).strict()

/** Stdout of a program, kept in memory up to `maxBytes`; past that it is dropped as oversized. */
export class StdoutBuffer {
  readonly #chunks: Buffer[] = []
  #bytes = 0
  #oversized = false

  constructor (private readonly maxBytes: number) {}

  /** True once the program printed more than `maxBytes`. */
  get oversized (): boolean {
    return this.#oversized
  }

  /**
   * Keeps `chunk`. Returns false when it takes the output over the limit: the output is dropped
   * then, and every later chunk ignored.
   */
  push (chunk: Buffer): boolean {
    if (this.#oversized) return true
    this.#bytes += chunk.byteLength
    if (this.#bytes > this.maxBytes) {
      this.#oversized = true
      this.#chunks.length = 0
      return false
    }
    this.#chunks.push(chunk)
    return true
  }

  text (): string {
    return Buffer.concat(this.#chunks).toString('utf8')
  }
}

/** The last `max` characters of stderr, one line at a time. */
export class Tail {
  private readonly lines: string[] = []
  private chars = 0

  constructor (private readonly max: number) {}

  push (line: string): void {
    const kept = line.length > this.max ? line.slice(-this.max) : line
    this.lines.push(kept)
    this.chars += kept.length + 1
    while (this.chars > this.max && this.lines.length > 1) {
      this.chars -= (this.lines.shift() ?? '').length + 1
    }
  }

  text (): string {
    return this.lines.join('\n').trim()
  }
}

/**
 * Cuts a stream of UTF-8 chunks into lines for `onLine` (without the newline). A run longer than
 * {@link MAX_STDERR_LINE_CHARS} without a newline is passed on in pieces of that size, so a
 * program cannot make this process buffer without bound.
 */
export class LineSplitter {
  readonly #decoder = new StringDecoder('utf8')
  #partial = ''

  constructor (private readonly onLine: (line: string) => void) {}

  write (chunk: Buffer): void {
    this.#partial += this.#decoder.write(chunk)
    let newline = this.#partial.indexOf('\n')
    while (newline !== -1) {
      this.onLine(this.#partial.slice(0, newline))
      this.#partial = this.#partial.slice(newline + 1)
      newline = this.#partial.indexOf('\n')
    }
    while (this.#partial.length > MAX_STDERR_LINE_CHARS) {
      this.onLine(this.#partial.slice(0, MAX_STDERR_LINE_CHARS))
      this.#partial = this.#partial.slice(MAX_STDERR_LINE_CHARS)
    }
  }

  /** Passes on the last line when the stream ended without a newline. */
  end (): void {
    this.#partial += this.#decoder.end()
    if (this.#partial !== '') this.onLine(this.#partial)
    this.#partial = ''
  }
}

/** The fraction of a `progress` line: `0.25` or `25%`, undefined unless within 0..1. */
function progressFraction (value: string): number | undefined {
  const fraction = value.endsWith('%') ? Number(value.slice(0, -1)) / 100 : Number(value)
  return value !== '' && Number.isFinite(fraction) && fraction >= 0 && fraction <= 1 ? fraction : undefined
}

/** Calls ctx.progress for a valid `progress` line; false when `line` is not one. */
function reportProgress (line: string, ctx: HandlerContext): boolean {
  const progress = PROGRESS_LINE.exec(line)
  if (progress === null) return false
  const fraction = progressFraction(progress[1] ?? '')
  if (fraction === undefined) return false
  try {
    ctx.progress(fraction, progress[2]?.trim() || undefined)
  } catch (err) {
    ctx.log.warn('progress callback failed', { err })
  }
  return true
}

/** Calls ctx.saveCheckpoint for a `checkpoint` line with valid JSON; false otherwise. */
function saveCheckpoint (line: string, ctx: HandlerContext): boolean {
  const checkpoint = CHECKPOINT_LINE.exec(line)
  if (checkpoint === null) return false
  try {
    ctx.saveCheckpoint(JSON.parse(checkpoint[1] ?? '') as Json)
    return true
  } catch (err) {
    ctx.log.warn('bad checkpoint line on stderr', { err })
    return false
  }
}

/**
 * Posts the finding of a `finding <json>` line on the group's blackboard (ctx.postFinding); false
 * when `line` is not one. A line whose JSON is not a finding, a context without a blackboard, or
 * a refused post is logged as a warning, and the line is then ignored.
 */
function postFinding (line: string, ctx: HandlerContext): boolean {
  const finding = FINDING_LINE.exec(line)
  if (finding === null) return false
  let value: unknown
  try {
    value = JSON.parse(finding[1] ?? '')
  } catch (err) {
    ctx.log.warn('bad finding line on stderr: not JSON', { err })
    return true
  }
  const parsed = FindingInputSchema.safeParse(value)
  if (!parsed.success) {
    ctx.log.warn('bad finding line on stderr', { issues: parsed.error.issues.map(i => `${i.path.join('.') || '(root)'}: ${i.message}`) })
    return true
  }
  if (ctx.postFinding === undefined) {
    ctx.log.warn('finding line on stderr ignored: this run has no working-group blackboard')
    return true
  }
  try {
    ctx.postFinding(parsed.data)
  } catch (err) {
    ctx.log.warn('finding of the stderr line not posted', { err })
  }
  return true
}

/**
 * The request of a `handoff {"reason":…,"state":…}` line: undefined when `line` is not one, null
 * when it is one whose JSON is not valid (logged; the line is then ignored).
 */
export function parseHandoffLine (line: string, ctx: Pick<HandlerContext, 'log'>): HandoffRequest | null | undefined {
  const handoff = HANDOFF_LINE.exec(line)
  if (handoff === null) return undefined
  let value: unknown
  try {
    value = JSON.parse(handoff[1] ?? '')
  } catch (err) {
    ctx.log.warn('bad handoff line on stderr: not JSON', { err })
    return null
  }
  const parsed = HandoffLineSchema.safeParse(value)
  if (!parsed.success) {
    ctx.log.warn('bad handoff line on stderr', { issues: parsed.error.issues.map(i => `${i.path.join('.') || '(root)'}: ${i.message}`) })
    return null
  }
  return { reason: parsed.data.reason, ...(parsed.data.state !== undefined ? { state: parsed.data.state } : {}) }
}

/**
 * Reads one stderr line of the line protocol: `progress <fraction 0..1 or N%> [message]`,
 * `checkpoint <json>` and `finding <json>` (a blackboard finding: kind, content, confidence, …)
 * go to the context, a valid `handoff <json>` to `onHandoff`; any other
 * non-blank line (a malformed protocol line included) is logged at debug level and kept in `tail`.
 */
export function readStderrLine (raw: string, ctx: HandlerContext, tail: Tail, onHandoff?: (request: HandoffRequest) => void): void {
  const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw
  if (reportProgress(line, ctx)) return
  if (saveCheckpoint(line, ctx)) return
  if (postFinding(line, ctx)) return
  const handoff = parseHandoffLine(line, ctx)
  if (handoff != null && onHandoff !== undefined) {
    onHandoff(handoff)
    return
  }
  if (line.trim() === '') return
  ctx.log.debug('handler stderr', { line })
  tail.push(line)
}
