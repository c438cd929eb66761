import type { summarize } from '@swarm/sim'
import type { BrokerResult } from './broker.js'
import type { SwarmResult } from './swarm.js'

/** Latency percentiles (nearest rank), milliseconds. */
export type LatencySummary = ReturnType<typeof summarize>

/** A broker run and the swarm run whose workload it repeats. */
export interface BrokerRun {
  kind: 'steady' | 'throughput'
  result: BrokerResult
}

/** Swarm figure divided by the broker figure, for the same workload. */
export interface Ratio {
  kind: 'steady' | 'throughput'
  peers: number
  rate: number
  formationP50: number
  formationP99: number
  tasksPerMinute: number
}

/** One bar of the brief (section 5) and where this run stands. */
export interface Bar {
  what: string
  goal: string
  measured: string
  /** undefined: not measured in this run. */
  met?: boolean
}

export interface Machine {
  cpus: number
  cpuModel: string
  memGiB: number
  node: string
  os: string
  /** 1-minute load average when the bench started (other work on the machine skews the figures). */
  loadAverageAtStart: number
}

/** What `npm run bench` writes to bench/results/. */
export interface BenchReport {
  kind: 'swarm-bench'
  version: 2
  startedAt: string
  durationS: number
  machine: Machine
  options: Record<string, unknown>
  swarm: SwarmResult[]
  broker: { redisVersion?: string, skipped?: string, errors?: string[], runs: BrokerRun[] }
  ratios: Ratio[]
  /** Highest tasks/min of a 100-peer run that completed ≥ 99 % of its tasks and lost none. */
  sustainedTasksPerMinute?: number
  bars: Bar[]
}
