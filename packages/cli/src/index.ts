/**
 * @swarm/cli — the `swarm-node` command. Each command registers itself (commands/*); all but
 * `start`, `registry` and `sim` talk to a running node only through its control API.
 */
export { runCli, buildProgram } from './main.js'
export { ApiClient, resolveApiTarget } from './api-client.js'
export { EXIT, CliError } from './exit-codes.js'
export { settingsFromEnv, withEnv, ENV_VARS } from './env.js'
export type { EnvSettings } from './env.js'
export { startOverrides } from './commands/start.js'
export { registryOverrides } from './commands/registry.js'
