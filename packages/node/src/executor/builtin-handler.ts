/**
 * Handlers built into the node, for demos, tests and simulations: echo, sleep and fail.
 */
import type { Json } from '@swarm/protocol'
import { BuiltinHandlerSchema } from '../config.js'
import { abortableSleep, abortError } from './abort.js'
import { parseHandlerConfig } from './handler-config.js'
import type { BuiltinHandlerConfig } from './handler-config.js'
import { HandlerError } from './types.js'
import type { SkillHandler } from './types.js'

/**
 * A builtin handler: `echo` returns its input; `sleep` waits `delayMs` (stopping early with
 * HANDLER_ABORTED or HANDLER_TIMEOUT when the signal aborts) and returns
 * `{ slept: delayMs, input }`; `fail` always fails with HANDLER_CRASHED; `simulate` (for the
 * simulator) waits `input.workMs` (default `delayMs`) and fails when `input.fail` is true.
 */
export function builtinHandler (config: BuiltinHandlerConfig): SkillHandler {
  const { name, delayMs } = parseHandlerConfig(BuiltinHandlerSchema, config)
  switch (name) {
    case 'echo':
      return async (input, ctx) => {
        if (ctx.signal.aborted) throw abortError(ctx.signal)
        return input
      }
    case 'sleep':
      return async (input, ctx): Promise<Json> => {
        ctx.progress(0, `sleeping ${delayMs} ms`)
        await abortableSleep(delayMs, ctx.signal)
        ctx.progress(1)
        return { slept: delayMs, input }
      }
    case 'fail':
      return async () => {
        throw new HandlerError('HANDLER_CRASHED', 'builtin fail handler')
      }
    case 'simulate':
      return async (input, ctx): Promise<Json> => {
        const spec = typeof input === 'object' && input !== null && !Array.isArray(input) ? input : {}
        const workMs = typeof spec.workMs === 'number' && spec.workMs >= 0 ? Math.min(spec.workMs, 3_600_000) : delayMs
        await abortableSleep(workMs, ctx.signal)
        if (spec.fail === true) throw new HandlerError('HANDLER_CRASHED', 'simulated failure')
        return { skill: ctx.skill, workMs }
      }
  }
}
