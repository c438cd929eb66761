/**
 * Reading a blackboard's Y.Doc as plain JSON: valid entries only, in a deterministic order, and
 * each hypothesis with the status its status changes give it (the module doc of
 * `blackboard.ts` has the merge rules).
 */
import type * as Y from 'yjs'
import type { z } from 'zod'
import type { ActionRecord, Hypothesis, HypothesisStatus, HypothesisStatusChange } from './blackboard-types.js'
import { ActionSchema, StatusChangeSchema } from './blackboard-schemas.js'
import type { StoredHypothesis } from './blackboard-schemas.js'

const STATUS_RANK: Readonly<Record<HypothesisStatus, number>> = Object.freeze({ open: 0, supported: 1, refuted: 2 })

/** The valid entries of a map whose key matches the entry's id. */
export function readMap<T extends { id: string }> (map: Y.Map<unknown>, schema: z.ZodType<T>): T[] {
  const list: T[] = []
  for (const [key, value] of map.entries()) {
    const parsed = schema.safeParse(value)
    if (parsed.success && parsed.data.id === key) list.push(parsed.data)
  }
  return list
}

export function sortEntries<T extends { id: string, at: number }> (list: T[]): T[] {
  return list.sort((a, b) => compareNumbers(a.at, b.at) || compareStrings(a.id, b.id))
}

/** Positive when `a` is the status that shows rather than `b`. */
function compareStatusChanges (a: HypothesisStatusChange, b: HypothesisStatusChange): number {
  return compareNumbers(a.at, b.at) || compareStrings(a.author, b.author) || STATUS_RANK[a.status] - STATUS_RANK[b.status]
}

/** Every valid status change, sorted by `at`, then author, then hypothesis id, then status. */
export function readStatusChanges (array: Y.Array<unknown>): HypothesisStatusChange[] {
  const list: HypothesisStatusChange[] = []
  for (const value of array.toArray()) {
    const parsed = StatusChangeSchema.safeParse(value)
    if (parsed.success) list.push(parsed.data)
  }
  return list.sort((a, b) => compareNumbers(a.at, b.at) || compareStrings(a.author, b.author) ||
    compareStrings(a.hypothesisId, b.hypothesisId) || STATUS_RANK[a.status] - STATUS_RANK[b.status])
}

/** The hypotheses as created, each with its current status from `changes`, sorted by `at`, then `id`. */
export function withCurrentStatus (stored: StoredHypothesis[], changes: readonly HypothesisStatusChange[]): Hypothesis[] {
  const byHypothesis = new Map<string, HypothesisStatusChange[]>()
  for (const change of changes) {
    const list = byHypothesis.get(change.hypothesisId)
    if (list === undefined) byHypothesis.set(change.hypothesisId, [change])
    else list.push(change)
  }
  return sortEntries(stored.map(h => {
    let current: HypothesisStatusChange = { hypothesisId: h.id, status: h.status, author: h.author, at: h.at }
    for (const change of byHypothesis.get(h.id) ?? []) {
      if (compareStatusChanges(change, current) > 0) current = change
    }
    return { id: h.id, statement: h.statement, status: current.status, author: h.author, at: h.at, statusBy: current.author, statusAt: current.at }
  }))
}

/** The valid actions, sorted by `at`, then `id`, each a copy the caller may change. */
export function readActions (map: Y.Map<unknown>): ActionRecord[] {
  return sortEntries(readMap(map, ActionSchema)).map(a => {
    const action: ActionRecord = { id: a.id, description: a.description, author: a.author, at: a.at }
    if (a.result !== undefined) action.result = structuredClone(a.result)
    return action
  })
}

function compareNumbers (a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function compareStrings (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
