/**
 * The `swarm-node` command: assembles the program from the command modules (each registers its
 * commands next to their actions) and maps what a command throws to an exit code.
 */
import { Command, CommanderError } from 'commander'
import { SOFTWARE } from '@swarm/node'
import { ApiError } from './api-client.js'
import { registerAccess } from './commands/access.js'
import { registerAnnounce } from './commands/announce.js'
import { registerDashboard } from './commands/dashboard.js'
import { registerGroup } from './commands/group.js'
import { registerInbox } from './commands/inbox.js'
import { registerInspect } from './commands/inspect.js'
import { registerMcp } from './commands/mcp.js'
import { registerRegistry } from './commands/registry.js'
import { registerRoles } from './commands/roles.js'
import { registerSim } from './commands/sim.js'
import { registerStart } from './commands/start.js'
import { registerTasks } from './commands/tasks.js'
import { registerVerify } from './commands/verify.js'
import { registerVersion } from './commands/version.js'
import { registerWorkflows } from './commands/workflows.js'
import { CliError, EXIT } from './exit-codes.js'
import { consoleOutput } from './output.js'
import type { CommandContext, RegisterCommands } from './options.js'
import type { Output } from './output.js'

const EXIT_CODES_HELP = `
Exit codes:
  0  success
  1  the operation failed (e.g. a task failed)
  2  bad flags, arguments or configuration
  3  no running node reachable (start one, or pass --data-dir / --api)
  4  a task was rejected (no capable peers), or a workflow step can never be assigned
  5  timed out (claim: no part came within --wait)
  6  the node could not start (port in use, data directory unusable or in use by another node)
  70 the Node.js that runs swarm-node is older than 22.12 (run it through npx, or install Node.js 24)
  130 stopped by Ctrl-C (announce --wait and the other waits: the task or workflow goes on)
With --json, a failure is one JSON object on stdout: {"error":{"code":…,"message":…,"exitCode":…}}.`

/** The command modules, in the order `--help` lists their commands. */
const COMMANDS: readonly RegisterCommands[] = [
  registerStart,
  registerRegistry,
  registerInspect,
  registerAnnounce,
  registerTasks,
  registerWorkflows,
  registerDashboard,
  registerGroup,
  registerInbox,
  registerMcp,
  registerSim,
  registerAccess,
  registerVerify,
  registerRoles,
  registerVersion
]

/** Builds the command tree; each action stores its exit code in `result`. */
export function buildProgram (out: Output, result: { code: number }): Command {
  const program = new Command()
  program
    .name('swarm-node')
    .description('An agent of the swarm: a peer-to-peer network of agents that advertise skills, announce tasks and form working groups.')
    .version(SOFTWARE.version, '-v, --version', 'print the version (swarm-node version: with the protocol and Node.js)')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', EXIT_CODES_HELP)
    .configureOutput({ writeOut: s => { process.stdout.write(s) }, writeErr: s => { process.stderr.write(s) } })
    .exitOverride()
  const ctx: CommandContext = { out, run: async action => { result.code = await action() } }
  for (const register of COMMANDS) register(program, ctx)
  return program
}

/** Runs the CLI with `argv` (as process.argv) and exits with the command's exit code. */
export async function main (argv: string[], out: Output = consoleOutput()): Promise<never> {
  // A reader that stops early (`swarm-node sim --help | head`) closes stdout: stop quietly, as
  // other command-line tools do, instead of crashing on EPIPE.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0)
    throw err
  })
  const code = await runCli(argv, out)
  // Let stdout drain before exiting.
  process.exitCode = code
  await new Promise<void>(resolve => { process.stdout.write('', () => { resolve() }) })
  process.exit(code)
}

/** Runs the CLI and returns its exit code instead of exiting (used by tests). */
export async function runCli (argv: string[], out: Output = consoleOutput()): Promise<number> {
  const result = { code: EXIT.OK as number }
  const program = buildProgram(out, result)
  try {
    await program.parseAsync(argv)
    return result.code
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.OK
      return EXIT.USAGE
    }
    const failure = failureOf(err)
    if (wantsJson(argv)) out.json({ error: { code: failure.code, message: failure.message, exitCode: failure.exitCode } })
    else out.error(failure.text)
    return failure.exitCode
  }
}

/** The names of the exit codes, as `--json` errors give them when the node gave no code. */
const EXIT_NAMES = new Map<number, string>(Object.entries(EXIT).map(([name, code]) => [code, name]))

/** What a command that threw tells the user: a code, a message, the exit code, and the line for a terminal. */
function failureOf (err: unknown): { code: string, message: string, exitCode: number, text: string } {
  if (err instanceof CliError) return { code: EXIT_NAMES.get(err.exitCode) ?? 'FAILURE', message: err.message, exitCode: err.exitCode, text: `swarm-node: ${err.message}` }
  if (err instanceof ApiError) {
    return { code: err.code, message: err.message, exitCode: err.code === 'API_BAD_REQUEST' ? EXIT.USAGE : EXIT.FAILURE, text: `swarm-node: ${err.message} (${err.code})` }
  }
  const message = err instanceof Error ? err.message : String(err)
  return { code: 'UNEXPECTED', message, exitCode: EXIT.FAILURE, text: `swarm-node: unexpected error: ${err instanceof Error ? err.stack ?? err.message : String(err)}` }
}

/** Whether the command line asks for JSON output (`--json` before any `--`). */
function wantsJson (argv: readonly string[]): boolean {
  const end = argv.indexOf('--')
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json')
}
