import { isAbsolute, resolve } from 'node:path'
import { LLM_APIS, ROLE_NAMES, ROLE_PRESETS, checkExecPrograms, createSwarmNode, decodePeerKey, isRoleName, mergeConfig, parseConfig, parseExecFlag, parseSkillFlag, readConfigFile } from '@swarm/node'
import { printTaskFeed } from './task-feed.js'
import { blameEnv, envSources, settingsFromEnv, withEnv } from '../env.js'
import { CliError, EXIT } from '../exit-codes.js'
import { PositiveIntSchema, collect, parseDuration, parseFlag } from '../flags.js'
import { addNodeOutputOptions, addNodeSetupOptions } from '../options.js'
import { nodeProcessOverrides, printAgentEvents, shareableAddrs, startupError, stopOnSignal } from './foreground.js'
import type { NodeProcessFlags } from './foreground.js'
import type { Output } from '../output.js'
import type { CommandContext } from '../options.js'
import type { Command } from 'commander'
import type { NodeConfigInput, SwarmNode } from '@swarm/node'

export interface StartFlags extends NodeProcessFlags {
  config?: string
  bootstrap?: string[]
  skill?: string[]
  exec?: string[]
  handlerTimeout?: string
  capacity?: string
  role?: string[]
  llmUrl?: string
  llmModel?: string
  llmApi?: string
  a2aListen?: string
  a2aNoAuth?: boolean
}

/** The level of a skill declared with --role and no level. */
const ROLE_DEFAULT_LEVEL = 'advanced'

/**
 * The skill entries of `--role NAME[:level]`: a skill named after the role, served by a model
 * with the role's preset (llm/roles.ts), at `level` (default advanced).
 */
function roleSkills (flags: StartFlags): Array<Record<string, unknown> & { name: string }> {
  return (flags.role ?? []).map(flag => {
    const [name = '', level = ROLE_DEFAULT_LEVEL, ...rest] = flag.split(':')
    if (!isRoleName(name) || rest.length > 0) throw new CliError(EXIT.USAGE, `--role ${flag}: use NAME[:level] with one of the roles ${ROLE_NAMES.join(', ')} (see swarm-node roles)`)
    let parsed
    try {
      parsed = parseSkillFlag(`${name}:${level}`)
    } catch (err) {
      throw new CliError(EXIT.USAGE, `--role ${flag}: ${(err as Error).message}`)
    }
    return { ...parsed, description: ROLE_PRESETS[name].description, handler: { kind: 'llm', role: name } }
  })
}

/** The config's `llm` defaults that --llm-url, --llm-model and --llm-api give. */
function llmOverrides (flags: StartFlags): Record<string, string> | undefined {
  const llm: Record<string, string> = {}
  if (flags.llmUrl !== undefined) llm.baseUrl = flags.llmUrl
  if (flags.llmModel !== undefined) llm.model = flags.llmModel
  if (flags.llmApi !== undefined) {
    if (!(LLM_APIS as readonly string[]).includes(flags.llmApi)) throw new CliError(EXIT.USAGE, `--llm-api ${flags.llmApi}: use ${LLM_APIS.join(' or ')}`)
    llm.api = flags.llmApi
  }
  return Object.keys(llm).length === 0 ? undefined : llm
}

/** Names of the skills a config file (read with readConfigFile) declares. */
function skillNamesOf (fromFile: Record<string, unknown>): string[] {
  const skills = fromFile.skills
  if (!Array.isArray(skills)) return []
  return skills.flatMap((s: unknown) => typeof s === 'object' && s !== null && typeof (s as { name?: unknown }).name === 'string' ? [(s as { name: string }).name] : [])
}

/**
 * The skill entries that `--exec skill=command args…` adds: an `exec` handler for each, bound to
 * a skill declared with --skill or in the config file (`fileSkills`).
 */
export function execOverrides (flags: StartFlags, fileSkills: string[] = []): Array<{ name: string, handler: { kind: 'exec', command: string, args: string[], timeoutMs?: number } }> {
  const execs = flags.exec ?? []
  if (execs.length === 0) {
    if (flags.handlerTimeout !== undefined) throw new CliError(EXIT.USAGE, '--handler-timeout applies to handlers given with --exec: add --exec skill=command')
    return []
  }
  let timeoutMs: number | undefined
  if (flags.handlerTimeout !== undefined) {
    timeoutMs = parseDuration('--handler-timeout', flags.handlerTimeout)
    if (timeoutMs < 1) throw new CliError(EXIT.USAGE, `invalid --handler-timeout "${flags.handlerTimeout}": must be more than 0`)
  }
  const declared = new Set([...fileSkills, ...(flags.skill ?? []).map(s => s.split(':')[0] ?? '')])
  const bound = new Set<string>()
  return execs.map(flag => {
    let parsed: ReturnType<typeof parseExecFlag>
    try {
      parsed = parseExecFlag(flag)
    } catch (err) {
      throw new CliError(EXIT.USAGE, (err as Error).message)
    }
    const { skill, args } = parsed
    if (!declared.has(skill)) {
      throw new CliError(EXIT.USAGE, `--exec binds a handler to skill "${skill}", which this agent does not declare: add --skill ${skill}:<level> (e.g. --skill ${skill}:intermediate), or declare it in the config file`)
    }
    if (bound.has(skill)) throw new CliError(EXIT.USAGE, `--exec is given twice for skill "${skill}": one handler per skill`)
    bound.add(skill)
    // A relative program path is relative to where swarm-node was started, not to the handler's working directory.
    const command = (parsed.command.startsWith('./') || parsed.command.startsWith('../')) && !isAbsolute(parsed.command) ? resolve(parsed.command) : parsed.command
    return { name: skill, handler: { kind: 'exec' as const, command, args, ...(timeoutMs !== undefined ? { timeoutMs } : {}) } }
  })
}

/** Turns the start flags into config overrides; only flags that were given override the file. */
export function startOverrides (flags: StartFlags, fileSkills: string[] = []): Partial<NodeConfigInput> {
  const overrides = nodeProcessOverrides(flags) as Partial<NodeConfigInput>
  if (flags.bootstrap !== undefined && flags.bootstrap.length > 0) overrides.bootstrap = flags.bootstrap
  if (flags.capacity !== undefined) overrides.capacity = parseFlag('--capacity', flags.capacity, PositiveIntSchema)
  if (flags.skill !== undefined && flags.skill.length > 0) {
    overrides.skills = flags.skill.map(s => {
      try {
        return parseSkillFlag(s)
      } catch (err) {
        throw new CliError(EXIT.USAGE, (err as Error).message)
      }
    })
  }
  const llm = llmOverrides(flags)
  if (llm !== undefined) overrides.llm = llm
  if (flags.a2aListen !== undefined || flags.a2aNoAuth === true) {
    overrides.a2a = { ...(flags.a2aListen !== undefined ? { listen: flags.a2aListen } : {}), ...(flags.a2aNoAuth === true ? { auth: 'none' as const } : {}) }
  }
  const roles = roleSkills(flags)
  if (roles.length > 0) {
    const skills = [...(overrides.skills ?? [])] as Array<Record<string, unknown> & { name: string }>
    for (const r of roles) {
      if (skills.some(s => s.name === r.name)) throw new CliError(EXIT.USAGE, `--role ${r.name} declares the skill "${r.name}", which --skill declares too: give it once`)
      skills.push(r)
    }
    overrides.skills = skills as NodeConfigInput['skills']
  }
  const execs = execOverrides(flags, fileSkills)
  if (execs.length > 0) {
    // Merged by name: onto the --skill entry, or onto the config file's skill by mergeConfig.
    const skills = [...(overrides.skills ?? [])] as Array<Record<string, unknown> & { name: string }>
    for (const e of execs) {
      const i = skills.findIndex(s => s.name === e.name)
      if (i === -1) skills.push(e)
      else skills[i] = { ...skills[i], handler: e.handler } as Record<string, unknown> & { name: string }
    }
    overrides.skills = skills as NodeConfigInput['skills']
  }
  return overrides
}

function describeSkills (node: SwarmNode): string {
  const skills = node.config.skills.map(s => `${s.name}:${s.level}${s.handler !== undefined ? ` (${s.handler.kind})` : ''}`)
  return skills.length === 0 ? '(none)' : skills.join(', ')
}

/**
 * Checks the models of the llm skills in the background and prints a warning for each one its
 * server does not list or that cannot be reached (the node runs on: a server may come up later).
 */
function warnOfModels (node: SwarmNode, flags: StartFlags, out: Output): void {
  void node.checkModels().then(problems => {
    for (const p of problems) {
      if (flags.json === true) out.json({ event: 'llm-warning', ...p })
      else out.line(`warning: skill ${p.skill}: ${p.code}: ${p.message}`)
    }
  }).catch(() => {})
}

/** A skill without a handler is advertised, but every part it wins fails: say so at start. */
function warnOfIdleSkills (node: SwarmNode, flags: StartFlags, out: Output): void {
  for (const skill of node.config.skills) {
    if (skill.handler !== undefined) continue
    const message = `skill ${skill.name} has no handler: it is advertised but cannot do any work (give it --exec ${skill.name}=<program>, a handler in the config file, or use --role)`
    if (flags.json === true) out.json({ event: 'warning', skill: skill.name, code: 'NO_HANDLER', message })
    else out.line(`warning: ${message}`)
  }
}

/** `swarm-node start`: runs a node in the foreground until SIGINT or SIGTERM. */
async function startCommand (given: StartFlags, out: Output, env: Record<string, string | undefined> = process.env): Promise<number> {
  const fromEnv = settingsFromEnv(env)
  const flags = withEnv(given, fromEnv)
  const sources = envSources(given, fromEnv)
  let node: SwarmNode
  try {
    const fromFile = flags.config === undefined ? {} : readConfigFile(flags.config)
    const overrides = startOverrides(flags, skillNamesOf(fromFile))
    const config = parseConfig(mergeConfig(fromFile, overrides), flags.config === undefined ? 'configuration' : `config file ${flags.config}`)
    checkExecPrograms(config)
    node = await createSwarmNode(config, fromEnv.peerKey !== undefined ? { privateKey: decodePeerKey(fromEnv.peerKey, 'SWARM_PEER_KEY') } : {})
  } catch (err) {
    throw blameEnv(startupError(err, 'the node'), sources)
  }

  // Signal handlers first: whoever reads the banner may stop the node at once.
  const exited = stopOnSignal(node, flags.json === true, out)

  const status = node.status()
  const logFile = node.config.logFile ?? node.paths.log
  if (flags.json === true) {
    out.json({ event: 'started', peerId: status.peerId, name: status.name, network: status.network, addrs: status.addrs, api: status.api, a2a: status.a2a, dataDir: status.dataDir, logFile, skills: node.config.skills.map(s => ({ name: s.name, level: s.level, ...(s.handler !== undefined ? { handler: s.handler.kind } : {}) })) })
  } else {
    out.line(`swarm-node ${status.software.version} started`)
    out.line(`  name       ${status.name}`)
    out.line(`  peer id    ${status.peerId}`)
    out.line(`  network    ${status.network}`)
    status.addrs.forEach((addr, i) => { out.line(`  ${i === 0 ? 'listening' : '         '}  ${addr}`) })
    out.line(`  control    ${status.api ?? 'disabled'}`)
    if (status.a2a !== null) out.line(`  a2a        ${status.a2a}${node.config.a2a.auth === 'token' ? ` (bearer token in ${node.paths.a2aToken})` : ' (no token)'}`)
    out.line(`  data dir   ${status.dataDir}`)
    out.line(`  log        ${logFile === '-' ? 'standard error' : logFile} (${node.config.logLevel})`)
    out.line(`  skills     ${describeSkills(node)}`)
    out.line(`  join it:   swarm-node start --bootstrap ${shareableAddrs(status.addrs)[0] ?? '<address>'}`)
  }

  warnOfIdleSkills(node, flags, out)
  const show = printAgentEvents(node, flags, out)
  if (show !== undefined) printTaskFeed(node, show)
  warnOfModels(node, flags, out)

  return await exited
}

/** Registers `swarm-node start`. */
export function registerStart (program: Command, ctx: CommandContext): void {
  const cmd = addNodeSetupOptions(program.command('start')
    .description('start an agent node in the foreground (stop it with Ctrl-C)'))
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
    .option('--role <name[:level]>', 'a skill served by a model with this role\'s preset (see swarm-node roles), repeatable; level default advanced', collect)
    .option('--llm-url <url>', 'the model server of the llm skills: OpenAI-compatible up to /v1 (default: Ollama\'s, http://127.0.0.1:11434/v1), or Ollama\'s root with --llm-api ollama')
    .option('--llm-model <model>', 'the model of the llm skills (e.g. qwen2.5-coder:7b); llm.roles.<role>.model in the config file gives a role its own')
    .option('--a2a-listen <multiaddr>', 'serve the A2A protocol (JSON-RPC, v1.0 and v0.3) on this address, e.g. /ip4/127.0.0.1/tcp/7600 (default: off)')
    .option('--a2a-no-auth', 'A2A calls need no bearer token (only with a loopback --a2a-listen address)')
    .option('--llm-api <api>', 'openai (chat completions: LM Studio, vLLM, llama.cpp, Ollama /v1, hosted APIs) or ollama (Ollama\'s /api/chat); default openai')
  addNodeOutputOptions(cmd, 'node')
    .addHelpText('after', `
Examples:
  swarm-node start --skill analytics:expert
  swarm-node start --skill summarize:expert --exec 'summarize=python3 summarize.py --fast'
  swarm-node start --role coder --role reviewer --llm-url http://127.0.0.1:11434/v1 --llm-model qwen2.5-coder:7b
  swarm-node start --role coder:expert --llm-url http://127.0.0.1:1234/v1 --llm-model qwen2.5-coder-7b-instruct   # LM Studio
  swarm-node start --skill echo:novice --a2a-listen /ip4/127.0.0.1/tcp/7600   # token in <data-dir>/a2a-token
  swarm-node start --data-dir ~/.swarm/b --listen /ip4/0.0.0.0/tcp/4002 --api-port 7401 \\
    --bootstrap /ip4/10.0.0.5/tcp/4001/p2p/12D3KooW...

Environment (a flag wins over its variable; for containers, see docker/compose.yaml):
  SWARM_SKILLS=summarize:expert,viz:intermediate  SWARM_EXEC='summarize=cmd args;viz=cmd'
  SWARM_BOOTSTRAP, SWARM_LISTEN, SWARM_ANNOUNCE (comma-separated multiaddrs), SWARM_NETWORK,
  SWARM_NAME, SWARM_CAPACITY, SWARM_API_PORT, SWARM_MDNS=false, SWARM_DHT=client,
  SWARM_LOG_LEVEL, SWARM_LOG_FILE, SWARM_A2A_LISTEN, SWARM_HANDLER_TIMEOUT, SWARM_ROLES (comma-separated),
  SWARM_LLM_URL, SWARM_LLM_MODEL, SWARM_LLM_API, SWARM_ALLOW, SWARM_DENY (comma-separated peer
  ids), SWARM_KEY_FILE, SWARM_CONFIG, SWARM_DATA_DIR, SWARM_PEER_KEY (base64 of a peer.key file).
  An error in a value read from a variable names the variable.`)
    .action(async (flags: StartFlags) => { await ctx.run(async () => await startCommand(flags, ctx.out)) })
}
