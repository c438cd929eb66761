/**
 * `npm run bench`: the project's benchmark table, built on the simulator.
 *
 * - 100 peers: a steady run (latency, memory, bytes per task) and throughput runs at higher rates;
 * - the same workloads through a central broker (a real redis-server, started and stopped here);
 * - 500 and 1000 peers (scale-500 / scale-1000 presets): whether they run, memory, latency.
 *
 * Prints the table and writes JSON to bench/results/<timestamp>.json and bench/results/latest.json.
 * Figures, not assertions: nothing here fails because the machine is slow. See bench/README.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, release, totalmem, type } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseBenchArgs, USAGE } from './args.js'
import { barsOf, ratiosOf, sustainedOf } from './bars.js'
import { runBrokerIsolated, runSwarmIsolated, runWorkflowIsolated } from './isolate.js'
import { redisServerVersion, startRedisServer } from './redis-server.js'
import { scenarioOf } from './swarm.js'
import { renderBench } from './table.js'
import type { BenchOptions } from './args.js'
import type { RedisServer } from './redis-server.js'
import type { BrokerProgress } from './broker.js'
import type { BenchReport, SwarmResult, SwarmWorkload } from './types.js'
import type { SimProgress } from '@swarm/sim'

const RESULTS_DIR = fileURLToPath(new URL('../../bench/results/', import.meta.url))

/** A progress line: rewritten in place on a terminal, printed every 15 s otherwise. */
function progressPrinter (label: string): { update: (text: string, force?: boolean) => void, end: () => void } {
  const tty = process.stderr.isTTY
  let last = 0
  let lastText = ''
  return {
    update: (text, force = false) => {
      lastText = text
      if (tty) {
        process.stderr.write(`\r${`[${label}] ${text}`.padEnd(100).slice(0, Math.max(20, (process.stderr.columns ?? 100) - 1))}`)
      } else if (force || Date.now() - last >= 15_000) {
        last = Date.now()
        process.stderr.write(`[${label}] ${text}\n`)
      }
    },
    end: () => { process.stderr.write(tty ? `\r[${label}] ${lastText}\n` : `[${label}] ${lastText}\n`) }
  }
}

function simLine (p: SimProgress): string {
  const s = Math.round(p.elapsedMs / 1000)
  if (p.phase === 'starting') return `starting peers ${p.peersStarted}/${p.peers} (${s} s)`
  if (p.phase === 'settling') return `settling ${p.peers} peers (${s} s)`
  return `${p.phase}: ${p.completed + p.failed}/${p.total} done, ${p.failed} not completed, ${p.inFlight} in flight (${s} s)`
}

function brokerLine (p: BrokerProgress): string {
  return `running: ${p.completed + p.failed}/${p.total} done, ${p.failed} not completed, ${p.announced - p.completed - p.failed} in flight`
}

/** The swarm workloads of a bench, in the order they run (throughput runs stop early, see main). */
function steadyWorkload (o: BenchOptions, peers: number): SwarmWorkload {
  if (peers <= 100) return { kind: 'steady', preset: 'baseline-100', peers, tasks: o.tasks ?? (o.quick ? 300 : 600), rate: o.rate ?? 5, seed: o.seed }
  return { kind: 'scale', preset: peers <= 500 ? 'scale-500' : 'scale-1000', peers, tasks: o.tasks ?? (o.quick ? 300 : 500), ...(o.rate !== undefined ? { rate: o.rate } : {}), seed: o.seed }
}

function throughputWorkload (o: BenchOptions, peers: number, rate: number): SwarmWorkload {
  return { kind: 'throughput', preset: 'baseline-100', peers, tasks: o.highTasks ?? Math.round(rate * (o.quick ? 30 : 60)), rate, seed: o.seed }
}

/** Starts redis-server, runs each workload through the broker, and always stops the server. */
async function brokerRuns (workloads: SwarmWorkload[], report: BenchReport, save: () => void): Promise<void> {
  const version = redisServerVersion()
  if (version === undefined) {
    report.broker.skipped = 'redis-server not found'
    console.error('broker baseline skipped: redis-server not found (apt-get install redis-server)')
    return
  }
  report.broker.redisVersion = version
  let server: RedisServer
  try {
    server = await startRedisServer(version)
  } catch (err) {
    report.broker.skipped = `redis-server did not start: ${err instanceof Error ? err.message : String(err)}`
    console.error(`broker baseline skipped: ${report.broker.skipped}`)
    return
  }
  try {
    for (const w of workloads) {
      const scenario = scenarioOf(w)
      const printer = progressPrinter(`broker ${w.kind} ${w.peers} agents ${scenario.tasks.rate}/s`)
      try {
        const result = await runBrokerIsolated({ url: server.url, pid: server.pid, version }, scenario, p => { printer.update(brokerLine(p)) })
        printer.update(`${result.tasks.completed}/${result.tasks.announced} completed, formed p50 ${result.formationMs.p50.toFixed(1)} ms, ${result.tasksPerMinute.toFixed(0)} tasks/min`)
        if (w.kind !== 'scale') report.broker.runs.push({ kind: w.kind, result })
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err)
        printer.update(`failed: ${message}`)
        report.broker.errors = [...(report.broker.errors ?? []), `${w.kind} ${scenario.tasks.rate}/s: ${message}`]
      }
      printer.end()
      save()
    }
  } finally {
    await server.stop()
  }
}

async function main (): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(USAGE)
    return
  }
  let options: BenchOptions
  try {
    options = parseBenchArgs(process.argv.slice(2))
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err))
    process.exit(2)
  }
  // Ctrl-C or a kill: exit through process.exit so that the redis-server child is stopped too.
  process.once('SIGINT', () => { process.exit(130) })
  process.once('SIGTERM', () => { process.exit(143) })

  const started = new Date()
  const stamp = started.toISOString().replace(/[:.]/g, '-')
  mkdirSync(RESULTS_DIR, { recursive: true })
  const file = options.out ?? join(RESULTS_DIR, `${stamp}.json`)
  const report: BenchReport = {
    kind: 'swarm-bench',
    version: 2,
    startedAt: started.toISOString(),
    durationS: 0,
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      os: `${type()} ${release()}`,
      loadAverageAtStart: loadavg()[0] ?? 0
    },
    options: { ...options },
    swarm: [],
    broker: { runs: [] },
    ratios: [],
    bars: []
  }
  const save = (): void => {
    report.durationS = Math.round((Date.now() - started.getTime()) / 1000)
    report.ratios = ratiosOf(report.swarm, report.broker.runs)
    const sustained = sustainedOf(report.swarm)
    if (sustained !== undefined) report.sustainedTasksPerMinute = sustained
    report.bars = barsOf(report.swarm, report.ratios, sustained)
    writeFileSync(file, JSON.stringify(report, null, 2) + '\n')
  }

  const runOne = async (w: SwarmWorkload): Promise<SwarmResult> => {
    const label = `swarm ${w.kind === 'scale' ? w.preset : w.kind} ${w.peers} peers`
    const printer = progressPrinter(label)
    let phase = ''
    const result = await runSwarmIsolated(w, p => { printer.update(simLine(p), p.phase !== phase); phase = p.phase })
    printer.update(result.verdict === 'crashed'
      ? `crashed: ${result.error ?? ''}`
      : `${result.tasks.completed}/${result.tasks.announced} completed, formed p50 ${result.formationMs.p50.toFixed(0)} ms, ${result.tasksPerMinute.toFixed(0)} tasks/min`)
    printer.end()
    report.swarm.push(result)
    save()
    return result
  }

  // The workflow part: a few nodes, quick; first, so that --only workflow is the same run.
  if (!options.skipWorkflow) {
    const printer = progressPrinter('workflow')
    const workflow = await runWorkflowIsolated({ workers: 4, repeats: options.workflowRepeats ?? (options.quick ? 10 : 20) }, text => { printer.update(text) })
    const o = workflow.overheadMs
    printer.update(workflow.error !== undefined ? `crashed: ${workflow.error}` : `added per step p50 ${o.p50.toFixed(1)} ms, p95 ${o.p95.toFixed(1)} ms, mean ${o.mean.toFixed(1)} ms over ${o.n} steps`)
    printer.end()
    report.workflow = workflow
    save()
  }
  const only = options.only === 'workflow'

  // 1. Small swarms: the latency run, then rising rates until one does not complete its tasks.
  const mirrored: SwarmWorkload[] = []
  for (const peers of only ? [] : options.peers.filter(p => p <= 100)) {
    const steady = steadyWorkload(options, peers)
    await runOne(steady)
    mirrored.push(steady)
    for (const rate of options.highRates) {
      const w = throughputWorkload(options, peers, rate)
      const result = await runOne(w)
      mirrored.push(w)
      if (result.verdict !== 'ok') break
    }
  }

  // 2. The same workloads through a central broker.
  if (only) report.broker.skipped = '--only workflow'
  else if (options.skipBroker) report.broker.skipped = '--skip-broker'
  else if (mirrored.length === 0) report.broker.skipped = 'no run of at most 100 peers to compare with'
  else await brokerRuns(mirrored, report, save)

  // 3. Large swarms.
  for (const peers of only ? [] : options.peers.filter(p => p > 100)) await runOne(steadyWorkload(options, peers))

  save()
  // A run written elsewhere (--out), or of one part alone, is an experiment: latest.json keeps the last regular run.
  if (options.out === undefined && !only) writeFileSync(join(RESULTS_DIR, 'latest.json'), JSON.stringify(report, null, 2) + '\n')
  console.log('')
  console.log(renderBench(report))
  console.log(`\nwritten ${file}${options.out === undefined && !only ? ` and ${join(RESULTS_DIR, 'latest.json')}` : ''} (${(report.durationS / 60).toFixed(1)} min)`)
}

main().then(() => {
  // Worker threads and sockets of stopped nodes must not keep the bench alive.
  process.exit(0)
}, (err: unknown) => {
  console.error(err)
  process.exit(1)
})
