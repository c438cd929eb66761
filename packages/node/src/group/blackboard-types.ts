/**
 * The vocabulary of a group's blackboard: its entries as stored and read, what writes take, its
 * size limits and its errors. Shared by the document (`Blackboard`) and its readers.
 */
import type { Json } from '@swarm/protocol'
import { LIMITS } from '@swarm/protocol'
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

/** What `Blackboard.addFinding` takes. */
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

/** What `Blackboard.addHypothesis` takes. */
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

/** What `Blackboard.recordAction` takes. */
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

/** What `Blackboard.onChange` listeners get. */
export interface BlackboardChange {
  /** True for a change made through this instance, false for an applied update. */
  local: boolean
  /** The origin given to `Blackboard.applyUpdate` (undefined for local changes). */
  origin: unknown
}

/** What an update would write, from `Blackboard.inspectUpdate`. */
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

/** Options of a `Blackboard`. */
export interface BlackboardOptions {
  /** Makes ids for entries added without one (default: random UUIDs). */
  newId?: () => string
  /** Receives errors thrown by listeners (default: a process warning). */
  onListenerError?: (err: unknown) => void
}
