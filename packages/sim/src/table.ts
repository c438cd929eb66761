import { adversaryRows } from './adversaries-report.js'
import type { SimReport, TrafficByType } from './report.js'

function ms (n: number): string {
  return Number.isFinite(n) ? `${Math.round(n)}` : '-'
}

/** A stall of the event loop that the table counts: about a bid window. */
const STALL_MS = 250

/** The report as text for a terminal. */
export function renderTable (r: SimReport): string {
  const lines: string[] = []
  const row = (k: string, v: string): void => { lines.push(`  ${k.padEnd(26)} ${v}`) }
  lines.push(`swarm simulation "${r.scenario.name}": ${r.scenario.peers} peers in ${r.machine.workers} workers on ${r.machine.cpus} cores, seed ${r.scenario.seed}`)
  row('tasks announced', String(r.tasks.announced))
  row('completed', `${r.tasks.completed} (${(r.tasks.successRate * 100).toFixed(2)} %), ${r.tasks.retried} after a retry`)
  row('failed / rejected', `${r.tasks.failed} / ${r.tasks.rejected}`)
  row('cancelled / refused', `${r.tasks.cancelled} / ${r.tasks.refused}`)
  row('lost', String(r.tasks.lost))
  row('announce → formed (ms)', `p50 ${ms(r.formationMs.p50)}  p95 ${ms(r.formationMs.p95)}  p99 ${ms(r.formationMs.p99)}  max ${ms(r.formationMs.max)}`)
  row('announce → completed (ms)', `p50 ${ms(r.completionMs.p50)}  p95 ${ms(r.completionMs.p95)}  p99 ${ms(r.completionMs.p99)}  max ${ms(r.completionMs.max)}`)
  row('throughput', `${r.throughput.tasksPerMinute.toFixed(0)} tasks/min`)
  row('group sizes', Object.entries(r.groupSizes).map(([size, n]) => `${size}: ${n}`).join(', ') || '-')
  row('load balance', `Gini ${r.loadBalance.gini.toFixed(3)}, busiest ${r.loadBalance.maxTasks}, mean ${r.loadBalance.meanTasks.toFixed(1)}, idle ${r.loadBalance.idleAgents}`)
  row('messages per task', r.traffic.messagesPerTask.toFixed(1))
  const busiest = topTypes(r.traffic.byType, Math.max(1, r.tasks.announced))
  if (busiest !== '') row('busiest message types', `${busiest} per task`)
  const startup = r.traffic.startupByType === undefined ? '' : topTypes(r.traffic.startupByType, 1)
  if (startup !== '') row('startup messages', startup)
  row('bytes per task', r.traffic.loopbackBytesPerTask !== undefined ? `${(r.traffic.loopbackBytesPerTask / 1024).toFixed(1)} KiB on the wire (${(r.traffic.directBytesPerTask / 1024).toFixed(1)} KiB in direct messages)` : `${(r.traffic.directBytesPerTask / 1024).toFixed(1)} KiB in direct messages`)
  row('memory', `${r.memory.rssMiB.toFixed(0)} MiB RSS, ${r.memory.perPeerMiB.toFixed(2)} MiB per peer${r.memory.heapPerPeerMiB !== undefined ? ` (${r.memory.heapPerPeerMiB.toFixed(2)} MiB of JS heap and buffers)` : ''}`)
  row('CPU', `${r.cpu.coresUsed.toFixed(2)} cores on average (${r.cpu.userS.toFixed(1)} s user, ${r.cpu.systemS.toFixed(1)} s system)${r.cpu.loadCoresUsed !== undefined ? `, ${r.cpu.loadCoresUsed.toFixed(2)} under load` : ''}`)
  if (r.health.length > 0) {
    const stalls = r.health.filter(h => h.eventLoopLagMs >= STALL_MS).length
    row('event-loop stalls', `longest ${ms(Math.max(...r.health.map(h => h.eventLoopLagMs)))} ms; ${stalls} of ${r.health.length} seconds had one of ${STALL_MS} ms or more; connections ${r.health[0]?.connections ?? 0} → ${r.health.at(-1)?.connections ?? 0}`)
  }
  if (r.churn.killed > 0) row('churn', `${r.churn.killed} peers killed, ${r.churn.restarted} restarted; ${r.churn.tasksHit} tasks had a killed member: ${r.churn.hitCompleted} completed, ${r.churn.hitNotCompleted} did not; ${r.churn.memberReplacements} members replaced`)
  if (r.freeze !== undefined) {
    const f = r.freeze
    row('freeze', `${f.frozen} peers frozen, ${f.thawed} thawed; ${f.tasksHit} tasks had a frozen member: ${f.hitCompleted} completed, ${f.hitNotCompleted} did not; ${f.replacements} frozen members replaced`)
    row('freeze → replacement (ms)', `p50 ${ms(f.freezeToReplacementMs.p50)}  p95 ${ms(f.freezeToReplacementMs.p95)}  max ${ms(f.freezeToReplacementMs.max)}`)
  }
  if (r.liars !== undefined) {
    const l = r.liars
    row('liars', `${l.liars} peers never deliver; ${l.tasksWithLiar} tasks had one as a member: ${l.withLiarCompleted} completed; ${l.replacements} liar members replaced`)
    row('tasks won by a liar', `${l.buckets.map(b => `${Math.round(b.share * 100)}%`).join(' ')} (by tenth of the load)`)
  }
  if (r.adversaries !== undefined) for (const [k, v] of adversaryRows(r.adversaries)) row(k, v)
  if (r.settle !== undefined) row('directory at start', `every node knew ${r.settle.agentsKnownMin} agents or more of ${r.scenario.peers} (mean ${r.settle.agentsKnownMean.toFixed(1)}), settled in ${(r.settle.ms / 1000).toFixed(1)} s`)
  row('time', `startup ${(r.durations.startupMs / 1000).toFixed(1)} s, load ${(r.durations.loadMs / 1000).toFixed(1)} s, drain ${(r.durations.drainMs / 1000).toFixed(1)} s`)
  const failures = Object.entries(r.failures).sort((a, b) => b[1] - a[1])
  if (failures.length > 0) {
    lines.push('  not completed:')
    for (const [why, n] of failures.slice(0, 10)) lines.push(`    ${String(n).padStart(6)} × ${why}`)
  }
  return lines.join('\n')
}

/** The message types delivered most (gossip deliveries and direct requests), divided by `per`. */
function topTypes (byType: TrafficByType, per: number): string {
  const all = new Map<string, number>()
  for (const [type, n] of Object.entries(byType.gossipDelivered)) all.set(`${type} (gossip)`, n)
  for (const [type, c] of Object.entries(byType.direct)) all.set(type, c.requests)
  return [...all.entries()].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([type, n]) => `${type} ${per === 1 ? n : (n / per).toFixed(1)}`).join(', ')
}
