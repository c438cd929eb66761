/**
 * The contract between the node and a skill handler: what a handler receives, what it returns,
 * and how it fails.
 */
import type { DirectErrorCode, GroupMember, Json, WorkflowTag } from '@swarm/protocol'
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
  /**
   * The workflow step the task serves, as announced (absent outside a workflow): the workflow's
   * id, the step's id, its iteration (raised each time a review loop sends it back) and the step
   * ids whose outputs the input holds under those keys (`buildsOn`; the input is then
   * `{ <step id>: output, …, feedback?: … }`).
   */
  workflow?: WorkflowTag
  /** Reports how far the work is, `fraction` in 0..1. */
  progress(fraction: number, message?: string): void
  /** Records state a replacement member could resume from. */
  saveCheckpoint(state: Json): void
  /**
   * Passes this member's part to another capable agent, which resumes from `state` (else from
   * the last saved checkpoint): the announcer picks the backup and records `reason` ("needs a
   * specialist", "overloaded", …). Ends the handler's run: it throws a {@link HandlerHandoff}
   * (let it propagate), and whatever the handler does afterwards is ignored. Present whenever
   * the node runs the handler ({@link runHandler}); optional for callers that build a context
   * by hand.
   */
  handoff?: (reason: string, state?: Json) => never
  log: Logger
  // Working-group functions (inherited, optional: present when the handler runs in this node's
  // process as a member of a group — module and builtin handlers): postFinding, postHypothesis,
  // recordAction, blackboard, propose, vote, escalate, onVerify, onProposal. See HandlerGroupApi.
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
  'HANDLER_NOT_FOUND',
  'HANDLER_HANDOFF_REFUSED',
  // An `inbox` handler's worker reported that it failed (inbox/).
  'HANDLER_WORKER_FAILED',
  // An `llm` handler's model server (llm/errors.ts).
  'LLM_UNREACHABLE',
  'LLM_MODEL_NOT_FOUND',
  'LLM_HTTP_ERROR',
  'LLM_RATE_LIMITED',
  'LLM_TIMEOUT',
  'LLM_EMPTY',
  'LLM_CONTEXT_TOO_LONG',
  'LLM_BAD_JSON',
  'LLM_NO_KEY'
] as const

/**
 * Why a handler failed: it threw (CRASHED), ran out of time (TIMEOUT), exited non-zero (EXIT),
 * produced something that is not acceptable JSON (BAD_OUTPUT), got a non-2xx or no answer from
 * its URL (HTTP), was stopped (ABORTED), its program, module or export does not exist
 * (NOT_FOUND), or it asked to hand its part off and the announcer could not (HANDOFF_REFUSED:
 * no backup, or no answer), an `inbox` part's external worker failed it (WORKER_FAILED, with the
 * worker's message); the LLM_ codes are an `llm` handler's model server (llm/errors.ts).
 */
export type HandlerErrorCode = (typeof HANDLER_ERROR_CODES)[number]

/** What a handler asks for when it hands its part off: why, and the state to resume from. */
export interface HandoffRequest {
  reason: string
  state?: Json
  /** The member that took the part over, once the announcer named it (set by the member side). */
  to?: string
}

/** The `error.code` of a {@link HandlerOutcome} that is a handoff (not a failure of the work). */
export const HANDED_OFF = 'HANDLER_HANDED_OFF'

/**
 * The result of one handler run, as reported to the announcer. Never thrown. A part whose input
 * could not be fetched by reference never ran: it fails with INPUT_FETCH_FAILED (a wire code).
 * A handler that called `ctx.handoff` ends with the third variant: not ok, `handoff` set, and an
 * `error` (code {@link HANDED_OFF}) so that code reading any not-ok outcome still works; use
 * {@link isHandoff} to tell it apart.
 */
export type HandlerOutcome =
  | { ok: true, output: Json, durationMs: number }
  | { ok: false, error: { code: HandlerErrorCode | Extract<DirectErrorCode, 'INPUT_FETCH_FAILED'>, message: string }, durationMs: number }
  | { ok: false, error: { code: typeof HANDED_OFF, message: string }, handoff: HandoffRequest, durationMs: number }

/** The handoff variant of {@link HandlerOutcome}. */
export type HandoffOutcome = Extract<HandlerOutcome, { handoff: HandoffRequest }>

/** Whether `outcome` is a handoff (the handler passed its part on) rather than a result or a failure. */
export function isHandoff (outcome: HandlerOutcome): outcome is HandoffOutcome {
  return 'handoff' in outcome
}

/**
 * Thrown by `ctx.handoff` to end the handler's run; {@link runHandler} turns it into a handoff
 * outcome. Handlers should not catch it (if they do, the handoff still stands).
 */
export class HandlerHandoff extends Error {
  readonly request: HandoffRequest

  constructor (request: HandoffRequest) {
    super(`handed off: ${request.reason}`)
    this.name = 'HandlerHandoff'
    this.request = request
  }
}

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
