/** Ratios to the broker and the bars of the brief (section 5), from the runs of a bench. */
import type { Bar, BrokerRun, Ratio, SwarmResult } from './types.js'

/** Swarm / broker for each swarm run that has a broker run of the same workload. */
export function ratiosOf (swarm: SwarmResult[], broker: BrokerRun[]): Ratio[] {
  const out: Ratio[] = []
  for (const s of swarm) {
    if (s.kind === 'scale') continue
    const b = broker.find(run => run.kind === s.kind && run.result.peers === s.peers && run.result.rate === s.rate)?.result
    if (b === undefined) continue
    out.push({
      kind: s.kind,
      peers: s.peers,
      rate: s.rate,
      formationP50: s.formationMs.p50 / b.formationMs.p50,
      formationP99: s.formationMs.p99 / b.formationMs.p99,
      tasksPerMinute: s.tasksPerMinute / b.tasksPerMinute
    })
  }
  return out
}

/** Highest tasks/min of a 100-peer run that completed ≥ 99 % of its tasks and lost none. */
export function sustainedOf (swarm: SwarmResult[]): number | undefined {
  const good = swarm.filter(s => s.kind !== 'scale' && s.peers === 100 && s.verdict === 'ok').map(s => s.tasksPerMinute)
  return good.length === 0 ? undefined : Math.max(...good)
}

const f0 = (n: number): string => Number.isFinite(n) ? n.toFixed(0) : '-'

function check (what: string, goal: string, value: number | undefined, limit: number, below: boolean, show: (n: number) => string): Bar {
  if (value === undefined || !Number.isFinite(value)) return { what, goal, measured: '-' }
  return { what, goal, measured: show(value), met: below ? value <= limit : value >= limit }
}

/**
 * Bytes per task: the net loopback figure; when that is 0 (the load's traffic was not above the
 * idle rate measured before it), the gross figure as an upper bound.
 */
function wireBar (run: SwarmResult | undefined): Bar {
  const what = 'bytes on the wire per task (100 peers)'
  const goal = '≤ 50 KiB'
  const net = run?.traffic.loopbackBytesPerTask
  if (net !== undefined && net > 0) return { what, goal, measured: `${(net / 1024).toFixed(1)} KiB`, met: net / 1024 <= 50 }
  const gross = run?.traffic.grossLoopbackBytesPerTask
  if (gross === undefined) return { what, goal, measured: '-' }
  return { what, goal, measured: `≤ ${(gross / 1024).toFixed(0)} KiB (idle traffic in)`, ...(gross / 1024 <= 50 ? { met: true } : {}) }
}

export function barsOf (swarm: SwarmResult[], ratios: Ratio[], sustained: number | undefined): Bar[] {
  const steady = swarm.find(s => s.kind === 'steady' && s.peers === 100)
  const steadyRatio = ratios.find(r => r.kind === 'steady' && r.peers === 100)
  const scale = (peers: number): SwarmResult | undefined => swarm.find(s => s.kind === 'scale' && s.peers === peers)
  const s500 = scale(500)
  const s1000 = scale(1000)
  const atRate = steady === undefined ? '' : ` (${steady.rate}/s)`
  const bars: Bar[] = [
    check(`100 peers: announce → formed p50${atRate}`, '≤ 25 ms', steady?.formationMs.p50, 25, true, v => `${f0(v)} ms`),
    check(`100 peers: announce → formed p99${atRate}`, '≤ 100 ms', steady?.formationMs.p99, 100, true, v => `${f0(v)} ms`),
    check('formed p50, swarm / broker', '≤ 10×', steadyRatio?.formationP50, 10, true, v => `${v.toFixed(1)}×`),
    check('formed p99, swarm / broker', '≤ 10×', steadyRatio?.formationP99, 10, true, v => `${v.toFixed(1)}×`),
    sustained === undefined && swarm.some(s => s.kind !== 'scale' && s.peers === 100)
      ? { what: 'sustained throughput, 100 peers, none lost', goal: '≥ 1,000/min (goal 3,000)', measured: 'no run ≥ 99 % done', met: false }
      : check('sustained throughput, 100 peers, none lost', '≥ 1,000/min (goal 3,000)', sustained, 1000, false, v => `${f0(v)}/min`),
    check('memory per in-process peer (100 peers)', '≤ 1.5 MiB RSS', steady?.memory.perPeerMiB, 1.5, true, v => `${v.toFixed(2)} MiB`),
    wireBar(steady),
    s500 === undefined
      ? { what: '500 peers in one simulation', goal: 'runs, ≥ 99 % done', measured: '-' }
      : { what: '500 peers in one simulation', goal: 'runs, ≥ 99 % done', measured: s500.verdict === 'crashed' ? 'crashed' : `${(s500.tasks.successRate * 100).toFixed(1)} % done, p50 ${f0(s500.formationMs.p50)} ms`, met: s500.verdict === 'ok' },
    s1000 === undefined
      ? { what: '1,000 peers in one simulation', goal: '≥ 99 % of tasks done', measured: '-' }
      : { what: '1,000 peers in one simulation', goal: '≥ 99 % of tasks done', measured: s1000.verdict === 'crashed' ? 'crashed' : `${(s1000.tasks.successRate * 100).toFixed(1)} % done`, met: s1000.verdict === 'ok' }
  ]
  return bars
}
