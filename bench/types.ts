/** The bench's shared types: what its runs measure and what it writes to bench/results/. */
import type { SimReport, summarize } from '@swarm/sim'

/** Latency percentiles (nearest rank), milliseconds. */
export type LatencySummary = ReturnType<typeof summarize>

/** What one workload is: which preset, how many peers, how many tasks at what rate. */
export interface SwarmWorkload {
  /** steady: the latency run; throughput: a higher rate; scale: a large swarm. */
  kind: 'steady' | 'throughput' | 'scale'
  preset: string
  peers: number
  tasks: number
  /** Arrivals per second; undefined keeps the preset's rate. */
  rate?: number
  seed: number
}

/** Whether the run finished, and how well. */
export type Verdict = 'ok' | 'degraded' | 'crashed'

export interface SwarmResult {
  kind: SwarmWorkload['kind']
  preset: string
  peers: number
  workers: number
  rate: number
  /** ok: finished with ≥ 99 % of tasks completed and none lost; degraded: finished below that; crashed: did not finish. */
  verdict: Verdict
  error?: string
  tasks: SimReport['tasks']
  formationMs: LatencySummary
  completionMs: LatencySummary
  tasksPerMinute: number
  groupSizes: Record<string, number>
  loadBalanceGini: number
  /**
   * The simulator's traffic figures, plus grossLoopbackBytesPerTask: everything sent on the
   * loopback from about a second into the load to the end of the drain, idle traffic included
   * (an upper bound, for when the net figure is not above the idle rate).
   */
  traffic: SimReport['traffic'] & { grossLoopbackBytesPerTask?: number }
  memory: SimReport['memory']
  cpu: SimReport['cpu']
  durations: SimReport['durations']
  /** The ten most frequent reasons tasks did not complete. */
  failures: Record<string, number>
}

/** What the broker run measured. */
export interface BrokerResult {
  redisVersion: string
  peers: number
  connections: number
  rate: number
  tasks: { announced: number, completed: number, failed: number, rejected: number, lost: number, retried: number, successRate: number }
  formationMs: LatencySummary
  completionMs: LatencySummary
  tasksPerMinute: number
  groupSizes: Record<string, number>
  /** PUBLISH commands per task (each fans out to the channel's subscribers). */
  publishesPerTask: number
  /** Bytes Redis read plus wrote per task (INFO stats): exact, payload only, no TCP/IP headers. */
  redisBytesPerTask?: number
  /** Bytes sent on the loopback per task, less the idle rate (includes other processes' traffic). */
  loopbackBytesPerTask?: number
  /** RSS growth of the broker's process per agent (its Redis clients and state), and redis-server's RSS. */
  memory: { processPerAgentMiB: number, redisRssMiB?: number }
  /** CPU seconds of the agents' process and of redis-server during the load; cores used on average. */
  cpu: { benchS: number, redisS?: number, coresUsed: number }
  durations: { setupMs: number, loadMs: number, drainMs: number }
  failures: Record<string, number>
}

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

/** The figures of one shape of the workflow part (bench/workflow.ts). */
export interface WorkflowShapeResult {
  shape: 'chain' | 'fan-out'
  /** Steps of one workflow. */
  steps: number
  workflows: number
  completed: number
  /** Per step: (finished − its needs done) − its task's own total time, ms. */
  overheadMs: LatencySummary
  /** Per step: its task's own total time (announcer: creation → final state), ms. */
  taskMs: LatencySummary
  /** Per workflow: start → end, ms. */
  workflowMs: LatencySummary
  /** Why the workflows that did not complete ended, with how many. */
  failures: Record<string, number>
}

/** What the workflow part writes to the bench's JSON. */
export interface WorkflowResult {
  nodes: number
  handler: string
  /** Workflows of each shape run before the measured ones (connections, caches). */
  warmup: number
  shapes: WorkflowShapeResult[]
  /** Every measured step of every shape. */
  overheadMs: LatencySummary
  durationMs: number
  error?: string
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
  /** The workflow part (bench/workflow.ts): the coordination a workflow adds per step; absent with --skip-workflow. */
  workflow?: WorkflowResult
}
