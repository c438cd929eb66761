import type { Logger } from '../logger.js'

/**
 * Runs one write to the store and never lets it throw into the coordination code: work still in
 * flight while the node stops may end after the store closed, and a full disk must fail a write,
 * not a task. A failed write is logged once with what was not saved. Returns whether it worked.
 */
export function guardedWrite (log: Logger, what: string, fields: Record<string, unknown>, write: () => void, level: 'warn' | 'error' = 'warn'): boolean {
  try {
    write()
    return true
  } catch (err) {
    log[level](`${what} not saved`, { ...fields, err })
    return false
  }
}
