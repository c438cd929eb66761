/**
 * Conflict rules inside a working group: which write of a shared value wins (versions), and the
 * order of waiting resource claims (higher priority, then the earlier request), whose holder
 * the group's announcer decides alone ({@link ClaimQueue}). Pure and deterministic. Strings are
 * compared in code-unit order, never by locale.
 */
export { ClaimQueue } from './claim-queue.js'

/** A value with the version it was written at and its writer. */
export interface Versioned<T> {
  value: T
  /** Higher is newer. */
  version: number
  /** Peer id of the writer. */
  writer: string
}

/** What {@link applyVersioned} returns: the value to keep, and whether it is the incoming one. */
export interface VersionedResult<T> extends Versioned<T> {
  applied: boolean
}

/**
 * Resolves a data conflict: the incoming write replaces the current one only with a newer
 * version (last write wins by version, never by arrival). With equal versions from different
 * writers, the greater writer id (code-unit order) wins, so every member keeps the same value.
 * The same version from the same writer is a redelivery and changes nothing (a writer must not
 * reuse a version for a different value). Throws a RangeError for a version that is not a finite
 * number.
 */
export function applyVersioned<T> (current: Versioned<T> | undefined, incoming: Versioned<T>): VersionedResult<T> {
  if (!Number.isFinite(incoming.version)) throw new RangeError(`version must be a finite number, got ${String(incoming.version)}`)
  if (current === undefined) return { value: incoming.value, version: incoming.version, writer: incoming.writer, applied: true }
  const newer = incoming.version > current.version ||
    (incoming.version === current.version && incoming.writer > current.writer)
  const kept = newer ? incoming : current
  return { value: kept.value, version: kept.version, writer: kept.writer, applied: newer }
}
