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
 */
import * as Y from 'yjs'
import { z } from 'zod'
import type { Json } from '@swarm/protocol'
import { FractionSchema, ID_PATTERN, LIMITS, TimestampSchema } from '@swarm/protocol'
import { randomUUID } from 'node:crypto'
import { FINDING_KINDS } from './confidence.js'
import type { FindingKind } from './confidence.js'

/** Statuses of a hypothesis. */
export const HYPOTHESIS_STATUSES = ['open', 'supported', 'refuted'] as const
/** A status of a hypothesis. */
export type HypothesisStatus = typeof HYPOTHESIS_STATUSES[number]

/** Size guards of a blackboard. Local writes beyond them throw; remote entries beyond them are skipped. */
export const BLACKBOARD_LIMITS = Object.freeze({
  /** Characters of a finding's content, a hypothesis statement or an action description. */
  maxTextChars: 4096,
  /** Evidence references of one finding. */
  maxEvidence: 16,
  /** Characters of one evidence reference, and of an author id. */
  maxShortChars: 256,
  /** Characters of an action's result encoded as JSON. */
  maxResultChars: 16 * 1024,
  /** Nesting of arrays and objects in an action's result. */
  maxResultDepth: 32,
  /** Entries of each kind that local writes may reach. */
  maxFindings: 4096,
  maxHypotheses: 1024,
  maxStatusChanges: 4096,
  maxActions: 4096,
  /** Bytes of one update or state vector accepted by applyUpdate / encodeDiff. */
  maxUpdateBytes: LIMITS.maxStreamMessageBytes
})

/** Codes of {@link BlackboardError}. */
export type BlackboardErrorCode = 'INVALID_ENTRY' | 'DUPLICATE_ID' | 'UNKNOWN_HYPOTHESIS' | 'LIMIT' | 'INVALID_UPDATE' | 'INVALID_STATE_VECTOR'

/** An error of a blackboard operation, with a stable code. The blackboard is unchanged. */
export class BlackboardError extends Error {
  readonly code: BlackboardErrorCode

  constructor (code: BlackboardErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'BlackboardError'
    this.code = code
  }
}

/** A finding as stored and read. */
export interface Finding {
  id: string
  kind: FindingKind
  content: string
  /** 0..1. */
  confidence: number
  /** References (ids of other entries, URLs, file names), at most 16. */
  evidence: string[]
  /** The hypothesis the finding bears on, if any. */
  hypothesisId?: string
  /** With `hypothesisId`: false when the finding contradicts the hypothesis. */
  supports?: boolean
  author: string
  at: number
}

/** What {@link Blackboard.addFinding} takes. */
export interface FindingInput {
  /** Chosen when absent. */
  id?: string
  kind: FindingKind
  content: string
  confidence: number
  evidence?: string[]
  hypothesisId?: string
  supports?: boolean
  author: string
  at: number
}

/** A hypothesis with its current status. */
export interface Hypothesis {
  id: string
  statement: string
  status: HypothesisStatus
  author: string
  at: number
  /** Who set the current status (the author when it never changed). */
  statusBy: string
  /** When the current status was set. */
  statusAt: number
}

/** What {@link Blackboard.addHypothesis} takes. */
export interface HypothesisInput {
  id?: string
  statement: string
  status?: HypothesisStatus
  author: string
  at: number
}

/** One change of a hypothesis' status. */
export interface HypothesisStatusChange {
  hypothesisId: string
  status: HypothesisStatus
  author: string
  at: number
}

/** An action taken by a member. */
export interface ActionRecord {
  id: string
  description: string
  author: string
  at: number
  result?: Json
}

/** What {@link Blackboard.recordAction} takes. */
export interface ActionInput {
  id?: string
  description: string
  author: string
  at: number
  result?: Json
}

/** The whole blackboard as plain JSON; each list sorted by `at`, then `id`. */
export interface BlackboardSnapshot {
  findings: Finding[]
  hypotheses: Hypothesis[]
  actions: ActionRecord[]
}

/** What {@link Blackboard.onChange} listeners get. */
export interface BlackboardChange {
  /** True for a change made through this instance, false for an applied update. */
  local: boolean
  /** The origin given to {@link Blackboard.applyUpdate} (undefined for local changes). */
  origin: unknown
}

/** What an update would write, from {@link Blackboard.inspectUpdate}. */
export interface UpdateInspection {
  /** Authors named by the entries in the update, in order, without duplicates. */
  authors: string[]
  /** Entries (findings, hypotheses, status changes, actions) in the update. */
  entries: number
  /** Deleted elements; a blackboard never deletes, so a gossiped local update has none. */
  deletions: number
  /** Content a blackboard never writes (text, nested types, binary, non-object values). */
  foreign: number
}

/** Options of a {@link Blackboard}. */
export interface BlackboardOptions {
  /** Makes ids for entries added without one (default: random UUIDs). */
  newId?: () => string
  /** Receives errors thrown by listeners (default: a process warning). */
  onListenerError?: (err: unknown) => void
}

const IdSchema = z.string().regex(ID_PATTERN)
const AuthorSchema = z.string().min(1).max(BLACKBOARD_LIMITS.maxShortChars)
const TextSchema = z.string().max(BLACKBOARD_LIMITS.maxTextChars)

const FindingSchema = z.object({
  id: IdSchema,
  kind: z.enum(FINDING_KINDS),
  content: TextSchema,
  confidence: FractionSchema,
  evidence: z.array(z.string().max(BLACKBOARD_LIMITS.maxShortChars)).max(BLACKBOARD_LIMITS.maxEvidence),
  hypothesisId: IdSchema.optional(),
  supports: z.boolean().optional(),
  author: AuthorSchema,
  at: TimestampSchema
}).strict()

const StoredHypothesisSchema = z.object({
  id: IdSchema,
  statement: TextSchema,
  status: z.enum(HYPOTHESIS_STATUSES),
  author: AuthorSchema,
  at: TimestampSchema
}).strict()
type StoredHypothesis = z.infer<typeof StoredHypothesisSchema>

const StatusChangeSchema = z.object({
  hypothesisId: IdSchema,
  status: z.enum(HYPOTHESIS_STATUSES),
  author: AuthorSchema,
  at: TimestampSchema
}).strict()

const ActionSchema = z.object({
  id: IdSchema,
  description: TextSchema,
  author: AuthorSchema,
  at: TimestampSchema,
  result: z.custom<Json>(value => jsonProblem(value) === undefined).optional()
}).strict()

const STATUS_RANK: Readonly<Record<HypothesisStatus, number>> = Object.freeze({ open: 0, supported: 1, refuted: 2 })

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
    const changes = new Map<string, HypothesisStatusChange[]>()
    for (const change of this.statusChanges()) {
      const list = changes.get(change.hypothesisId)
      if (list === undefined) changes.set(change.hypothesisId, [change])
      else list.push(change)
    }
    return sortEntries(readMap(this.hypothesesMap, StoredHypothesisSchema).map(h => {
      let current: HypothesisStatusChange = { hypothesisId: h.id, status: h.status, author: h.author, at: h.at }
      for (const change of changes.get(h.id) ?? []) {
        if (compareStatusChanges(change, current) > 0) current = change
      }
      return { id: h.id, statement: h.statement, status: current.status, author: h.author, at: h.at, statusBy: current.author, statusAt: current.at }
    }))
  }

  /** Every valid status change, sorted by `at`, then author, then hypothesis id, then status. */
  statusChanges (): HypothesisStatusChange[] {
    const list: HypothesisStatusChange[] = []
    for (const value of this.statusArray.toArray()) {
      const parsed = StatusChangeSchema.safeParse(value)
      if (parsed.success) list.push(parsed.data)
    }
    return list.sort((a, b) => compareNumbers(a.at, b.at) || compareStrings(a.author, b.author) ||
      compareStrings(a.hypothesisId, b.hypothesisId) || STATUS_RANK[a.status] - STATUS_RANK[b.status])
  }

  /** The actions taken, sorted by `at`, then `id`. */
  actions (): ActionRecord[] {
    return sortEntries(readMap(this.actionsMap, ActionSchema)).map(a => {
      const action: ActionRecord = { id: a.id, description: a.description, author: a.author, at: a.at }
      if (a.result !== undefined) action.result = structuredClone(a.result)
      return action
    })
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
    checkBytes(stateVector, 'INVALID_STATE_VECTOR', 'state vector')
    try {
      Y.decodeStateVector(stateVector)
    } catch (err) {
      throw new BlackboardError('INVALID_STATE_VECTOR', `not a Yjs state vector: ${errorMessage(err)}`, { cause: err })
    }
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
    const chosen = id ?? this.newId()
    if (typeof chosen !== 'string' || !ID_PATTERN.test(chosen)) {
      throw new BlackboardError('INVALID_ENTRY', `invalid id "${String(chosen)}": use 8 to 64 characters of A-Z a-z 0-9 _ -`)
    }
    return chosen
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

/** Decodes an update in full, throwing a BlackboardError for anything that is not one. */
function decodeChecked (update: Uint8Array): ReturnType<typeof Y.decodeUpdate> {
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

/** Validates a local entry, turning the first problem into a BlackboardError. */
function parseEntry<T> (schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value)
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]
  const where = issue === undefined || issue.path.length === 0 ? '' : ` at "${issue.path.join('.')}"`
  throw new BlackboardError('INVALID_ENTRY', `invalid ${what}${where}: ${issue?.message ?? 'invalid'}`)
}

/** The valid entries of a map whose key matches the entry's id. */
function readMap<T extends { id: string }> (map: Y.Map<unknown>, schema: z.ZodType<T>): T[] {
  const list: T[] = []
  for (const [key, value] of map.entries()) {
    const parsed = schema.safeParse(value)
    if (parsed.success && parsed.data.id === key) list.push(parsed.data)
  }
  return list
}

function sortEntries<T extends { id: string, at: number }> (list: T[]): T[] {
  return list.sort((a, b) => compareNumbers(a.at, b.at) || compareStrings(a.id, b.id))
}

/** Positive when `a` is the status that shows rather than `b`. */
function compareStatusChanges (a: HypothesisStatusChange, b: HypothesisStatusChange): number {
  return compareNumbers(a.at, b.at) || compareStrings(a.author, b.author) || STATUS_RANK[a.status] - STATUS_RANK[b.status]
}

/**
 * Why a value is not an acceptable action result (not plain JSON, too deep, too long), or
 * undefined when it is fine. Iterative, so deep values cannot exhaust the stack.
 */
function jsonProblem (value: unknown): string | undefined {
  const stack: Array<[unknown, number]> = [[value, 1]]
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number]
    if (v === null || typeof v === 'string' || typeof v === 'boolean') continue
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return 'holds a number that is not finite'
      continue
    }
    if (typeof v !== 'object') return `holds a ${typeof v}, which is not JSON`
    if (depth > BLACKBOARD_LIMITS.maxResultDepth) return `is nested deeper than ${BLACKBOARD_LIMITS.maxResultDepth} levels`
    if (Array.isArray(v)) {
      for (const item of v) stack.push([item, depth + 1])
    } else if (isRecord(v)) {
      for (const item of Object.values(v)) stack.push([item, depth + 1])
    } else {
      return 'holds an object that is not plain JSON'
    }
  }
  const chars = JSON.stringify(value).length
  if (chars > BLACKBOARD_LIMITS.maxResultChars) return `is ${chars} characters of JSON, more than the ${BLACKBOARD_LIMITS.maxResultChars} allowed`
  return undefined
}

function isRecord (value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const proto: unknown = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

function compareNumbers (a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function compareStrings (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function errorMessage (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
