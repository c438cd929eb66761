/**
 * Builds the skill handler a skill's configuration declares.
 */
import type { HandlerConfig } from '../config.js'
import { builtinHandler } from './builtin-handler.js'
import { execHandler } from './exec-handler.js'
import { httpHandler } from './http-handler.js'
import { moduleHandler } from './module-handler.js'
import type { SkillHandler } from './types.js'

/**
 * The handler for one `handler` entry of a skill's configuration (exec, http, module or
 * builtin). Nothing runs yet: programs start, URLs are called and modules are imported when the
 * handler is first called. Run it with `runHandler(handler, input, ctx, config.timeoutMs)` to
 * get an outcome whatever happens.
 */
export function createHandler (config: HandlerConfig): SkillHandler {
  switch (config.kind) {
    case 'exec': return execHandler(config)
    case 'http': return httpHandler(config)
    case 'module': return moduleHandler(config)
    case 'builtin': return builtinHandler(config)
    default: {
      const unknownKind: never = config
      throw new TypeError(`unknown handler kind ${JSON.stringify((unknownKind as { kind?: unknown }).kind)}`)
    }
  }
}
