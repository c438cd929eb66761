import { adversaryRows } from './adversaries-report.js'
import type { SimReport } from './report.js'

interface Series { points: Array<{ x: number, y: number }>, color: string, label: string }

function esc (text: string): string {
  return text.replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c)
}

function niceMax (value: number): number {
  if (!(value > 0)) return 1
  const exp = Math.pow(10, Math.floor(Math.log10(value)))
  for (const m of [1, 2, 2.5, 5, 10]) if (m * exp >= value) return m * exp
  return 10 * exp
}

/** An SVG line (or step) chart with axes and a legend; no scripts, no external assets. */
function lineChart (title: string, xLabel: string, yLabel: string, series: Series[], options: { bars?: boolean, yMax?: number } = {}): string {
  const W = 640
  const H = 300
  const L = 60
  const R = 20
  const T = 30
  const B = 45
  const all = series.flatMap(s => s.points)
  const xMax = niceMax(Math.max(1, ...all.map(p => p.x)))
  const yMax = options.yMax ?? niceMax(Math.max(1, ...all.map(p => p.y)))
  const sx = (x: number): number => L + (x / xMax) * (W - L - R)
  const sy = (y: number): number => H - B - (y / yMax) * (H - T - B)
  const ticks = [0, 0.25, 0.5, 0.75, 1]
  let svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(title)}">`
  svg += `<text x="${W / 2}" y="18" text-anchor="middle" font-weight="bold">${esc(title)}</text>`
  for (const t of ticks) {
    const y = sy(t * yMax)
    const x = sx(t * xMax)
    svg += `<line x1="${L}" x2="${W - R}" y1="${y}" y2="${y}" stroke="#ddd"/><text x="${L - 6}" y="${y + 4}" text-anchor="end" font-size="11">${+(t * yMax).toPrecision(3)}</text>`
    svg += `<text x="${x}" y="${H - B + 16}" text-anchor="middle" font-size="11">${+(t * xMax).toPrecision(3)}</text>`
  }
  svg += `<line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" stroke="#333"/><line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="#333"/>`
  svg += `<text x="${(L + W - R) / 2}" y="${H - 8}" text-anchor="middle" font-size="12">${esc(xLabel)}</text>`
  svg += `<text x="14" y="${(T + H - B) / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 14 ${(T + H - B) / 2})">${esc(yLabel)}</text>`
  series.forEach((s, i) => {
    if (s.points.length === 0) return
    if (options.bars === true) {
      const w = Math.max(1, (W - L - R) / Math.max(1, s.points.length) - 1)
      for (const p of s.points) svg += `<rect x="${sx(p.x)}" y="${sy(p.y)}" width="${w}" height="${H - B - sy(p.y)}" fill="${s.color}"/>`
    } else {
      svg += `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${s.points.map(p => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ')}"/>`
    }
    svg += `<rect x="${L + 10 + i * 170}" y="${T + 4}" width="12" height="12" fill="${s.color}"/><text x="${L + 26 + i * 170}" y="${T + 14}" font-size="12">${esc(s.label)}</text>`
  })
  return svg + '</svg>'
}

function fmt (n: number, digits = 0): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '-'
}

/** Table rows of the frozen peers and the liars, when the run had some. */
function faultRows (r: SimReport): Array<[string, string]> {
  const rows: Array<[string, string]> = []
  const f = r.freeze
  if (f !== undefined) {
    rows.push(['freeze', `${f.frozen} peers frozen, ${f.thawed} thawed; ${f.tasksHit} tasks had a frozen member: ${f.hitCompleted} completed, ${f.hitNotCompleted} did not`])
    rows.push(['freeze → replacement (ms)', `${f.replacements} replaced: p50 ${fmt(f.freezeToReplacementMs.p50)} · p95 ${fmt(f.freezeToReplacementMs.p95)} · max ${fmt(f.freezeToReplacementMs.max)}`])
  }
  const l = r.liars
  if (l !== undefined) {
    rows.push(['liars', `${l.liars} peers never deliver; ${l.tasksWithLiar} tasks had one as a member, ${l.withLiarCompleted} of them completed`])
    rows.push(['tasks won by a liar', l.buckets.map(b => `${fmt((b.fromMs) / 1000)}–${fmt(b.toMs / 1000)} s: ${fmt(b.share * 100)} %`).join(' · ')])
  }
  if (r.adversaries !== undefined) rows.push(...adversaryRows(r.adversaries).map(([k, v]): [string, string] => [k, esc(v)]))
  return rows
}

/** A self-contained HTML page of the report: tables and four plots, no network needed. */
export function renderHtml (report: SimReport): string {
  const r = report
  const rows: Array<[string, string]> = [
    ['peers', `${r.scenario.peers} in ${r.machine.workers} worker threads`],
    ['tasks', `${r.tasks.announced} announced: ${r.tasks.completed} completed, ${r.tasks.failed} failed, ${r.tasks.rejected} rejected, ${r.tasks.cancelled} cancelled, ${r.tasks.refused} refused, ${r.tasks.lost} lost`],
    ['success rate', `${fmt(r.tasks.successRate * 100, 2)} %`],
    ['announce → formed (ms)', `p50 ${fmt(r.formationMs.p50)} · p95 ${fmt(r.formationMs.p95)} · p99 ${fmt(r.formationMs.p99)} · max ${fmt(r.formationMs.max)}`],
    ['announce → completed (ms)', `p50 ${fmt(r.completionMs.p50)} · p95 ${fmt(r.completionMs.p95)} · p99 ${fmt(r.completionMs.p99)} · max ${fmt(r.completionMs.max)}`],
    ['throughput', `${fmt(r.throughput.tasksPerMinute)} tasks/min`],
    ['load balance', `Gini ${fmt(r.loadBalance.gini, 3)}, max ${r.loadBalance.maxTasks}, mean ${fmt(r.loadBalance.meanTasks, 1)}, idle agents ${r.loadBalance.idleAgents}`],
    ['traffic per task', `${fmt(r.traffic.messagesPerTask, 1)} messages, ${r.traffic.loopbackBytesPerTask !== undefined ? fmt(r.traffic.loopbackBytesPerTask / 1024, 1) + ' KiB on the wire' : 'wire bytes not measured'}`],
    ['memory', `${fmt(r.memory.rssMiB)} MiB RSS, ${fmt(r.memory.perPeerMiB, 2)} MiB per peer${r.memory.heapPerPeerMiB !== undefined ? ` (${fmt(r.memory.heapPerPeerMiB, 2)} MiB of JS heap and buffers)` : ''}`],
    ['CPU', `${fmt(r.cpu.userS, 1)} s user, ${fmt(r.cpu.systemS, 1)} s system, ${fmt(r.cpu.coresUsed, 2)} cores on average`],
    ...faultRows(r),
    ['machine', `${r.machine.cpus} cores (${esc(r.machine.cpuModel)}), ${r.machine.memGiB} GiB, Node ${r.machine.node}`]
  ]
  const failures = Object.entries(r.failures).sort((a, b) => b[1] - a[1])
  const perAgent = r.loadBalance.tasksPerAgent.map((y, x) => ({ x, y }))
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>swarm simulation: ${esc(r.scenario.name)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:1340px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 10px;text-align:left}
.plots{display:grid;grid-template-columns:repeat(auto-fit,minmax(600px,1fr));gap:1em}svg{width:100%;height:auto;font-family:system-ui,sans-serif}</style></head>
<body><h1>swarm simulation: ${esc(r.scenario.name)}</h1><p>${esc(r.scenario.description)} Started ${esc(r.startedAt)}, seed ${r.scenario.seed}.</p>
<table>${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${v}</td></tr>`).join('')}</table>
${failures.length > 0 ? `<h2>Tasks that did not complete</h2><table><tr><th>count</th><th>why</th></tr>${failures.map(([k, n]) => `<tr><td>${n}</td><td>${esc(k)}</td></tr>`).join('')}</table>` : ''}
<div class="plots">
${lineChart('Latency CDF', 'milliseconds', 'fraction of tasks', [
  { points: r.latencyCdf.formation, color: '#1f77b4', label: 'announce → formed' },
  { points: r.latencyCdf.completion, color: '#d62728', label: 'announce → completed' }
], { yMax: 1 })}
${lineChart('Throughput', 'seconds since the load started', 'tasks completed per second', [{ points: r.throughput.perSecond.map(p => ({ x: p.t / 1000, y: p.count })), color: '#2ca02c', label: 'completed / s' }], { bars: true })}
${lineChart('Tasks per agent', 'agents, busiest first', 'tasks worked on', [{ points: perAgent, color: '#9467bd', label: `Gini ${fmt(r.loadBalance.gini, 3)}` }], { bars: true })}
${lineChart('Peers alive', 'seconds since the load started', 'peers', [{ points: r.peersAlive.flatMap((p, i, a) => i === 0 ? [{ x: p.t / 1000, y: p.alive }] : [{ x: p.t / 1000, y: (a[i - 1] as { alive: number }).alive }, { x: p.t / 1000, y: p.alive }]), color: '#ff7f0e', label: 'alive' }], { yMax: Math.max(1, r.scenario.peers) })}
${lineChart('Connections', 'seconds since the load started', 'open connections, all peers', [{ points: r.health.map(h => ({ x: h.t / 1000, y: h.connections })), color: '#17becf', label: 'connections' }])}
${lineChart('Event-loop lag', 'seconds since the load started', 'ms (longest stall of any worker, each second)', [{ points: r.health.map(h => ({ x: h.t / 1000, y: h.eventLoopLagMs })), color: '#8c564b', label: 'lag' }])}
</div>
<h2>Scenario</h2><pre>${esc(JSON.stringify(r.scenario, null, 2))}</pre>
</body></html>
`
}
