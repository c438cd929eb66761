export { runCli, buildProgram } from './main.js'
export { ApiClient, resolveApiTarget } from './api-client.js'
export { EXIT, CliError } from './exit-codes.js'
