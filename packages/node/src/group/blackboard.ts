/**
 * The shared blackboard of a working group: findings, hypotheses (with status) and actions
 * taken, replicated among the members with Yjs. Independent of the network: the group layer
 * gossips what {@link Blackboard.onLocalUpdate} emits, applies what others send with
 * {@link Blackboard.applyUpdate}, and brings a late joiner up to date with
 * {@link Blackboard.encodeDiff} of the joiner's state vector.
 *
 * Why Yjs: a mature CRDT with a small pure-JS runtime (no WASM), compact binary updates, state
 * vectors for catching up, and deterministic merging of concurrent writes.
 *
 * Layout of the Y.Doc (entries are plain JSON objects, written once and never overwritten or
 * deleted, so a legitimate update only adds):
 * - map `findings`: id → {@link Finding}
 * - map `hypotheses`: id → hypothesis as created (status, author and time of creation)
 * - array `statusChanges`: {@link HypothesisStatusChange} entries
 * - map `actions`: id → {@link ActionRecord}
 *
 * Merge rules: concurrent entries with different ids all survive. Two entries written
 * concurrently under the same id (only possible when callers choose ids) are resolved by Yjs, the
 * same way on every member. The status of a hypothesis is the status change (the creation
 * counting as the first) with the latest `at`, ties broken by the greater author id, then by
 * status (refuted > supported > open). Entries that do not validate (written by a faulty or
 * hostile member) are skipped on reading, the same way on every member.
 *
 * Around this document: the entry types, limits and errors in `blackboard-types.ts`, their
 * validation in `blackboard-schemas.ts`, reading the Y.Doc back as JSON in `blackboard-read.ts`,
 * and checks of incoming Yjs bytes in `blackboard-updates.ts`.
 */
import * as Y from 'yjs'
import { randomUUID } from 'node:crypto'
import { BLACKBOARD_LIMITS, BlackboardError } from './blackboard-types.js'
import type {
  ActionInput,
  ActionRecord,
  BlackboardChange,
  BlackboardOptions,
  BlackboardSnapshot,
  Finding,
  FindingInput,
  Hypothesis,
  HypothesisInput,
  HypothesisStatus,
  HypothesisStatusChange,
  UpdateInspection
} from './blackboard-types.js'
import { ActionSchema, checkId, FindingSchema, jsonProblem, parseEntry, StatusChangeSchema, StoredHypothesisSchema } from './blackboard-schemas.js'
import type { StoredHypothesis } from './blackboard-schemas.js'
import { readActions, readMap, readStatusChanges, sortEntries, withCurrentStatus } from './blackboard-read.js'
import { checkStateVector, decodeChecked, errorMessage, inspectUpdate } from './blackboard-updates.js'

export { BLACKBOARD_LIMITS, BlackboardError } from './blackboard-types.js'
export type {
  ActionInput,
  ActionRecord,
  BlackboardChange,
  BlackboardErrorCode,
  BlackboardOptions,
  BlackboardSnapshot,
  Finding,
  FindingInput,
  Hypothesis,
  HypothesisInput,
  HypothesisStatus,
  HypothesisStatusChange,
  UpdateInspection
} from './blackboard-types.js'

/**
 * A group's blackboard over a Y.Doc. Writes validate their input and throw a
 * {@link BlackboardError} (changing nothing) when it is invalid or too large.
 */
export class Blackboard {
  private readonly doc: Y.Doc
  private readonly findingsMap: Y.Map<unknown>
  private readonly hypothesesMap: Y.Map<unknown>
  private readonly statusArray: Y.Array<unknown>
  private readonly actionsMap: Y.Map<unknown>
  private readonly newId: () => string
  private readonly onListenerError: (err: unknown) => void
  private readonly changeListeners = new Set<(change: BlackboardChange) => void>()
  private readonly localUpdateListeners = new Set<(update: Uint8Array) => void>()

  constructor (options: BlackboardOptions = {}) {
    this.doc = new Y.Doc()
    this.findingsMap = this.doc.getMap('findings')
    this.hypothesesMap = this.doc.getMap('hypotheses')
    this.statusArray = this.doc.getArray('statusChanges')
    this.actionsMap = this.doc.getMap('actions')
    this.newId = options.newId ?? randomUUID
    this.onListenerError = options.onListenerError ?? (err => { process.emitWarning(`blackboard listener failed: ${String(err)}`) })
    this.doc.on('update', (update: Uint8Array, origin: unknown, _doc: Y.Doc, transaction: Y.Transaction) => {
      const local = transaction.local
      if (local) this.emit(this.localUpdateListeners, update)
      this.emit(this.changeListeners, { local, origin: local ? undefined : origin })
    })
  }

  /** Adds a finding and returns its id. */
  addFinding (input: FindingInput): string {
    const id = this.idFor(input.id)
    const entry: Finding = {
      id,
      kind: input.kind,
      content: input.content,
      confidence: input.confidence,
      evidence: [...(input.evidence ?? [])],
      author: input.author,
      at: input.at
    }
    if (input.hypothesisId !== undefined) entry.hypothesisId = input.hypothesisId
    if (input.supports !== undefined) entry.supports = input.supports
    const finding = parseEntry(FindingSchema, entry, 'finding')
    if (finding.supports !== undefined && finding.hypothesisId === undefined) {
      throw new BlackboardError('INVALID_ENTRY', 'invalid finding: "supports" needs a "hypothesisId"')
    }
    if (finding.hypothesisId !== undefined && this.storedHypothesis(finding.hypothesisId) === undefined) {
      throw new BlackboardError('UNKNOWN_HYPOTHESIS', `no hypothesis "${finding.hypothesisId}" on this blackboard`)
    }
    this.checkNew(this.findingsMap, id, 'finding', BLACKBOARD_LIMITS.maxFindings)
    this.findingsMap.set(id, finding)
    return id
  }

  /** Adds a hypothesis (status `open` unless given) and returns its id. */
  addHypothesis (input: HypothesisInput): string {
    const id = this.idFor(input.id)
    const hypothesis = parseEntry(StoredHypothesisSchema, {
      id,
      statement: input.statement,
      status: input.status ?? 'open',
      author: input.author,
      at: input.at
    }, 'hypothesis')
    this.checkNew(this.hypothesesMap, id, 'hypothesis', BLACKBOARD_LIMITS.maxHypotheses)
    this.hypothesesMap.set(id, hypothesis)
    return id
  }

  /**
   * Records a change of a hypothesis' status. The status shown is the change with the latest
   * `at` (see the module's merge rules), so a change with an older `at` than the current one is
   * kept in the history but does not show.
   */
  setHypothesisStatus (id: string, status: HypothesisStatus, author: string, at: number): void {
    const change = parseEntry(StatusChangeSchema, { hypothesisId: id, status, author, at }, 'status change')
    if (this.storedHypothesis(id) === undefined) throw new BlackboardError('UNKNOWN_HYPOTHESIS', `no hypothesis "${id}" on this blackboard`)
    if (this.statusArray.length >= BLACKBOARD_LIMITS.maxStatusChanges) {
      throw new BlackboardError('LIMIT', `the blackboard holds the most status changes allowed (${BLACKBOARD_LIMITS.maxStatusChanges})`)
    }
    this.statusArray.push([change])
  }

  /** Records an action taken and returns its id. */
  recordAction (input: ActionInput): string {
    const id = this.idFor(input.id)
    const problem = input.result === undefined ? undefined : jsonProblem(input.result)
    if (problem !== undefined) throw new BlackboardError('INVALID_ENTRY', `invalid action: result ${problem}`)
    const entry: ActionRecord = { id, description: input.description, author: input.author, at: input.at }
    if (input.result !== undefined) entry.result = structuredClone(input.result)
    const action = parseEntry(ActionSchema, entry, 'action')
    this.checkNew(this.actionsMap, id, 'action', BLACKBOARD_LIMITS.maxActions)
    this.actionsMap.set(id, action)
    return id
  }

  /** Runs `fn` as one change: listeners and {@link onLocalUpdate} fire once, with one update. */
  batch<T> (fn: () => T): T {
    return this.doc.transact(fn)
  }

  /** The findings, sorted by `at`, then `id`. */
  findings (): Finding[] {
    return sortEntries(readMap(this.findingsMap, FindingSchema))
  }

  /** The hypotheses with their current status, sorted by `at`, then `id`. */
  hypotheses (): Hypothesis[] {
    return withCurrentStatus(readMap(this.hypothesesMap, StoredHypothesisSchema), this.statusChanges())
  }

  /** Every valid status change, sorted by `at`, then author, then hypothesis id, then status. */
  statusChanges (): HypothesisStatusChange[] {
    return readStatusChanges(this.statusArray)
  }

  /** The actions taken, sorted by `at`, then `id`. */
  actions (): ActionRecord[] {
    return readActions(this.actionsMap)
  }

  /** The whole blackboard as plain JSON, in a deterministic order. */
  snapshot (): BlackboardSnapshot {
    return { findings: this.findings(), hypotheses: this.hypotheses(), actions: this.actions() }
  }

  /** The snapshot, for storing the blackboard with its task. */
  toJSON (): BlackboardSnapshot {
    return this.snapshot()
  }

  /**
   * Calls `cb` after every change, local or applied from an update. Returns a function that
   * removes the listener.
   */
  onChange (cb: (change: BlackboardChange) => void): () => void {
    this.changeListeners.add(cb)
    return () => { this.changeListeners.delete(cb) }
  }

  /**
   * Calls `cb` with the update of every change made through this instance (never for updates
   * applied with {@link applyUpdate}): what the group layer gossips to the other members.
   * Returns a function that removes the listener.
   */
  onLocalUpdate (cb: (update: Uint8Array) => void): () => void {
    this.localUpdateListeners.add(cb)
    return () => { this.localUpdateListeners.delete(cb) }
  }

  /** The full state as one update. */
  encodeUpdate (): Uint8Array {
    return Y.encodeStateAsUpdate(this.doc)
  }

  /** The state vector: what this instance has, for a peer to compute {@link encodeDiff}. */
  encodeStateVector (): Uint8Array {
    return Y.encodeStateVector(this.doc)
  }

  /**
   * What a peer with the given state vector lacks, as one update. Throws a
   * {@link BlackboardError} `INVALID_STATE_VECTOR` for bytes that are not a state vector.
   */
  encodeDiff (stateVector: Uint8Array): Uint8Array {
    checkStateVector(stateVector)
    return Y.encodeStateAsUpdate(this.doc, stateVector)
  }

  /**
   * Applies an update from another member (a gossiped local update, or a diff/full state). The
   * update is decoded in full before anything is applied, so bytes that are not a Yjs update
   * throw a {@link BlackboardError} `INVALID_UPDATE` and leave the blackboard unchanged.
   * Applying an update twice, or updates in any order, gives the same state.
   */
  applyUpdate (update: Uint8Array, origin?: unknown): void {
    decodeChecked(update)
    // Yjs integrates an update struct by struct: one that fails halfway leaves the document
    // corrupt (every later encoding of it throws). So it is tried on a copy of the state first.
    const probe = new Y.Doc()
    try {
      Y.applyUpdate(probe, Y.encodeStateAsUpdate(this.doc))
      Y.applyUpdate(probe, update)
    } catch (err) {
      throw new BlackboardError('INVALID_UPDATE', `the update could not be applied: ${errorMessage(err)}`, { cause: err })
    } finally {
      probe.destroy()
    }
    try {
      Y.applyUpdate(this.doc, update, origin)
    } catch (err) {
      throw new BlackboardError('INVALID_UPDATE', `the update could not be applied: ${errorMessage(err)}`, { cause: err })
    }
  }

  /**
   * Describes what an update would write without applying it, for the group layer to check
   * that a gossiped update only adds entries by its sender (`authors` equal to [sender],
   * `deletions` and `foreign` 0). Throws a {@link BlackboardError} `INVALID_UPDATE` for bytes
   * that are not a Yjs update.
   */
  static inspectUpdate (update: Uint8Array): UpdateInspection {
    return inspectUpdate(update)
  }

  /** Frees the Y.Doc and removes every listener. */
  destroy (): void {
    this.changeListeners.clear()
    this.localUpdateListeners.clear()
    this.doc.destroy()
  }

  private storedHypothesis (id: string): StoredHypothesis | undefined {
    if (!this.hypothesesMap.has(id)) return undefined
    const parsed = StoredHypothesisSchema.safeParse(this.hypothesesMap.get(id))
    return parsed.success && parsed.data.id === id ? parsed.data : undefined
  }

  private idFor (id: string | undefined): string {
    return checkId(id ?? this.newId())
  }

  private checkNew (map: Y.Map<unknown>, id: string, what: string, max: number): void {
    if (map.has(id)) throw new BlackboardError('DUPLICATE_ID', `a ${what} with id "${id}" is already on the blackboard`)
    if (map.size >= max) throw new BlackboardError('LIMIT', `the blackboard holds the most ${what} entries allowed (${max})`)
  }

  private emit<A> (listeners: Set<(arg: A) => void>, arg: A): void {
    for (const listener of [...listeners]) {
      try {
        listener(arg)
      } catch (err) {
        this.onListenerError(err)
      }
    }
  }
}
