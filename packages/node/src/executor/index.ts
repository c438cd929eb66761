/**
 * The executor: skill handlers (exec, http, module, builtin) and running them safely.
 */
export * from './types.js'
export * from './abort.js'
export * from './output.js'
export * from './handler-config.js'
export * from './run-handler.js'
export * from './exec-handler.js'
export * from './http-handler.js'
export * from './module-handler.js'
export * from './builtin-handler.js'
export * from './create-handler.js'
export * from './split-command.js'
