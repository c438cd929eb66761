import { appendFileSync } from 'node:fs'

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 }

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

function serialise (value: unknown): unknown {
  if (value instanceof Error) {
    return { name: value.name, message: value.message, ...('code' in value ? { code: (value as { code: unknown }).code } : {}) }
  }
  if (typeof value === 'bigint') return value.toString()
  return value
}

export function createLogger (options: LoggerOptions): Logger {
  const threshold = RANK[options.level]
  const base = { ...(options.component !== undefined ? { component: options.component } : {}), ...options.fields }
  const emit = (level: Exclude<LogLevel, 'silent'>, msg: string, fields?: Record<string, unknown>): void => {
    if (RANK[level] < threshold || options.sinks.length === 0) return
    const record: Record<string, unknown> = { ts: new Date().toISOString(), level, ...base, msg }
    if (fields !== undefined) {
      for (const [key, value] of Object.entries(fields)) record[key] = serialise(value)
    }
    const line = JSON.stringify(record)
    for (const sink of options.sinks) sink.write(line)
  }
  return {
    level: options.level,
    debug: (msg, fields) => { emit('debug', msg, fields) },
    info: (msg, fields) => { emit('info', msg, fields) },
    warn: (msg, fields) => { emit('warn', msg, fields) },
    error: (msg, fields) => { emit('error', msg, fields) },
    child: (component, fields) => createLogger({ ...options, component, fields: { ...options.fields, ...fields } }),
    isEnabled: level => RANK[level] >= threshold
  }
}

/** A logger that drops everything. */
export function silentLogger (): Logger {
  return createLogger({ level: 'silent', sinks: [] })
}
