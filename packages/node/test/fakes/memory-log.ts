/**
 * A logger that keeps every line it writes (parsed), for assertions on what a service logged.
 */
import { createLogger } from '../../src/logger.js'
import type { Logger } from '../../src/logger.js'

export function memoryLog (): { logger: Logger, lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = []
  return { lines, logger: createLogger({ level: 'debug', sinks: [{ write: line => { lines.push(JSON.parse(line) as Record<string, unknown>) } }] }) }
}
