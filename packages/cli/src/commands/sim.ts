import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { isSwarmError } from '@swarm/node'
import { loadScenario, parseAdversariesOption, presetNames, renderHtml, renderTable, runSimulation } from '@swarm/sim'
import { z } from 'zod'
import { CliError, EXIT } from '../exit-codes.js'
import { LevelSchema, SkillNameSchema } from '@swarm/protocol'
import { parseDuration, parseFlag } from '../flags.js'
import type { Output } from '../output.js'
import type { CommandContext } from '../options.js'
import type { Command } from 'commander'
import type { SimProgress, SimReport } from '@swarm/sim'

export interface SimFlags {
  scenario?: string
  peers?: string
  tasks?: string
  rate?: string
  burst?: boolean
  skillsPerTask?: string
  groupSize?: string
  capacity?: string
  bidWindow?: string
  deadline?: string
  churn?: string
  churnAt?: string
  churnRestart?: string
  partition?: string
  partitionDuration?: string
  partitionAt?: string
  freeze?: string
  freezeAt?: string
  freezeDuration?: string
  liars?: string
  adversaries?: string
  /** false with --no-compare-clean. */
  compareClean?: boolean
  announcers?: string
  skills?: string
  skillsPerPeer?: string
  levels?: string
  minLevel?: string
  work?: string
  failureRate?: string
  maxAttempts?: string
  workers?: string
  swarmKey?: string
  seed?: string
  durationLimit?: string
  json?: boolean
  out?: string
  html?: string
  quiet?: boolean
  listPresets?: boolean
}

/** A number typed as a flag value; an empty value is an error, not 0. */
const NumberText = z.string().trim().min(1, 'must not be empty').pipe(z.coerce.number())
const FractionFlag = NumberText.pipe(z.number().min(0).max(1))
const RateFlag = NumberText.pipe(z.number().positive().max(10_000))
const SeedFlag = NumberText.pipe(z.number().int().nonnegative())
const CountFlag = NumberText.pipe(z.number().int().positive())
const SkillNamesFlag = z.string().transform(v => v.split(',').map(s => s.trim()).filter(s => s !== '')).pipe(z.array(SkillNameSchema).min(1, 'name at least one skill'))
const LevelWeightFlag = z.string().regex(/^[a-z]+(:\d+(\.\d+)?)?$/, 'use level or level:weight').transform(v => {
  const [level, weight] = v.split(':')
  return [level, weight === undefined ? 1 : Number(weight)] as const
}).pipe(z.tuple([LevelSchema, z.number().nonnegative()]))

/** `--levels expert:1,advanced:2,intermediate` → weights per level. */
function parseLevels (value: string): Record<string, number> {
  const parts = value.split(',').map(s => s.trim()).filter(s => s !== '')
  if (parts.length === 0) throw new CliError(EXIT.USAGE, 'invalid --levels "": name at least one level, e.g. expert:1,advanced:2')
  const out: Record<string, number> = {}
  for (const part of parts) {
    const [level, weight] = parseFlag('--levels', part, LevelWeightFlag)
    out[level] = weight
  }
  return out
}

/** `--work 10ms-50ms` (or one duration) → the handlers' work time range in ms. */
function parseWork (value: string): { minMs: number, maxMs: number } {
  const [lo, hi, ...rest] = value.split('-')
  if (lo === undefined || rest.length > 0) throw new CliError(EXIT.USAGE, `invalid --work "${value}": use a duration or a range such as 10ms-50ms`)
  const minMs = parseDuration('--work', lo)
  const maxMs = hi === undefined ? minMs : parseDuration('--work', hi)
  if (maxMs < minMs) throw new CliError(EXIT.USAGE, `invalid --work "${value}": the range must go from short to long`)
  return { minMs, maxMs }
}

/** `--adversaries 0.1:flood,liar` → the scenario's adversaries fraction and kinds. */
function adversariesFlag (value: string): Record<string, unknown> {
  try {
    return parseAdversariesOption(value)
  } catch (err) {
    if (isSwarmError(err)) throw new CliError(EXIT.USAGE, err.message)
    throw err
  }
}

/** Turns the flags into scenario overrides; only flags that were given override the scenario. */
export function simOverrides (f: SimFlags): Record<string, unknown> {
  const o: Record<string, unknown> = {}
  const tasks: Record<string, unknown> = {}
  const churn: Record<string, unknown> = {}
  const partition: Record<string, unknown> = {}
  const freeze: Record<string, unknown> = {}
  const skills: Record<string, unknown> = {}
  const work: Record<string, unknown> = {}
  if (f.peers !== undefined) o.peers = parseFlag('--peers', f.peers, CountFlag)
  if (f.capacity !== undefined) o.capacity = parseFlag('--capacity', f.capacity, CountFlag)
  if (f.workers !== undefined) o.workers = parseFlag('--workers', f.workers, CountFlag)
  if (f.seed !== undefined) o.seed = parseFlag('--seed', f.seed, SeedFlag)
  if (f.durationLimit !== undefined) o.durationLimitS = parseDuration('--duration-limit', f.durationLimit) / 1000
  if (f.tasks !== undefined) tasks.count = parseFlag('--tasks', f.tasks, CountFlag)
  if (f.rate !== undefined) tasks.rate = parseFlag('--rate', f.rate, RateFlag)
  if (f.burst === true) tasks.burst = true
  if (f.skillsPerTask !== undefined) tasks.skillsPerTask = parseFlag('--skills-per-task', f.skillsPerTask, CountFlag)
  if (f.groupSize !== undefined) tasks.membersPerSkill = parseFlag('--group-size', f.groupSize, CountFlag)
  if (f.bidWindow !== undefined) tasks.bidWindowMs = parseDuration('--bid-window', f.bidWindow)
  if (f.deadline !== undefined) tasks.deadlineMs = parseDuration('--deadline', f.deadline)
  if (f.churn !== undefined) churn.fraction = parseFlag('--churn', f.churn, FractionFlag)
  if (f.churnAt !== undefined) churn.at = parseFlag('--churn-at', f.churnAt, FractionFlag)
  if (f.churnRestart !== undefined) churn.restartAfterMs = parseDuration('--churn-restart', f.churnRestart)
  if (f.partition !== undefined) partition.fraction = parseFlag('--partition', f.partition, FractionFlag)
  if (f.partitionDuration !== undefined) partition.durationMs = parseDuration('--partition-duration', f.partitionDuration)
  if (f.partitionAt !== undefined) partition.at = parseFlag('--partition-at', f.partitionAt, FractionFlag)
  if (f.freeze !== undefined) freeze.fraction = parseFlag('--freeze', f.freeze, FractionFlag)
  if (f.freezeAt !== undefined) freeze.at = parseFlag('--freeze-at', f.freezeAt, FractionFlag)
  if (f.freezeDuration !== undefined) freeze.durationMs = parseDuration('--freeze-duration', f.freezeDuration)
  if (f.liars !== undefined) o.liars = { fraction: parseFlag('--liars', f.liars, FractionFlag) }
  const adversaries: Record<string, unknown> = f.adversaries !== undefined ? adversariesFlag(f.adversaries) : {}
  if (f.compareClean === false) adversaries.compareClean = false
  if (Object.keys(adversaries).length > 0) o.adversaries = adversaries
  if (f.announcers !== undefined) tasks.announcerCount = parseFlag('--announcers', f.announcers, CountFlag)
  if (f.skills !== undefined) skills.names = parseFlag('--skills', f.skills, SkillNamesFlag)
  if (f.skillsPerPeer !== undefined) skills.perPeer = parseFlag('--skills-per-peer', f.skillsPerPeer, CountFlag)
  if (f.levels !== undefined) skills.levels = parseLevels(f.levels)
  if (f.minLevel !== undefined) tasks.minLevel = parseFlag('--min-level', f.minLevel, LevelSchema)
  if (f.maxAttempts !== undefined) tasks.maxAttempts = parseFlag('--max-attempts', f.maxAttempts, CountFlag)
  if (f.work !== undefined) Object.assign(work, parseWork(f.work))
  if (f.failureRate !== undefined) work.failureRate = parseFlag('--failure-rate', f.failureRate, FractionFlag)
  if (Object.keys(skills).length > 0) o.skills = skills
  if (Object.keys(work).length > 0) o.work = work
  if (Object.keys(tasks).length > 0) o.tasks = tasks
  if (Object.keys(churn).length > 0) o.churn = churn
  if (Object.keys(partition).length > 0) o.partition = partition
  if (Object.keys(freeze).length > 0) o.freeze = freeze
  if (f.swarmKey !== undefined) {
    if (f.swarmKey.trim() === '') throw new CliError(EXIT.USAGE, 'invalid --swarm-key "": give the path of a swarm key file (swarm-node keygen --swarm-key <file> makes one)')
    o.node = { swarmKey: resolve(f.swarmKey) }
  }
  return o
}

function bar (p: SimProgress): string {
  const width = 24
  const done = p.completed + p.failed
  const filled = p.total === 0 ? 0 : Math.round((done / p.total) * width)
  const run = p.run === undefined ? '' : `${p.run} run: `
  const head = run + (p.phase === 'starting' ? `starting peers ${p.peersStarted}/${p.peers}` : p.phase === 'settling' ? `settling ${p.peersStarted} peers` : p.phase)
  return `[${'='.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${p.total} done ${p.completed} failed ${p.failed} in flight ${p.inFlight}  peers ${p.peersAlive}/${p.peers}  ${head}  ${Math.round(p.elapsedMs / 1000)}s`
}

function write (path: string, text: string): string {
  const full = resolve(path)
  mkdirSync(dirname(full), { recursive: true })
  writeFileSync(full, text)
  return full
}

/** `swarm-node sim`: runs a simulation of real local peers and reports. */
async function simCommand (flags: SimFlags, out: Output): Promise<number> {
  if (flags.listPresets === true) {
    for (const name of presetNames()) out.line(name)
    return EXIT.OK
  }
  let scenario
  try {
    scenario = loadScenario(flags.scenario, simOverrides(flags))
  } catch (err) {
    if (err instanceof CliError) throw err
    if (isSwarmError(err)) throw new CliError(EXIT.USAGE, err.message)
    throw err
  }
  const tty = process.stderr.isTTY
  let lastLine = 0
  const report: SimReport = await runSimulation(scenario, {
    progressEveryMs: tty ? 250 : 2000,
    onProgress: p => {
      if (flags.quiet === true) return
      if (tty) process.stderr.write(`\r${bar(p)}\u001b[K`)
      else if (Date.now() - lastLine >= 5000 || p.phase === 'stopping') {
        lastLine = Date.now()
        process.stderr.write(bar(p) + '\n')
      }
    }
  })
  if (tty && flags.quiet !== true) process.stderr.write('\n')

  const stamp = report.startedAt.replace(/[:.]/g, '-')
  const jsonPath = write(flags.out ?? join('sim-results', `${scenario.name}-${stamp}.json`), JSON.stringify(report, null, 2) + '\n')
  const htmlPath = write(flags.html ?? join('sim-results', `${scenario.name}-${stamp}.html`), renderHtml(report))
  if (flags.json === true) {
    out.json(report)
  } else {
    out.line(renderTable(report))
    out.line(`  report written to ${jsonPath}`)
    out.line(`  plots written to  ${htmlPath}`)
  }
  return report.tasks.lost === 0 ? EXIT.OK : EXIT.FAILURE
}

/** Registers `swarm-node sim`. */
export function registerSim (program: Command, ctx: CommandContext): void {
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
    .option('--freeze <fraction>', 'fraction of peers frozen (stopped, not killed: connections open, no answers) during the run')
    .option('--freeze-at <fraction>', 'when the freezes start, as a fraction of the arrival period (default 0.3)')
    .option('--freeze-duration <duration>', 'thaw the frozen peers after this long (default: never)')
    .option('--liars <fraction>', 'fraction of peers that accept work and never deliver')
    .option('--adversaries <fraction:kinds>', 'fraction of malicious peers and their kinds, e.g. 0.1:flood,liar,sybil,lockout (all kinds when none is named); the scenario runs clean first, then with them')
    .option('--no-compare-clean', 'with adversaries: skip the clean run of the same seed')
    .option('--announcers <n>', 'announce from this many peers only (default: every stable peer)')
    .option('--workers <n>', 'worker threads (default: one per core)')
    .option('--swarm-key <file>', 'a private swarm: every peer starts with this swarm key file')
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
  swarm-node sim --scenario freeze-100
  swarm-node sim --scenario liars-100
  swarm-node sim --scenario adversaries-100
  swarm-node sim --peers 20 --tasks 100 --adversaries 0.2:flood,sybil
  swarm-node sim --scenario scale-500 --out report.json --html report.html
Exit code 0 when every announced task ended in a final state, 1 when some were lost.`)
    .action(async (flags: SimFlags) => { await ctx.run(async () => await simCommand(flags, ctx.out)) })
}
