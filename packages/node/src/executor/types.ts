/**
 * The contract between the node and a skill handler: what a handler receives, what it returns,
 * and how it fails.
 */
import type { DirectErrorCode, GroupMember, Json } from '@swarm/protocol'
import type { Logger } from '../logger.js'
import type { HandlerGroupApi } from '../group/group-service.js'

/**
 * What a handler knows about the work it does. An interface so that later features (group
 * voting, the blackboard) can add members without breaking handlers.
 */
export interface HandlerContext extends Partial<HandlerGroupApi> {
  taskId: string
  groupId: string
  /** The skill this member performs. */
  skill: string
  /** The task's description as announced. */
  description: string
  /** Every member of the working group and the skills each performs. */
  members: GroupMember[]
  /** Epoch milliseconds by which the whole task must be done. */
  deadline: number
  /** 1 for the first run of the task, 2 for the first retry, … */
  attempt: number
  /** Aborted when the handler must stop (timeout, cancellation, shutdown). Its reason is a {@link HandlerError}. */
  signal: AbortSignal
  /** Resume state from a previous member. */
  checkpoint?: Json
  /** Reports how far the work is, `fraction` in 0..1. */
  progress(fraction: number, message?: string): void
  /** Records state a replacement member could resume from. */
  saveCheckpoint(state: Json): void
  log: Logger
  // Working-group functions (inherited, optional: present when the handler runs in this node's
  // process as a member of a group — module and builtin handlers): postFinding, postHypothesis,
  // recordAction, blackboard, propose, vote, escalate, onVerify. See HandlerGroupApi.
}

/** A skill handler: does the work for one member of a group and resolves to its JSON result. */
export type SkillHandler = (input: Json, ctx: HandlerContext) => Promise<Json>

/** Every code a handler failure can have. */
export const HANDLER_ERROR_CODES = [
  'HANDLER_CRASHED',
  'HANDLER_TIMEOUT',
  'HANDLER_EXIT',
  'HANDLER_BAD_OUTPUT',
  'HANDLER_HTTP',
  'HANDLER_ABORTED',
  'HANDLER_NOT_FOUND'
] as const

/**
 * Why a handler failed: it threw (CRASHED), ran out of time (TIMEOUT), exited non-zero (EXIT),
 * produced something that is not acceptable JSON (BAD_OUTPUT), got a non-2xx or no answer from
 * its URL (HTTP), was stopped (ABORTED), or its program, module or export does not exist
 * (NOT_FOUND).
 */
export type HandlerErrorCode = (typeof HANDLER_ERROR_CODES)[number]

/**
 * The result of one handler run, as reported to the announcer. Never thrown. A part whose input
 * could not be fetched by reference never ran: it fails with INPUT_FETCH_FAILED (a wire code).
 */
export type HandlerOutcome =
  | { ok: true, output: Json, durationMs: number }
  | { ok: false, error: { code: HandlerErrorCode | Extract<DirectErrorCode, 'INPUT_FETCH_FAILED'>, message: string }, durationMs: number }

/** A handler failure with a stable code. Handlers may throw it to pick the code themselves. */
export class HandlerError extends Error {
  readonly code: HandlerErrorCode

  constructor (code: HandlerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'HandlerError'
    this.code = code
  }
}

/** Whether `value` is one of the {@link HandlerErrorCode}s. */
export function isHandlerErrorCode (value: unknown): value is HandlerErrorCode {
  return typeof value === 'string' && (HANDLER_ERROR_CODES as readonly string[]).includes(value)
}
