/**
 * Swarm runs of the bench: one simulator run (real nodes in worker threads) per workload,
 * reduced to the figures the benchmark table and its JSON keep.
 */
import { loadScenario, runSimulation } from '@swarm/sim'
import { loopbackBytes } from './loopback.js'
import type { Scenario, SimProgress, SimReport } from '@swarm/sim'
import type { LatencySummary, SwarmResult, SwarmWorkload, Verdict } from './types.js'


/** The scenario of a workload: the preset with the workload's peers, tasks, rate and seed. */
export function scenarioOf (w: SwarmWorkload): Scenario {
  return loadScenario(w.preset, { peers: w.peers, seed: w.seed, tasks: { count: w.tasks, ...(w.rate !== undefined ? { rate: w.rate } : {}) } })
}

function verdictOf (report: SimReport): Verdict {
  return report.tasks.lost === 0 && report.tasks.successRate >= 0.99 ? 'ok' : 'degraded'
}

const NO_LATENCY: LatencySummary = { n: 0, p50: NaN, p95: NaN, p99: NaN, max: NaN, mean: NaN }

/** Runs one workload on the simulator, in this process; a crash is reported as a result, not thrown. */
export async function runSwarm (w: SwarmWorkload, onProgress: (p: SimProgress) => void): Promise<SwarmResult> {
  const scenario = scenarioOf(w)
  let loadBytes: number | undefined
  let endBytes: number | undefined
  const watch = (p: SimProgress): void => {
    if (p.phase === 'running' && loadBytes === undefined) loadBytes = loopbackBytes()
    if (p.phase === 'stopping' && endBytes === undefined) endBytes = loopbackBytes()
    onProgress(p)
  }
  try {
    const report = await runSimulation(scenario, { onProgress: watch, progressEveryMs: 1000 })
    const gross = loadBytes !== undefined && endBytes !== undefined && report.tasks.announced > 0 ? (endBytes - loadBytes) / report.tasks.announced : undefined
    const failures = Object.fromEntries(Object.entries(report.failures).sort((a, b) => b[1] - a[1]).slice(0, 10))
    return {
      kind: w.kind,
      preset: w.preset,
      peers: scenario.peers,
      workers: report.machine.workers,
      rate: scenario.tasks.rate,
      verdict: verdictOf(report),
      tasks: report.tasks,
      formationMs: report.formationMs,
      completionMs: report.completionMs,
      tasksPerMinute: report.throughput.tasksPerMinute,
      groupSizes: report.groupSizes,
      loadBalanceGini: report.loadBalance.gini,
      traffic: { ...report.traffic, ...(gross !== undefined ? { grossLoopbackBytesPerTask: gross } : {}) },
      memory: report.memory,
      cpu: report.cpu,
      durations: report.durations,
      failures
    }
  } catch (err) {
    return crashed(w, err instanceof Error ? err.message : String(err))
  }
}

/** The result of a run that did not finish. */
export function crashed (w: SwarmWorkload, error: string): SwarmResult {
  const scenario = scenarioOf(w)
  return {
    kind: w.kind,
    preset: w.preset,
    peers: scenario.peers,
    workers: 0,
    rate: scenario.tasks.rate,
    verdict: 'crashed',
    error,
    tasks: { announced: 0, completed: 0, failed: 0, rejected: 0, cancelled: 0, refused: 0, lost: 0, retried: 0, successRate: 0 },
    formationMs: NO_LATENCY,
    completionMs: NO_LATENCY,
    tasksPerMinute: 0,
    groupSizes: {},
    loadBalanceGini: 0,
    traffic: { messagesPerTask: 0, directBytesPerTask: 0, gossipRejected: 0, byType: { gossipPublished: {}, gossipDelivered: {}, direct: {} } },
    memory: { rssMiB: 0, perPeerMiB: 0, baselineMiB: 0, heapUsedMiB: 0 },
    cpu: { userS: 0, systemS: 0, coresUsed: 0 },
    durations: { startupMs: 0, loadMs: 0, drainMs: 0, totalMs: 0 },
    failures: {}
  }
}
