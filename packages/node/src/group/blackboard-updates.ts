/**
 * Checking Yjs bytes before they reach a blackboard: updates and state vectors are bounded and
 * decoded in full first, and an update can be described (who it names, what it deletes) without
 * applying it, for the group layer to authorize what a member gossips.
 */
import * as Y from 'yjs'
import { BLACKBOARD_LIMITS, BlackboardError } from './blackboard-types.js'
import type { BlackboardErrorCode, UpdateInspection } from './blackboard-types.js'
import { isRecord } from './blackboard-schemas.js'

/** Decodes an update in full, throwing a BlackboardError for anything that is not one. */
export function decodeChecked (update: Uint8Array): ReturnType<typeof Y.decodeUpdate> {
  checkBytes(update, 'INVALID_UPDATE', 'update')
  try {
    return Y.decodeUpdate(update)
  } catch (err) {
    throw new BlackboardError('INVALID_UPDATE', `not a Yjs update: ${errorMessage(err)}`, { cause: err })
  }
}

function checkBytes (bytes: Uint8Array, code: BlackboardErrorCode, what: string): void {
  if (!(bytes instanceof Uint8Array)) throw new BlackboardError(code, `the ${what} must be a Uint8Array`)
  if (bytes.length === 0) throw new BlackboardError(code, `the ${what} is empty`)
  if (bytes.length > BLACKBOARD_LIMITS.maxUpdateBytes) {
    throw new BlackboardError(code, `the ${what} has ${bytes.length} bytes, more than the ${BLACKBOARD_LIMITS.maxUpdateBytes} allowed`)
  }
}

/** Throws a {@link BlackboardError} `INVALID_STATE_VECTOR` for bytes that are not a state vector. */
export function checkStateVector (stateVector: Uint8Array): void {
  checkBytes(stateVector, 'INVALID_STATE_VECTOR', 'state vector')
  try {
    Y.decodeStateVector(stateVector)
  } catch (err) {
    throw new BlackboardError('INVALID_STATE_VECTOR', `not a Yjs state vector: ${errorMessage(err)}`, { cause: err })
  }
}

/**
 * Describes what an update would write (see `Blackboard.inspectUpdate`). Throws a
 * {@link BlackboardError} `INVALID_UPDATE` for bytes that are not a Yjs update.
 */
export function inspectUpdate (update: Uint8Array): UpdateInspection {
  const { structs, ds } = decodeChecked(update)
  const authors = new Set<string>()
  let entries = 0
  let foreign = 0
  for (const struct of structs) {
    if (!(struct instanceof Y.Item)) continue
    if (struct.content instanceof Y.ContentDeleted) continue
    if (!(struct.content instanceof Y.ContentAny)) {
      foreign++
      continue
    }
    for (const value of struct.content.arr) {
      if (isRecord(value) && typeof value.author === 'string') {
        authors.add(value.author)
        entries++
      } else {
        foreign++
      }
    }
  }
  let deletions = 0
  for (const items of ds.clients.values()) {
    for (const item of items) deletions += item.len
  }
  return { authors: [...authors], entries, deletions, foreign }
}

export function errorMessage (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
