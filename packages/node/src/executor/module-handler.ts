/**
 * The `module` handler: a function exported by an ES module file, called in this process.
 */
import { pathToFileURL } from 'node:url'
import type { Json } from '@swarm/protocol'
import { ModuleHandlerSchema } from '../config.js'
import { abortError } from './abort.js'
import { parseHandlerConfig } from './handler-config.js'
import type { ModuleHandlerConfig } from './handler-config.js'
import { toJsonOutput } from './output.js'
import { HandlerError } from './types.js'
import type { HandlerContext, SkillHandler } from './types.js'

type ModuleFunction = (input: Json, ctx: HandlerContext) => unknown

/**
 * A handler that imports `config.path` (once, on first use; a failed import is retried on the
 * next call) and calls its export `config.export` as `fn(input, ctx)`; what it returns or
 * resolves to is the result. Fails with HANDLER_NOT_FOUND when the file cannot be found or the
 * export is not a function, HANDLER_CRASHED when the module throws while loading. The function
 * runs in the node's own process: it should honour `ctx.signal`, since it cannot be killed.
 */
export function moduleHandler (config: ModuleHandlerConfig): SkillHandler {
  const { path, export: name } = parseHandlerConfig(ModuleHandlerSchema, config)
  let loading: Promise<ModuleFunction> | undefined

  const load = async (): Promise<ModuleFunction> => {
    let namespace: Record<string, unknown>
    try {
      namespace = await import(pathToFileURL(path).href) as Record<string, unknown>
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      const message = err instanceof Error ? err.message : String(err)
      if (code === 'ERR_MODULE_NOT_FOUND' && message.includes(pathToFileURL(path).pathname)) {
        throw new HandlerError('HANDLER_NOT_FOUND', `module file ${path} not found`, { cause: err })
      }
      throw new HandlerError('HANDLER_CRASHED', `cannot load module ${path}: ${message}`, { cause: err })
    }
    const fn = namespace[name]
    if (typeof fn !== 'function') {
      const functions = Object.keys(namespace).filter(key => typeof namespace[key] === 'function')
      const found = functions.length === 0 ? 'it exports no functions' : `its functions: ${functions.join(', ')}`
      const what = fn === undefined ? 'does not exist' : `is a ${typeof fn}, not a function`
      throw new HandlerError('HANDLER_NOT_FOUND', `module ${path}: export "${name}" ${what} (${found})`)
    }
    return fn as ModuleFunction
  }

  return async (input, ctx) => {
    if (ctx.signal.aborted) throw abortError(ctx.signal)
    loading ??= load()
    let fn: ModuleFunction
    try {
      fn = await loading
    } catch (err) {
      loading = undefined
      throw err
    }
    return toJsonOutput(await fn(input, ctx), `result of ${path} export "${name}"`)
  }
}
