/** The benchmark table as text. */
import type { BenchReport, BrokerResult, LatencySummary, SwarmResult, WorkflowResult } from './types.js'

function grid (header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => (r[i] ?? '').length)))
  const line = (cells: string[]): string => cells.map((c, i) => i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)).join('  ').trimEnd()
  return [line(header), line(widths.map(w => '-'.repeat(w))), ...rows.map(line)].join('\n')
}

const num = (n: number | undefined, digits = 0): string => n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(digits)
const lat = (s: LatencySummary): string => s.n === 0 ? '-' : [s.p50, s.p95, s.p99, s.max].map(v => num(v)).join('/')
const pct = (f: number): string => `${(f * 100).toFixed(1)}`
const times = (r: number): string => Number.isFinite(r) ? `${r.toFixed(r < 10 ? 2 : 1)}×` : '-'

const HEADER = ['run', 'peers', 'tasks', 'rate/s', 'done %', 'lost', 'formed p50/p95/p99/max ms', 'completed p50/p95/p99/max ms', 'tasks/min', 'KiB/task', 'MiB/peer', 'cores', 'verdict']

function swarmRow (r: SwarmResult): string[] {
  const name = r.kind === 'scale' ? `swarm ${r.preset}` : `swarm ${r.kind}`
  if (r.verdict === 'crashed') return [name, String(r.peers), '-', num(r.rate), '-', '-', '-', '-', '-', '-', '-', '-', 'crashed']
  const net = r.traffic.loopbackBytesPerTask
  const gross = r.traffic.grossLoopbackBytesPerTask
  const kib = net !== undefined && net > 0 ? num(net / 1024, 1) : gross !== undefined ? `≤${num(gross / 1024, 0)}` : '-'
  return [name, String(r.peers), String(r.tasks.announced), num(r.rate), pct(r.tasks.successRate), String(r.tasks.lost), lat(r.formationMs), lat(r.completionMs), num(r.tasksPerMinute), kib, num(r.memory.perPeerMiB, 2), num(r.cpu.coresUsed, 2), r.verdict]
}

function brokerRow (kind: string, r: BrokerResult): string[] {
  const bytes = r.redisBytesPerTask ?? r.loopbackBytesPerTask
  const kib = bytes === undefined ? undefined : bytes / 1024
  const verdict = r.tasks.lost === 0 && r.tasks.successRate >= 0.99 ? 'ok' : 'degraded'
  return [`broker ${kind}`, String(r.peers), String(r.tasks.announced), num(r.rate), pct(r.tasks.successRate), String(r.tasks.lost), lat(r.formationMs), lat(r.completionMs), num(r.tasksPerMinute), num(kib, 1), num(r.memory.processPerAgentMiB, 2), num(r.cpu.coresUsed, 2), verdict]
}

const ms1 = (s: LatencySummary): string => s.n === 0 ? '-' : [s.p50, s.p95].map(v => num(v, 1)).join('/')

/** The workflow part: the coordination a workflow adds per step over its task's own time. */
function renderWorkflow (w: WorkflowResult): string[] {
  const out = [`workflow coordination: ${w.nodes} nodes on 127.0.0.1 (1 runs the workflows), steps on the ${w.handler}, one workflow at a time after ${w.warmup} warm-up runs of each shape`]
  if (w.error !== undefined) return [...out, `  crashed: ${w.error}`]
  const row = (name: string, steps: string, done: string, o: LatencySummary, task: string, wall: string): string[] =>
    [name, steps, done, String(o.n), num(o.p50, 1), num(o.p95, 1), num(o.mean, 1), num(o.max, 1), task, wall]
  const rows = w.shapes.map(s => row(s.shape, String(s.steps), `${s.completed}/${s.workflows}`, s.overheadMs, ms1(s.taskMs), ms1(s.workflowMs)))
  rows.push(row('all steps', '-', '-', w.overheadMs, '-', '-'))
  out.push(grid(['shape', 'steps', 'done', 'n', 'added p50', 'p95', 'mean', 'max', 'task p50/p95', 'workflow p50/p95'], rows))
  out.push('  added: per step, ms from its needs done (the start, for a first step) to the step finished, less its task\'s own total time')
  out.push('         (the announcer\'s creation → final state); task: that own time; workflow: start → end of one workflow')
  for (const s of w.shapes) {
    for (const [why, n] of Object.entries(s.failures)) out.push(`  not completed (${s.shape}): ${n} × ${why}`)
  }
  return out
}

/** The whole printout: runs, swarm / broker ratios, the bars of the brief, and why tasks did not complete. */
export function renderBench (report: BenchReport): string {
  const m = report.machine
  const out: string[] = []
  out.push(`swarm bench, ${report.startedAt}: ${m.cpus} cores (${m.cpuModel}), ${m.memGiB} GiB, Node ${m.node}, ${m.os}, load ${m.loadAverageAtStart.toFixed(2)} at start`)
  if (report.options.only === 'workflow') {
    if (report.workflow !== undefined) out.push('', ...renderWorkflow(report.workflow))
    return out.join('\n')
  }
  out.push('swarm: real nodes on 127.0.0.1 TCP in worker threads of one process; broker: the same agents and contract net over ' +
    (report.broker.redisVersion !== undefined ? `redis-server ${report.broker.redisVersion}` : 'Redis (skipped)'))
  out.push('')
  const rows: string[][] = []
  for (const r of report.swarm) {
    rows.push(swarmRow(r))
    const mirror = report.broker.runs.find(b => b.kind === r.kind && b.result.peers === r.peers && b.result.rate === r.rate)
    if (mirror !== undefined) rows.push(brokerRow(mirror.kind, mirror.result))
  }
  out.push(grid(HEADER, rows))
  out.push('  latency: announce → group formed / → every member\'s result in; done %: completed / announced; lost: no final state at the end')
  out.push('  KiB/task: swarm: bytes sent on the loopback during the load less the idle rate (≤N: not above it, N = all bytes of the load per task);')
  out.push('            broker: bytes in and out of redis-server (INFO stats)')
  out.push('  MiB/peer: RSS growth per peer (broker: per agent) of the run\'s own process; cores: CPU time / wall time')
  const redisRss = report.broker.runs.map(b => b.result.memory.redisRssMiB).find(v => v !== undefined)
  if (redisRss !== undefined) out.push(`  redis-server RSS after the first broker run: ${redisRss.toFixed(1)} MiB (not in MiB/peer); broker cores include redis-server's CPU`)
  for (const e of report.broker.errors ?? []) out.push(`  broker run failed: ${e}`)

  if (report.ratios.length > 0) {
    out.push('')
    out.push(grid(['swarm / broker', 'formed p50', 'formed p99', 'tasks/min'], report.ratios.map(r => [`${r.kind} ${r.peers} peers ${r.rate}/s`, times(r.formationP50), times(r.formationP99), times(r.tasksPerMinute)])))
  } else if (report.broker.skipped !== undefined) {
    out.push('')
    out.push(`broker baseline skipped: ${report.broker.skipped}`)
  }

  if (report.workflow !== undefined) out.push('', ...renderWorkflow(report.workflow))

  out.push('')
  out.push(grid(['bar (brief, section 5)', 'goal', 'measured', 'met'], report.bars.map(b => [b.what, b.goal, b.measured, b.met === undefined ? '-' : b.met ? 'yes' : 'NO'])))

  const failing = report.swarm.filter(r => r.verdict !== 'ok' && (Object.keys(r.failures).length > 0 || r.error !== undefined))
  for (const r of failing) {
    out.push('')
    out.push(`not completed in swarm ${r.kind === 'scale' ? r.preset : r.kind} (${r.peers} peers):`)
    if (r.error !== undefined) out.push(`  crashed: ${r.error}`)
    for (const [why, n] of Object.entries(r.failures).slice(0, 5)) out.push(`  ${String(n).padStart(6)} × ${why}`)
  }
  for (const b of report.broker.runs) {
    const entries = Object.entries(b.result.failures)
    if (entries.length === 0) continue
    out.push('')
    out.push(`not completed in broker ${b.kind} (${b.result.rate}/s):`)
    for (const [why, n] of entries.slice(0, 5)) out.push(`  ${String(n).padStart(6)} × ${why}`)
  }
  return out.join('\n')
}
