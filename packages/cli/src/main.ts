import { Command, CommanderError, Option } from 'commander'
import { SOFTWARE, LOG_LEVELS } from '@swarm/node'
import { ApiError } from './api-client.js'
import { agentsCommand, peersCommand, statusCommand } from './commands/inspect.js'
import { startCommand } from './commands/start.js'
import { registryCommand } from './commands/registry.js'
import { announceCommand } from './commands/announce.js'
import { cancelCommand, taskCommand, tasksCommand } from './commands/tasks.js'
import { simCommand } from './commands/sim.js'
import { blackboardCommand, escalationsCommand, proposalsCommand, proposeCommand, resolveCommand, voteCommand } from './commands/group.js'
import { dashboardCommand } from './commands/dashboard.js'
import { CliError, EXIT } from './exit-codes.js'
import { collect } from './flags.js'
import { consoleOutput } from './output.js'
import type { Output } from './output.js'

const EXIT_CODES_HELP = `
Exit codes:
  0  success
  1  the operation failed (e.g. a task failed)
  2  bad flags, arguments or configuration
  3  no running node reachable (start one, or pass --data-dir / --api)
  4  a task was rejected (no capable peers)
  5  timed out
  6  the node could not start (port in use, data directory unusable)`

function addApiOptions (cmd: Command): Command {
  return cmd
    .option('--data-dir <dir>', 'data directory of the node to talk to (default: $SWARM_DATA_DIR or ~/.swarm)')
    .option('--api <url>', 'control API URL of the node, e.g. http://127.0.0.1:7400')
    .option('--token <token>', 'control API token (default: from the data directory, or $SWARM_API_TOKEN)')
    .option('--json', 'print JSON instead of text')
}

/** Builds the command tree; each action stores its exit code in `result`. */
export function buildProgram (out: Output, result: { code: number }): Command {
  const program = new Command()
  program
    .name('swarm-node')
    .description('An agent of the swarm: a peer-to-peer network of agents that advertise skills, announce tasks and form working groups.')
    .version(SOFTWARE.version)
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', EXIT_CODES_HELP)
    .configureOutput({ writeOut: s => { process.stdout.write(s) }, writeErr: s => { process.stderr.write(s) } })
    .exitOverride()

  const run = (fn: () => Promise<number>) => async () => { result.code = await fn() }

  program.command('start')
    .description('start an agent node in the foreground (stop it with Ctrl-C)')
    .option('-c, --config <file>', 'config file (YAML or JSON); flags override it')
    .option('--data-dir <dir>', 'where the key, token, database and log live (default: $SWARM_DATA_DIR or ~/.swarm)')
    .option('--listen <multiaddr>', 'address to listen on, repeatable (default: /ip4/0.0.0.0/tcp/4001)', collect)
    .option('--announce <multiaddr>', 'address to advertise instead of the listen addresses, repeatable', collect)
    .option('--bootstrap <multiaddr>', 'address of a peer to join through (with /p2p/<peer id>), repeatable', collect)
    .option('--skill <name:level>', 'a skill this agent has, repeatable (levels: novice, intermediate, advanced, expert)', collect)
    .option('--exec <skill=command>', 'run this command (no shell; task input as JSON on stdin, result as JSON on stdout) for a skill declared with --skill, repeatable', collect)
    .option('--handler-timeout <duration>', 'time limit of the --exec handlers, e.g. 30s (default: 60s)')
    .option('--network <name>', 'network name; nodes only talk within one network (default: swarm)')
    .option('--no-mdns', 'do not discover peers on the local network by mDNS')
    .option('--dht [mode]', 'run the Kademlia DHT: client (query it) or server (also answer); alone: server')
    .option('--api-port <port>', 'control API port on 127.0.0.1 (default: 7400; 0 picks a free one)')
    .option('--name <name>', 'display name of the agent (default: <hostname>-<end of the peer id>)')
    .option('--capacity <n>', 'tasks this agent runs at once at most (default: 4)')
    .addOption(new Option('--log-level <level>', 'lowest level the node log keeps (default: info)').choices(LOG_LEVELS))
    .option('--log-file <file>', 'where the node writes its JSON-lines log (default: <data-dir>/node.log; - for standard error)')
    .option('--json', 'print JSON lines instead of text')
    .option('-q, --quiet', 'print only the start banner')
    .addHelpText('after', `
Examples:
  swarm-node start --skill analytics:expert
  swarm-node start --skill summarize:expert --exec 'summarize=python3 summarize.py --fast'
  swarm-node start --data-dir ~/.swarm/b --listen /ip4/0.0.0.0/tcp/4002 --api-port 7401 \\
    --bootstrap /ip4/10.0.0.5/tcp/4001/p2p/12D3KooW...

Environment (a flag wins over its variable; for containers, see docker/compose.yaml):
  SWARM_SKILLS=summarize:expert,viz:intermediate  SWARM_EXEC='summarize=cmd args;viz=cmd'
  SWARM_BOOTSTRAP, SWARM_LISTEN, SWARM_ANNOUNCE (comma-separated multiaddrs), SWARM_NETWORK,
  SWARM_NAME, SWARM_CAPACITY, SWARM_API_PORT, SWARM_MDNS=false, SWARM_DHT=client,
  SWARM_LOG_LEVEL, SWARM_CONFIG, SWARM_DATA_DIR, SWARM_PEER_KEY (base64 of a peer.key file)`)
    .action(async (flags) => { await run(async () => await startCommand(flags, out))() })

  program.command('registry')
    .description('start the optional bootstrap registry in the foreground: a fixed address to join through, agent directory, peer exchange, DHT server and circuit relay; no skills')
    .option('-c, --config <file>', 'config file (YAML or JSON); flags override it')
    .option('--data-dir <dir>', 'where the key, token, database and log live (default: $SWARM_DATA_DIR or ~/.swarm)')
    .option('--listen <multiaddr>', 'address to listen on, repeatable (default: /ip4/0.0.0.0/tcp/4100)', collect)
    .option('--announce <multiaddr>', 'address to advertise instead of the listen addresses, repeatable', collect)
    .option('--network <name>', 'network name; nodes only talk within one network (default: swarm)')
    .option('--no-mdns', 'do not discover peers on the local network by mDNS')
    .option('--dht <mode>', 'DHT mode: server (default), client or off')
    .option('--no-relay', 'do not relay for peers that cannot be dialled')
    .option('--max-reservations <n>', 'peers that may hold a relay slot at once (default: 128)')
    .option('--api-port <port>', 'control API port on 127.0.0.1 (default: 7500; 0 picks a free one)')
    .option('--name <name>', 'display name (default: registry)')
    .addOption(new Option('--log-level <level>', 'lowest level the node log keeps (default: info)').choices(LOG_LEVELS))
    .option('--log-file <file>', 'where the registry writes its JSON-lines log (default: <data-dir>/node.log; - for standard error)')
    .option('--json', 'print JSON lines instead of text')
    .option('-q, --quiet', 'print only the start banner')
    .addHelpText('after', `
The registry is optional: agents keep working among themselves when it stops, and any agent's
address works as a --bootstrap address too. Ask it who has a skill:
  swarm-node agents --data-dir <the registry's data dir> --skill analytics

Examples:
  swarm-node registry --data-dir ~/.swarm/registry
  swarm-node registry --listen /ip4/0.0.0.0/tcp/4100 --announce /dns4/registry.example.org/tcp/4100
  SWARM_PEER_KEY=$(base64 -w0 saved/peer.key) swarm-node registry   # a fixed identity`)
    .action(async (flags) => { await run(async () => await registryCommand(flags, out))() })

  addApiOptions(program.command('status').description('show the status of a running node'))
    .action(async (flags) => { await run(async () => await statusCommand(flags, out))() })

  addApiOptions(program.command('peers').description('list the peers a running node is connected to'))
    .action(async (flags) => { await run(async () => await peersCommand(flags, out))() })

  addApiOptions(program.command('agents').description('list the agents a running node knows, with their skills'))
    .option('--skill <name[:level]>', 'only agents with this skill, at this level or above')
    .action(async (flags) => { await run(async () => await agentsCommand(flags, out))() })

  addApiOptions(program.command('announce')
    .description('announce a task to the agents that have its skills (through a running node)')
    .argument('<description>', 'what the task is about'))
    .option('--skill <name:level[:count]>', 'a skill the task needs, at this level or above, from count members (default 1); repeatable, at least one', collect)
    .option('--input <file>', 'task input: a JSON file (- for standard input)')
    .option('--input-json <json>', 'task input: inline JSON')
    .option('--max-group <n>', 'largest working group (default: one member per required slot)')
    .option('--priority <priority>', 'low, normal, high or critical (default: normal)')
    .option('--deadline <duration>', 'time to finish, from now (default: 60s)')
    .option('--bid-window <duration>', 'how long offers are collected at most (default: 500ms)')
    .option('--retries <n>', 'announce again this many times after a failure (default: 2)')
    .option('--verify <policy>', 'before completing, the group votes on the result: majority, unanimous or threshold:<fraction> (default: none)')
    .option('--wait', 'follow the task (offers, group, progress, results) until it ends; the exit code says how it ended')
    .option('--timeout <duration>', 'with --wait, give up waiting after this long (exit 5; default: the deadline + 10s)')
    .addHelpText('after', `
With --wait the exit code is 0 when the task completed, 4 when it was rejected (nobody could do
it), 1 when it failed or was cancelled, 5 on --timeout. Without --wait it prints the task id.

Examples:
  swarm-node announce "Analyze customer data" --skill analytics:advanced --skill viz:intermediate \\
    --input data.json --wait
  swarm-node announce "Summarize" --skill summarize:novice:2 --input-json '{"text":"..."}' --json`)
    .action(async (description: string, flags) => { await run(async () => await announceCommand(description, flags, out))() })

  addApiOptions(program.command('tasks').description('list the tasks this node announced, newest first'))
    .option('--status <status>', 'only tasks in this status (comma-separated for several), e.g. COMPLETE or FAILED,REJECTED')
    .option('--limit <n>', 'at most this many (default: 100)')
    .action(async (flags) => { await run(async () => await tasksCommand(flags, out))() })

  addApiOptions(program.command('task')
    .description('show one task: state, group, timings, result and audit trail')
    .argument('<id>', 'task id'))
    .action(async (id: string, flags) => { await run(async () => await taskCommand(id, flags, out))() })

  addApiOptions(program.command('cancel')
    .description('cancel a task this node announced')
    .argument('<id>', 'task id'))
    .option('--reason <text>', 'why (recorded in the audit trail)')
    .action(async (id: string, flags) => { await run(async () => await cancelCommand(id, flags, out))() })

  addApiOptions(program.command('dashboard')
    .description('a live view of the swarm as a running node sees it: agents, task queue, groups, metrics (q quits)'))
    .option('--once', 'print one frame (plain text when not on a terminal) and exit')
    .option('--interval <duration>', 'how often agents, tasks and status are re-read besides the live events (default: 5s)')
    .option('--window <duration>', 'window of the throughput figure (default: 5m)')
    .addHelpText('after', `
The screen follows the node's event stream and redraws at most ten times a second; it adapts to
the terminal's size ($COLUMNS and $LINES when the size is unknown) and uses plain ANSI escapes,
so it works over SSH. --json (with --once) prints the dashboard state as one JSON object.

Examples:
  swarm-node dashboard
  swarm-node dashboard --data-dir ~/.swarm/b
  swarm-node dashboard --once --json | jq .metrics`)
    .action(async (flags) => { await run(async () => await dashboardCommand(flags, out))() })

  addApiOptions(program.command('propose')
    .description('put a proposal to the working group of a task (this node must be its announcer or a member)')
    .argument('<taskId>', 'task id')
    .argument('<action>', 'what the group would do'))
    .option('--quorum <policy>', 'majority, unanimous or threshold:<fraction> (default: majority)')
    .option('--timeout <duration>', 'time to vote, e.g. 30s (default: 30s)')
    .option('--min-participation <fraction>', 'fraction of the members that must vote, 0..1 (default: 0.5)')
    .option('--wait', 'wait for the decision; exit 0 when approved, 1 when rejected or no quorum')
    .addHelpText('after', `
Examples:
  swarm-node propose Xy12... "switch to the backup data source" --quorum majority --timeout 30s --wait
  swarm-node propose Xy12... "ship it" --quorum threshold:0.6 --min-participation 0.8 --json`)
    .action(async (taskId: string, action: string, flags) => { await run(async () => await proposeCommand(taskId, action, flags, out))() })

  addApiOptions(program.command('vote')
    .description('vote on a proposal of a group this node is a member of (a later vote replaces an earlier one)')
    .argument('<proposalId>', 'proposal id')
    .argument('<choice>', 'yes, no or abstain'))
    .option('--confidence <fraction>', 'how sure, 0..1 (default: 1)')
    .option('--reason <text>', 'why')
    .action(async (proposalId: string, choice: string, flags) => { await run(async () => await voteCommand(proposalId, choice, flags, out))() })

  addApiOptions(program.command('proposals').description('list the proposals this node saw, newest first'))
    .option('--task <id>', 'only the proposals of this task')
    .action(async (flags) => { await run(async () => await proposalsCommand(flags, out))() })

  addApiOptions(program.command('blackboard')
    .description('show the blackboard of a task\'s working group: findings, hypotheses, actions')
    .argument('<taskId>', 'task id'))
    .action(async (taskId: string, flags) => { await run(async () => await blackboardCommand(taskId, flags, out))() })

  addApiOptions(program.command('escalations').description('list the issues handed to a human, newest first'))
    .option('--status <status>', 'open or resolved')
    .action(async (flags) => { await run(async () => await escalationsCommand(flags, out))() })

  addApiOptions(program.command('resolve')
    .description('record a human decision on an escalation (on the node of the task\'s announcer); the group hears it')
    .argument('<id>', 'escalation id'))
    .option('--decision <text>', 'what the group should do')
    .action(async (id: string, flags) => { await run(async () => await resolveCommand(id, flags, out))() })

  program.command('sim')
    .description('simulate a swarm of real local peers and report latency, throughput, load balance and traffic')
    .option('--scenario <file|preset>', 'scenario file (YAML or JSON) or preset name (see --list-presets); flags override it')
    .option('--list-presets', 'list the scenario presets and exit')
    .option('--peers <n>', 'peers to run (default 100)')
    .option('--tasks <n>', 'tasks to announce (default 1000)')
    .option('--rate <per-second>', 'task arrivals per second (default 10)')
    .option('--burst', 'announce every task at once')
    .option('--skills <names>', 'skill names in the swarm, comma-separated (default analytics,viz,summarize,translate,review)')
    .option('--skills-per-peer <n>', 'skills each peer has (default 2)')
    .option('--levels <weights>', 'levels given to peers with weights, e.g. expert:1,advanced:2 (default intermediate, advanced, expert equally)')
    .option('--min-level <level>', 'level the first skill of each task asks for (default intermediate)')
    .option('--work <range>', 'time a handler works, a duration or a range such as 10ms-50ms (default 10ms-50ms)')
    .option('--failure-rate <fraction>', 'probability that a handler fails (default 0)')
    .option('--max-attempts <n>', 'attempts per task before it fails (default 3)')
    .option('--skills-per-task <n>', 'skills each task needs (default 2)')
    .option('--group-size <n>', 'members per required skill (default 1)')
    .option('--capacity <n>', 'tasks each peer runs at once (default 4)')
    .option('--bid-window <duration>', 'bid window of each task (default 300ms)')
    .option('--deadline <duration>', 'deadline of each task (default 30s)')
    .option('--churn <fraction>', 'fraction of peers killed during the run (e.g. 0.1)')
    .option('--churn-at <fraction>', 'when the kills start, as a fraction of the arrival period (default 0.3)')
    .option('--churn-restart <duration>', 'restart killed peers after this long')
    .option('--partition <fraction>', 'fraction of peers cut off from the rest for a while')
    .option('--partition-at <fraction>', 'when the partition starts, as a fraction of the arrival period (default 0.3)')
    .option('--partition-duration <duration>', 'how long the partition lasts (default 5s)')
    .option('--workers <n>', 'worker threads (default: one per core)')
    .option('--seed <n>', 'seed of the workload (default 1)')
    .option('--duration-limit <duration>', 'stop after this long whatever is left (default 10m)')
    .option('--out <file>', 'write the JSON report here (default sim-results/<name>-<time>.json)')
    .option('--html <file>', 'write the HTML report with plots here (default sim-results/<name>-<time>.html)')
    .option('--json', 'print the report as JSON instead of a table')
    .option('-q, --quiet', 'no progress bar')
    .addHelpText('after', `
Examples:
  swarm-node sim --peers 100 --tasks 1000
  swarm-node sim --scenario churn-100
  swarm-node sim --scenario scale-500 --out report.json --html report.html
Exit code 0 when every announced task ended in a final state, 1 when some were lost.`)
    .action(async (flags) => { await run(async () => await simCommand(flags, out))() })

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
    if (err instanceof CliError) {
      out.error(`swarm-node: ${err.message}`)
      return err.exitCode
    }
    if (err instanceof ApiError) {
      out.error(`swarm-node: ${err.message} (${err.code})`)
      return err.code === 'API_BAD_REQUEST' ? EXIT.USAGE : EXIT.FAILURE
    }
    out.error(`swarm-node: unexpected error: ${err instanceof Error ? err.stack ?? err.message : String(err)}`)
    return EXIT.FAILURE
  }
}
