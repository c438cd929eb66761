/**
 * Builds the skill handler a skill's configuration declares.
 */
import type { HandlerConfig } from '../config.js'
import { llmHandler } from '../llm/llm-handler.js'
import { isRoleName, roleLayer } from '../llm/roles.js'
import { resolveLlmSettings } from '../llm/settings.js'
import type { LlmHandlerDeps } from '../llm/llm-handler.js'
import type { LlmConfig, ResolvedLlmSettings } from '../llm/settings.js'
import { builtinHandler } from './builtin-handler.js'
import { execHandler } from './exec-handler.js'
import { httpHandler } from './http-handler.js'
import { inboxHandler } from './inbox-handler.js'
import type { InboxPort } from './inbox-handler.js'
import { moduleHandler } from './module-handler.js'
import type { SkillHandler } from './types.js'

/**
 * The settings an `llm` skill runs with. The layers: the config's `llm` defaults, the role
 * preset (the handler's `role`, else the skill's name when it is a role), the config's overrides
 * of that role, the skill's own handler. Throws CONFIG_INVALID when none names a model.
 */
export function llmSettingsOf (skill: string, handler: Extract<HandlerConfig, { kind: 'llm' }>, defaults: LlmConfig | undefined): ResolvedLlmSettings {
  const role = handler.role ?? (isRoleName(skill) ? skill : undefined)
  const layers = role === undefined ? [defaults, handler] : [defaults, roleLayer(role), defaults?.roles[role], handler]
  return resolveLlmSettings(layers, skill)
}

/** What an `llm` handler needs besides its own settings: the config's `llm` defaults and the node's endpoint slots. */
export interface CreateHandlerOptions {
  /** The skill the handler serves (named in configuration errors). */
  skill?: string
  llm?: LlmHandlerDeps & { defaults?: LlmConfig }
  /** The node's inbox, shared by its `inbox` skills (inbox/). */
  inbox?: InboxPort
}

/**
 * The handler for one `handler` entry of a skill's configuration (exec, http, module, builtin,
 * llm or inbox). Nothing runs yet: programs start, URLs are called and modules are imported when the
 * handler is first called. Run it with `runHandler(handler, input, ctx, config.timeoutMs)` to
 * get an outcome whatever happens. An `llm` handler needs `options.llm` (its settings are
 * resolved now: a missing model throws CONFIG_INVALID), an `inbox` handler `options.inbox`.
 */
export function createHandler (config: HandlerConfig, options: CreateHandlerOptions = {}): SkillHandler {
  switch (config.kind) {
    case 'exec': return execHandler(config)
    case 'http': return httpHandler(config)
    case 'module': return moduleHandler(config)
    case 'builtin': return builtinHandler(config)
    case 'llm': {
      if (options.llm === undefined) throw new TypeError('an llm handler needs the node\'s endpoint slots (createHandler options.llm)')
      const { defaults, ...deps } = options.llm
      return llmHandler(llmSettingsOf(options.skill ?? 'unnamed', config, defaults), deps)
    }
    case 'inbox': {
      if (options.inbox === undefined) throw new TypeError('an inbox handler needs the node\'s inbox (createHandler options.inbox)')
      return inboxHandler(config, options.inbox)
    }
    default: {
      const unknownKind: never = config
      throw new TypeError(`unknown handler kind ${JSON.stringify((unknownKind as { kind?: unknown }).kind)}`)
    }
  }
}
