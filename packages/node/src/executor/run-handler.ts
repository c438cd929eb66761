/**
 * Runs one skill handler safely: a timeout, cancellation, output checks, and never a thrown
 * error or an unhandled rejection — every way a handler can fail becomes a {@link HandlerOutcome}.
 */
import { LIMITS } from '@swarm/protocol'
import type { Json } from '@swarm/protocol'
import { MAX_TIMER_MS } from '../ports/clock.js'
import { abortError } from './abort.js'
import { snippet, toJsonOutput } from './output.js'
import { HANDED_OFF, HandlerError, HandlerHandoff, isHandlerErrorCode } from './types.js'
import type { HandlerContext, HandlerErrorCode, HandlerOutcome, HandoffRequest, SkillHandler } from './types.js'

/**
 * The context given to {@link runHandler}: `signal`, when given, is an outer cancellation;
 * `handoff` is runHandler's own (a handoff becomes the outcome).
 */
export type RunHandlerContext = Omit<HandlerContext, 'signal' | 'handoff'> & { signal?: AbortSignal }

/** Tuning of {@link runHandler}. */
export interface RunHandlerOptions {
  /**
   * After a timeout or an abort, how long to wait for the handler to wind down (an exec
   * handler's process to be killed) before reporting anyway. Default {@link DEFAULT_SETTLE_GRACE_MS}.
   */
  settleGraceMs?: number
}

/** Default wait for a stopped handler: a little longer than an exec handler's SIGTERM → SIGKILL delay. */
const DEFAULT_SETTLE_GRACE_MS = 2_500

/** Converts anything a handler threw into a HandlerError (HANDLER_CRASHED unless it picked a code). */
function toHandlerError (err: unknown): HandlerError {
  if (err instanceof HandlerError) return err
  if (err instanceof Error) {
    const code: unknown = 'code' in err ? err.code : undefined
    if (isHandlerErrorCode(code)) return new HandlerError(code, err.message, { cause: err })
    const text = err.message === '' ? err.name : err.name === 'Error' ? err.message : `${err.name}: ${err.message}`
    return new HandlerError('HANDLER_CRASHED', text, { cause: err })
  }
  let text: string
  try {
    text = typeof err === 'string' ? err : JSON.stringify(err) ?? String(err)
  } catch {
    text = String(err)
  }
  return new HandlerError('HANDLER_CRASHED', `handler threw ${snippet(text)}`, { cause: err })
}

function failure (err: HandlerError, durationMs: number): HandlerOutcome {
  const code: HandlerErrorCode = err.code
  const max = LIMITS.maxDescriptionChars
  const message = err.message.length <= max ? err.message : `${err.message.slice(0, max - 1)}…`
  return { ok: false, error: { code, message }, durationMs }
}

/** The handoff outcome of a run whose handler called `ctx.handoff`. */
function handedOff (request: HandoffRequest, durationMs: number): HandlerOutcome {
  return { ok: false, error: { code: HANDED_OFF, message: `handed off: ${request.reason}` }, handoff: request, durationMs }
}

/** A handoff request as it may travel: the reason cut to a short text, never empty. */
function handoffRequest (reason: unknown, state: Json | undefined): HandoffRequest {
  const text = typeof reason === 'string' && reason.trim() !== '' ? reason.trim() : 'handed off'
  return { reason: text.slice(0, LIMITS.maxShortTextChars), ...(state !== undefined ? { state } : {}) }
}

function clampFraction (fraction: number): number {
  if (Number.isNaN(fraction)) return 0
  return Math.min(1, Math.max(0, fraction))
}

type Settled = { ok: true, value: unknown } | { ok: false, err: unknown }

/**
 * Runs `handler` on `input` with a fresh abort signal that fires on `timeoutMs`
 * (HANDLER_TIMEOUT) or when `ctx.signal` aborts (HANDLER_ABORTED), and resolves — never
 * rejects — to the outcome. A handler that throws or rejects yields HANDLER_CRASHED (or the
 * code of the HandlerError it threw); an output that is not JSON, is larger than
 * LIMITS.maxResultBytes or nests too deep yields HANDLER_BAD_OUTPUT.
 *
 * Progress fractions are clamped to 0..1, progress messages cut to LIMITS.maxShortTextChars,
 * errors thrown by `ctx.progress` / `ctx.saveCheckpoint` are logged, not passed to the handler,
 * and calls after the outcome are ignored. The handler's signal is also aborted once the
 * outcome is known, so that leftover work stops. `ctx.handoff(reason, state)` throws a
 * {@link HandlerHandoff} and the outcome is then a handoff (see {@link isHandoff}) however the
 * handler ends, unless a timeout or an abort came first. Callers pass the smaller of the handler's
 * configured timeout and the time left until the task's deadline.
 */
export async function runHandler (handler: SkillHandler, input: Json, ctx: RunHandlerContext, timeoutMs: number, options: RunHandlerOptions = {}): Promise<HandlerOutcome> {
  const started = performance.now()
  const elapsed = (): number => Math.max(0, Math.round(performance.now() - started))
  const grace = options.settleGraceMs ?? DEFAULT_SETTLE_GRACE_MS
  const outer = ctx.signal
  if (outer?.aborted === true) return failure(abortError(outer), elapsed())

  const controller = new AbortController()
  let over = false
  let stopReason: HandlerError | undefined
  let wake = (): void => {}
  const stopped = new Promise<'stopped'>(resolve => { wake = () => { resolve('stopped') } })
  const stop = (err: HandlerError): void => {
    if (stopReason !== undefined || over) return
    stopReason = err
    controller.abort(err)
    wake()
  }
  const onOuterAbort = (): void => { if (outer !== undefined) stop(abortError(outer)) }
  outer?.addEventListener('abort', onOuterAbort, { once: true })
  const timer = Number.isFinite(timeoutMs) && timeoutMs <= MAX_TIMER_MS
    ? setTimeout(() => { stop(new HandlerError('HANDLER_TIMEOUT', `handler timed out after ${timeoutMs} ms`)) }, Math.max(0, timeoutMs))
    : undefined

  let handoff: HandoffRequest | undefined
  const { signal: _outer, ...rest } = ctx
  const handlerCtx: HandlerContext = {
    ...rest,
    signal: controller.signal,
    progress: (fraction, message) => {
      if (over) return
      try {
        ctx.progress(clampFraction(fraction), message === undefined ? undefined : message.slice(0, LIMITS.maxShortTextChars))
      } catch (err) {
        ctx.log.warn('progress callback failed', { err })
      }
    },
    saveCheckpoint: state => {
      if (over) return
      try {
        ctx.saveCheckpoint(state)
      } catch (err) {
        ctx.log.warn('checkpoint callback failed', { err })
      }
    },
    handoff: (reason, state) => {
      // The first request stands; the throw ends the handler's run.
      if (!over && stopReason === undefined) handoff ??= handoffRequest(reason, state)
      throw new HandlerHandoff(handoff ?? handoffRequest(reason, state))
    }
  }

  let running: Promise<unknown>
  try {
    running = Promise.resolve(handler(input, handlerCtx))
  } catch (err) {
    running = Promise.reject(err)
  }
  const settled: Promise<Settled> = running.then(value => ({ ok: true, value }), (err: unknown) => ({ ok: false, err }))

  try {
    const first = await Promise.race([settled, stopped])
    if (first === 'stopped') {
      const reason = stopReason ?? new HandlerError('HANDLER_ABORTED', 'handler aborted')
      let graceTimer: NodeJS.Timeout | undefined
      const late = await Promise.race([
        settled.then(() => false),
        new Promise<boolean>(resolve => { graceTimer = setTimeout(() => { resolve(true) }, grace) })
      ])
      clearTimeout(graceTimer)
      if (late) ctx.log.warn('handler did not stop within the grace period after being stopped', { graceMs: grace, code: reason.code })
      return failure(reason, elapsed())
    }
    if (handoff !== undefined) return handedOff(handoff, elapsed())
    if (!first.ok) return failure(toHandlerError(first.err), elapsed())
    try {
      return { ok: true, output: toJsonOutput(first.value), durationMs: elapsed() }
    } catch (err) {
      return failure(toHandlerError(err), elapsed())
    }
  } finally {
    over = true
    clearTimeout(timer)
    outer?.removeEventListener('abort', onOuterAbort)
    if (!controller.signal.aborted) controller.abort(new HandlerError('HANDLER_ABORTED', 'handler run is over'))
  }
}
