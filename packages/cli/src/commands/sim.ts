import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { isSwarmError } from '@swarm/node'
import { loadScenario, presetNames, renderHtml, renderTable, runSimulation } from '@swarm/sim'
import { z } from 'zod'
import { CliError, EXIT } from '../exit-codes.js'
import { parseDuration, parseFlag, PositiveIntSchema } from '../flags.js'
import type { Output } from '../output.js'
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
  workers?: string
  seed?: string
  durationLimit?: string
  json?: boolean
  out?: string
  html?: string
  quiet?: boolean
  listPresets?: boolean
}

const FractionFlag = z.coerce.number().min(0).max(1)
const RateFlag = z.coerce.number().positive().max(10_000)
const SeedFlag = z.coerce.number().int().nonnegative()

/** Turns the flags into scenario overrides; only flags that were given override the scenario. */
export function simOverrides (f: SimFlags): Record<string, unknown> {
  const o: Record<string, unknown> = {}
  const tasks: Record<string, unknown> = {}
  const churn: Record<string, unknown> = {}
  const partition: Record<string, unknown> = {}
  if (f.peers !== undefined) o.peers = parseFlag('--peers', f.peers, PositiveIntSchema)
  if (f.capacity !== undefined) o.capacity = parseFlag('--capacity', f.capacity, PositiveIntSchema)
  if (f.workers !== undefined) o.workers = parseFlag('--workers', f.workers, PositiveIntSchema)
  if (f.seed !== undefined) o.seed = parseFlag('--seed', f.seed, SeedFlag)
  if (f.durationLimit !== undefined) o.durationLimitS = parseDuration('--duration-limit', f.durationLimit) / 1000
  if (f.tasks !== undefined) tasks.count = parseFlag('--tasks', f.tasks, PositiveIntSchema)
  if (f.rate !== undefined) tasks.rate = parseFlag('--rate', f.rate, RateFlag)
  if (f.burst === true) tasks.burst = true
  if (f.skillsPerTask !== undefined) tasks.skillsPerTask = parseFlag('--skills-per-task', f.skillsPerTask, PositiveIntSchema)
  if (f.groupSize !== undefined) tasks.membersPerSkill = parseFlag('--group-size', f.groupSize, PositiveIntSchema)
  if (f.bidWindow !== undefined) tasks.bidWindowMs = parseDuration('--bid-window', f.bidWindow)
  if (f.deadline !== undefined) tasks.deadlineMs = parseDuration('--deadline', f.deadline)
  if (f.churn !== undefined) churn.fraction = parseFlag('--churn', f.churn, FractionFlag)
  if (f.churnAt !== undefined) churn.at = parseFlag('--churn-at', f.churnAt, FractionFlag)
  if (f.churnRestart !== undefined) churn.restartAfterMs = parseDuration('--churn-restart', f.churnRestart)
  if (f.partition !== undefined) partition.fraction = parseFlag('--partition', f.partition, FractionFlag)
  if (f.partitionDuration !== undefined) partition.durationMs = parseDuration('--partition-duration', f.partitionDuration)
  if (Object.keys(tasks).length > 0) o.tasks = tasks
  if (Object.keys(churn).length > 0) o.churn = churn
  if (Object.keys(partition).length > 0) o.partition = partition
  return o
}

function bar (p: SimProgress): string {
  const width = 24
  const done = p.completed + p.failed
  const filled = p.total === 0 ? 0 : Math.round((done / p.total) * width)
  const head = p.phase === 'starting' ? `starting peers ${p.peersStarted}/${p.peers}` : p.phase === 'settling' ? `settling ${p.peersStarted} peers` : p.phase
  return `[${'='.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${p.total} done ${p.completed} failed ${p.failed} in flight ${p.inFlight}  peers ${p.peersAlive}/${p.peers}  ${head}  ${Math.round(p.elapsedMs / 1000)}s`
}

function write (path: string, text: string): string {
  const full = resolve(path)
  mkdirSync(dirname(full), { recursive: true })
  writeFileSync(full, text)
  return full
}

/** `swarm-node sim`: runs a simulation of real local peers and reports. */
export async function simCommand (flags: SimFlags, out: Output): Promise<number> {
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
