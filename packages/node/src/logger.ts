import { appendFileSync } from 'node:fs'
import { pino } from 'pino'
import type { DestinationStream, Logger as PinoLogger } from 'pino'

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 }

/** Where finished log lines go: one JSON object per call, without the trailing newline. */
export interface LogSink {
  write(line: string): void
}

/** A structured logger: one JSON object per line, with a level and a component name. */
export interface Logger {
  readonly level: LogLevel
  debug(msg: string, fields?: Record<string, unknown>): void
  info(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
  error(msg: string, fields?: Record<string, unknown>): void
  /** A logger for a sub-component; its lines carry `component`. */
  child(component: string, fields?: Record<string, unknown>): Logger
  isEnabled(level: LogLevel): boolean
}

export interface LoggerOptions {
  level: LogLevel
  sinks: LogSink[]
  component?: string
  fields?: Record<string, unknown>
}

/**
 * Appends lines to a file synchronously (small lines; survives a crash right after). The file is
 * created (mode 0600) at once, so an unusable path throws here rather than at the first line; a
 * write that fails later (disk full) is reported once on standard error and never thrown into
 * the code that logged.
 */
export function fileSink (path: string): LogSink {
  appendFileSync(path, '', { mode: 0o600 })
  let failed = false
  return {
    write: line => {
      try {
        appendFileSync(path, line + '\n', { mode: 0o600 })
        failed = false
      } catch (err) {
        if (!failed) process.stderr.write(`swarm-node: cannot write the log file ${path}: ${(err as Error).message}\n`)
        failed = true
      }
    }
  }
}

/** Writes lines to standard error. */
export function stderrSink (): LogSink {
  return { write: line => { process.stderr.write(line + '\n') } }
}

/** How many causes deep an error is written; a cause chain longer than that ends in its text. */
const MAX_CAUSE_DEPTH = 5
/** Errors of an AggregateError that are written; the rest are counted. */
const MAX_AGGREGATED_ERRORS = 10

/**
 * An error as JSON: name, message and code (what the docs promise), and the stack and cause that
 * say where it came from; JSON.stringify alone would write `{}`.
 */
function serialiseError (err: Error, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = { name: err.name, message: err.message }
  const code: unknown = (err as { code?: unknown }).code
  if (code !== undefined) out.code = code
  if (err.stack !== undefined) out.stack = err.stack
  if (err.cause !== undefined) {
    out.cause = depth < MAX_CAUSE_DEPTH ? serialiseValue(err.cause, depth + 1) : String(err.cause)
  }
  if (err instanceof AggregateError && Array.isArray(err.errors)) {
    const errors: unknown[] = err.errors
    out.errors = errors.slice(0, MAX_AGGREGATED_ERRORS).map(e => serialiseValue(e, depth + 1))
    if (errors.length > MAX_AGGREGATED_ERRORS) out.moreErrors = errors.length - MAX_AGGREGATED_ERRORS
  }
  return out
}

function serialiseValue (value: unknown, depth = 0): unknown {
  if (value instanceof Error) return serialiseError(value, depth)
  if (typeof value === 'bigint') return value.toString()
  return value
}

/** The fields of one line (or of a child's bindings) with errors and bigints made writable. */
function serialiseFields (fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(fields)) out[key] = serialiseValue(value)
  return out
}

/** `ts`, right after `level`, as an ISO time (UTC): what the docs and the `jq` recipes read. */
const isoTime = (): string => `,"ts":"${new Date().toISOString()}"`

/** Hands each finished line (pino ends it with a newline) to every sink, synchronously. */
function fanOut (sinks: readonly LogSink[]): DestinationStream {
  return {
    write: (chunk: string) => {
      const line = chunk.endsWith('\n') ? chunk.slice(0, -1) : chunk
      for (const sink of sinks) sink.write(line)
    }
  }
}

const NO_FIELDS: Record<string, unknown> = Object.freeze({})

/**
 * A logger on pino: levels by name, `ts`, the bindings (`component`, then the fields given to
 * the logger and its parents), the line's fields, `msg`. Sinks are called synchronously, so a
 * line is in the file when the call returns (the log must survive a crash right after it).
 */
export function createLogger (options: LoggerOptions): Logger {
  if (options.level === 'silent' || options.sinks.length === 0) return quietLogger(options.level)
  const root = pino({
    level: options.level,
    base: null,
    messageKey: 'msg',
    timestamp: isoTime,
    formatters: {
      level: label => ({ level: label }),
      log: serialiseFields
    },
    // serialiseFields already wrote `err`; pino's own error serializer would rewrite it.
    serializers: { err: (value: unknown) => value }
  }, fanOut(options.sinks))
  return wrap(root, options.level, options.component, options.fields ?? {})
}

/**
 * One of our loggers over a child of the root pino logger. A child is always made from the root
 * with every binding, so that a component given again replaces the parent's instead of being
 * written twice on the line.
 */
function wrap (root: PinoLogger, level: LogLevel, component: string | undefined, fields: Record<string, unknown>): Logger {
  const bindings = serialiseFields({ ...(component !== undefined ? { component } : {}), ...fields })
  const out = Object.keys(bindings).length === 0 ? root : root.child(bindings)
  const threshold = RANK[level]
  return {
    level,
    debug: (msg, f) => { out.debug(f ?? NO_FIELDS, msg) },
    info: (msg, f) => { out.info(f ?? NO_FIELDS, msg) },
    warn: (msg, f) => { out.warn(f ?? NO_FIELDS, msg) },
    error: (msg, f) => { out.error(f ?? NO_FIELDS, msg) },
    child: (childComponent, childFields) => wrap(root, level, childComponent, { ...fields, ...childFields }),
    isEnabled: l => RANK[l] >= threshold
  }
}

/**
 * A logger that writes nothing (level silent, or no sinks): no pino instance at all, since a
 * simulation runs hundreds of silent nodes in one process.
 */
function quietLogger (level: LogLevel): Logger {
  const threshold = RANK[level]
  const drop = (): void => {}
  const logger: Logger = { level, debug: drop, info: drop, warn: drop, error: drop, child: () => logger, isEnabled: l => RANK[l] >= threshold }
  return logger
}

/** A logger that drops everything. */
export function silentLogger (): Logger {
  return createLogger({ level: 'silent', sinks: [] })
}
