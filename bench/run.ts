/**
 * `npm run bench`: N in-process swarm nodes on 127.0.0.1 (default N = 20, 50, 100) receive
 * 2-skill tasks at a steady rate; prints announce → formed and announce → completed latency
 * percentiles, throughput and bytes on the wire per task, and writes them as JSON to
 * bench/results/. Figures, not assertions: nothing here fails on a slow machine.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createSwarmNode } from '@swarm/node'
import { loopbackBytes } from './loopback.js'
import { summarize } from './stats.js'
import type { Summary } from './stats.js'
import type { SwarmNode, NodeConfigInput } from '@swarm/node'

const SKILLS = ['analytics', 'viz', 'summarize', 'translate', 'review']
const LEVELS = ['novice', 'intermediate', 'advanced', 'expert'] as const

interface RunResult {
  peers: number
  rate: number
  durationS: number
  tasks: number
  completed: number
  failed: number
  rejected: number
  lost: number
  formationMs: Summary
  completionMs: Summary
  tasksPerMinute: number
  bytesPerTask?: number
  backgroundBytesPerSecond?: number
  /** Why tasks did not complete, with counts. */
  reasons: Record<string, number>
  startupMs: number
  rssMiB: number
  rssPerPeerMiB: number
}

/** A deterministic pseudo-random generator (mulberry32), so runs are comparable. */
function rng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

async function startNodes (count: number, root: string, random: () => number): Promise<SwarmNode[]> {
  const nodes: SwarmNode[] = []
  for (let i = 0; i < count; i++) {
    const mine = new Set<string>()
    while (mine.size < 2) mine.add(SKILLS[Math.floor(random() * SKILLS.length)] as string)
    const bootstrap: string[] = []
    for (let k = 0; k < Math.min(3, nodes.length); k++) {
      const peer = nodes[Math.floor(random() * nodes.length)]
      if (peer !== undefined) bootstrap.push(peer.addrs[0] as string)
    }
    const config: NodeConfigInput = {
      name: `bench-${i}`,
      dataDir: join(root, `n${i}`),
      storage: 'memory',
      listen: ['/ip4/127.0.0.1/tcp/0'],
      mdns: false,
      api: { enabled: false },
      logLevel: 'silent',
      capacity: 4,
      bootstrap: [...new Set(bootstrap)],
      connections: { inboundConnectionThreshold: 10_000, maxIncomingPendingConnections: 1000, maxConnections: 1000 },
      gossip: { ipColocationThreshold: 100_000 },
      directory: { heartbeatMs: 30_000, ttlMs: 120_000 },
      skills: [...mine].map(name => ({
        name,
        level: LEVELS[1 + Math.floor(random() * 3)] as (typeof LEVELS)[number],
        handler: { kind: 'builtin' as const, name: 'sleep' as const, delayMs: 20 }
      }))
    }
    nodes.push(await createSwarmNode(config))
  }
  return nodes
}

/** Waits until every skill topic has a subscriber among each node's connections (mesh is up). */
async function settle (nodes: SwarmNode[], maxMs: number): Promise<void> {
  const deadline = Date.now() + maxMs
  while (Date.now() < deadline) {
    const ready = nodes.every(n => SKILLS.every(s => n.skills.canDo(s, 'novice') || n.gossip.subscribers(`/swarm/swarm/skill/${s}/1`).length > 0))
    if (ready) return
    await new Promise(resolve => setTimeout(resolve, 200))
  }
}

async function runOne (peers: number, rate: number, durationS: number, seed: number): Promise<RunResult> {
  const root = mkdtempSync(join(tmpdir(), 'swarm-bench-'))
  const random = rng(seed)
  const t0 = Date.now()
  const nodes = await startNodes(peers, root, random)
  await settle(nodes, 20_000)
  const startupMs = Date.now() - t0
  const rss = process.memoryUsage().rss / 1024 / 1024

  // Background traffic (heartbeats, gossip control) over a quiet second.
  const quietStart = loopbackBytes()
  await new Promise(resolve => setTimeout(resolve, 2000))
  const quietEnd = loopbackBytes()
  const background = quietStart !== undefined && quietEnd !== undefined ? (quietEnd - quietStart) / 2 : undefined

  const total = Math.round(rate * durationS)
  const formation: number[] = []
  const completion: number[] = []
  let completed = 0
  let failed = 0
  let rejected = 0
  const reasons = new Map<string, number>()
  const note = (reason: string): void => { reasons.set(reason, (reasons.get(reason) ?? 0) + 1) }
  const bytesStart = loopbackBytes()
  const loadStart = Date.now()
  const pending: Array<Promise<void>> = []
  for (let i = 0; i < total; i++) {
    const due = loadStart + (i * 1000) / rate
    const wait = due - Date.now()
    if (wait > 0) await new Promise(resolve => setTimeout(resolve, wait))
    const announcer = nodes[Math.floor(random() * nodes.length)] as SwarmNode
    const a = SKILLS[Math.floor(random() * SKILLS.length)] as string
    let b = a
    while (b === a) b = SKILLS[Math.floor(random() * SKILLS.length)] as string
    pending.push((async () => {
      try {
        const task = await announcer.announce({
          description: `bench task ${i}`,
          skills: [{ name: a, minLevel: 'intermediate' }, { name: b, minLevel: 'novice' }],
          input: { i },
          bidWindowMs: 200,
          deadlineMs: 30_000
        })
        const outcome = await task.result()
        if (outcome.ok) {
          completed++
          if (outcome.timings.formationMs !== undefined) formation.push(outcome.timings.formationMs)
          if (outcome.timings.totalMs !== undefined) completion.push(outcome.timings.totalMs)
        } else {
          if (outcome.status === 'REJECTED') rejected++
          else failed++
          note(`${outcome.status}: ${outcome.reason ?? ''}`)
        }
      } catch (err) {
        rejected++
        note(`announce refused: ${(err as Error).message}`)
      }
    })())
  }
  await Promise.all(pending)
  const loadMs = Date.now() - loadStart
  const bytesEnd = loopbackBytes()
  const finalRss = process.memoryUsage().rss / 1024 / 1024
  await Promise.allSettled(nodes.map(async n => { await n.stop() }))
  rmSync(root, { recursive: true, force: true })

  const bytes = bytesStart !== undefined && bytesEnd !== undefined ? bytesEnd - bytesStart : undefined
  return {
    peers,
    rate,
    durationS,
    tasks: total,
    completed,
    failed,
    rejected,
    lost: total - completed - failed - rejected,
    formationMs: summarize(formation),
    completionMs: summarize(completion),
    tasksPerMinute: (completed / loadMs) * 60_000,
    ...(bytes !== undefined ? { bytesPerTask: Math.round((bytes - (background ?? 0) * (loadMs / 1000)) / Math.max(1, total)) } : {}),
    ...(background !== undefined ? { backgroundBytesPerSecond: Math.round(background) } : {}),
    reasons: Object.fromEntries(reasons),
    startupMs,
    rssMiB: Math.round(Math.max(rss, finalRss)),
    rssPerPeerMiB: Math.round((rss / peers) * 100) / 100
  }
}

function fmt (s: Summary): string {
  return `${s.p50.toFixed(0)} / ${s.p95.toFixed(0)} / ${s.p99.toFixed(0)} / ${s.max.toFixed(0)}`
}

async function main (): Promise<void> {
  const { values } = parseArgs({
    options: {
      peers: { type: 'string', default: '20,50,100' },
      rate: { type: 'string', default: '5' },
      duration: { type: 'string', default: '20' },
      seed: { type: 'string', default: '42' },
      out: { type: 'string' }
    }
  })
  const peerCounts = values.peers.split(',').map(Number).filter(n => Number.isInteger(n) && n > 1)
  const rate = Number(values.rate)
  const duration = Number(values.duration)
  if (peerCounts.length === 0 || !(rate > 0) || !(duration > 0)) {
    console.error('usage: npm run bench -- [--peers 20,50,100] [--rate 5] [--duration 20] [--seed 42] [--out file.json]')
    process.exit(2)
  }
  const results: RunResult[] = []
  for (const peers of peerCounts) {
    process.stderr.write(`running ${peers} peers, ${rate} tasks/s for ${duration}s…\n`)
    results.push(await runOne(peers, rate, duration, Number(values.seed)))
  }
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memGiB: Math.round(totalmem() / 2 ** 30), node: process.version }
  console.log(`\nswarm bench — ${machine.cpus} cores (${machine.cpuModel}), ${machine.memGiB} GiB, Node ${machine.node}; all peers in one process`)
  console.log('2-skill tasks, bid window 200 ms, handlers sleep 20 ms; latency in ms as p50 / p95 / p99 / max\n')
  console.log('peers  tasks  done  failed  rejected  lost  announce→formed        announce→completed     tasks/min  bytes/task  RSS/peer')
  for (const r of results) {
    console.log(`${String(r.peers).padEnd(6)} ${String(r.tasks).padEnd(6)} ${String(r.completed).padEnd(5)} ${String(r.failed).padEnd(7)} ${String(r.rejected).padEnd(9)} ${String(r.lost).padEnd(5)} ${fmt(r.formationMs).padEnd(22)} ${fmt(r.completionMs).padEnd(22)} ${r.tasksPerMinute.toFixed(0).padEnd(10)} ${String(r.bytesPerTask ?? '-').padEnd(11)} ${r.rssPerPeerMiB} MiB`)
  }
  for (const r of results) {
    for (const [reason, n] of Object.entries(r.reasons)) console.log(`  ${r.peers} peers: ${n} × ${reason}`)
  }
  const report = { kind: 'negotiation-bench', at: new Date().toISOString(), machine, rate, durationS: duration, results }
  const dir = new URL('../../bench/results/', import.meta.url).pathname
  mkdirSync(dir, { recursive: true })
  const file = values.out ?? join(dir, `bench-${report.at.replace(/[:.]/g, '-')}.json`)
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n')
  writeFileSync(join(dir, 'latest.json'), JSON.stringify(report, null, 2) + '\n')
  console.log(`\nwritten ${file}`)
}

main().catch(err => {
  console.error(err)
  process.exit(1)
})
