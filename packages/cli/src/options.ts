/**
 * What a command module needs to register its commands, and the options several commands share:
 * how a command finds a running node and prints JSON (`--data-dir`, `--api`, `--token`,
 * `--json`), and how a node run in the foreground is set up and reports (`start`, `registry`).
 * Flag values are validated where they are used, with the parsers of flags.ts (durations,
 * numbers, skills).
 */
import { Option } from 'commander'
import { LOG_LEVELS } from '@swarm/node'
import type { Command } from 'commander'
import type { Output } from './output.js'

/** What every command module's `register` gets besides the program. */
export interface CommandContext {
  out: Output
  /** Runs a command's action; the exit code it returns becomes the CLI's. */
  run: (action: () => Promise<number>) => Promise<void>
}

/** Adds a module's commands to the program. */
export type RegisterCommands = (program: Command, ctx: CommandContext) => void

/** `--data-dir`, `--api` and `--token`: how a command finds the running node it talks to. */
export function addNodeTargetOptions (cmd: Command): Command {
  return cmd
    .option('--data-dir <dir>', 'data directory of the node to talk to (default: $SWARM_DATA_DIR or ~/.swarm)')
    .option('--api <url>', 'control API URL of the node, e.g. http://127.0.0.1:7400')
    .option('--token <token>', 'control API token (default: from the data directory, or $SWARM_API_TOKEN)')
}

/** `--data-dir`, `--api`, `--token` and `--json`: the options of every command that talks to a running node. */
export function addApiOptions (cmd: Command): Command {
  return addNodeTargetOptions(cmd).option('--json', 'print JSON instead of text')
}

/**
 * `-c, --config`, `--data-dir` and the access flags (`--swarm-key`, `--allow`, `--deny`) of a node
 * run in the foreground.
 */
export function addNodeSetupOptions (cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'config file (YAML or JSON); flags override it')
    .option('--data-dir <dir>', 'where the key, token, database and log live (default: $SWARM_DATA_DIR or ~/.swarm)')
    .option('--swarm-key <file>', 'a private swarm: only nodes with this pre-shared key file connect (make one with swarm-node keygen --swarm-key <file>)')
    .option('--allow <peer id>', 'only these peers may connect, repeatable (default: anyone)', (value: string, previous: string[] = []) => [...previous, value])
    .option('--deny <peer id>', 'refuse this peer, repeatable (see also swarm-node block)', (value: string, previous: string[] = []) => [...previous, value])
}

/** `--log-level`, `--log-file`, `--json` and `-q` of a node run in the foreground; `who` writes the log. */
export function addNodeOutputOptions (cmd: Command, who: 'node' | 'registry'): Command {
  return cmd
    .addOption(new Option('--log-level <level>', 'lowest level the node log keeps (default: info)').choices(LOG_LEVELS))
    .option('--log-file <file>', `where the ${who} writes its JSON-lines log (default: <data-dir>/node.log; - for standard error)`)
    .option('--json', 'print JSON lines instead of text')
    .option('-q, --quiet', 'print only the start banner')
}
