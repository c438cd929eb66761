import { mkdtempSync, rmSync } from 'node:fs'
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { loopbackBytes } from './loopback.js'
import { planSimulation } from './plan.js'
import { buildReport } from './report.js'
import type { PeerStats, TaskRecord, WorkerCommand, WorkerEvent } from './messages.js'
import type { PeerPlan, SimulationPlan } from './plan.js'
import type { SimReport } from './report.js'
import type { Scenario } from './scenario.js'
import type { NodeConfigInput } from '@swarm/node'

/** What the simulator reports while it runs. */
export interface SimProgress {
  phase: 'starting' | 'settling' | 'running' | 'draining' | 'stopping'
  peersStarted: number
  peersAlive: number
  peers: number
  announced: number
  completed: number
  failed: number
  inFlight: number
  total: number
  elapsedMs: number
}

export interface RunOptions {
  onProgress?: (progress: SimProgress) => void
  /** How often onProgress is called while tasks run. */
  progressEveryMs?: number
}

/** The node configuration of one simulated peer, tuned for many peers on one host. */
export function peerConfig (scenario: Scenario, peer: PeerPlan, root: string, bootstrap: string[]): NodeConfigInput {
  return {
    name: peer.name,
    dataDir: join(root, peer.name),
    storage: 'memory',
    listen: ['/ip4/127.0.0.1/tcp/0'],
    mdns: false,
    // Cheap peers: no circuit relay transport and no DHT (the default) in simulations.
    relay: { client: false },
    api: { enabled: false },
    // Prometheus metrics cost memory and CPU per peer; the simulator measures on its own.
    metrics: { enabled: false },
    logLevel: 'silent',
    capacity: scenario.capacity,
    bootstrap,
    connections: { inboundConnectionThreshold: 100_000, maxIncomingPendingConnections: 2_000, maxConnections: 200, dialTimeoutMs: 20_000, pingIntervalMs: 300_000 },
    gossip: { ipColocationThreshold: 1_000_000, D: scenario.node.gossipD, Dlo: scenario.node.gossipDlo, Dhi: scenario.node.gossipDhi },
    directory: { heartbeatMs: scenario.node.heartbeatMs, ttlMs: scenario.node.heartbeatMs * 3, swarmHeartbeatsPerSecond: scenario.node.swarmHeartbeatsPerSecond, joinFloodsPerSecond: scenario.node.joinFloodsPerSecond },
    skills: peer.skills.map(s => ({ name: s.name, level: s.level, handler: { kind: 'builtin' as const, name: 'simulate' as const } }))
  }
}

/**
 * Young generation of each worker thread's heap. Hundreds of peers in one thread allocate fast:
 * with V8's default (16 MiB semi-spaces) the short-lived objects of a negotiation (a second or
 * two) are promoted before they die, the old generation grows by ~1.5 MiB a second, and its
 * collections pause the thread for 0.3 s and more, longer than a bid window (measured on 500
 * peers). A larger young generation lets them die young.
 */
const WORKER_YOUNG_GENERATION_MIB = 192

/**
 * Peers per worker thread above which the simulator starts more threads than cores. A thread's
 * heap grows with its peers (about 2 MiB live each), and so do its full garbage collections:
 * 250 peers in a thread paused it for 0.3 to 0.5 s, longer than a bid window, while 125 keep the
 * pauses short (measured on 500 peers: p95 formation 4.1 s with 2 threads, 0.5 s with 4).
 */
const MAX_PEERS_PER_WORKER = 125

/**
 * Worker threads for `peers` peers: one per core, and up to two per core while a thread would
 * hold more than MAX_PEERS_PER_WORKER (more threads than that compete for the cores: 8 threads
 * on 2 cores ran 1000 peers worse than 2 did). Pure.
 */
export function defaultWorkers (peers: number, cores: number): number {
  return Math.max(1, cores, Math.min(2 * cores, Math.ceil(peers / MAX_PEERS_PER_WORKER)))
}

class WorkerLink {
  readonly worker: Worker
  readonly #waiters = new Map<string, Array<(event: WorkerEvent) => void>>()
  #chain: Promise<unknown> = Promise.resolve()

  constructor (index: number, onEvent: (event: WorkerEvent) => void) {
    this.worker = new Worker(new URL('./worker.js', import.meta.url), { name: `sim-worker-${index}`, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MIB } })
    this.worker.on('message', (event: WorkerEvent) => {
      const waiters = this.#waiters.get(event.type)
      const waiter = waiters?.shift()
      if (waiter !== undefined) waiter(event)
      onEvent(event)
    })
  }

  send (command: WorkerCommand): void {
    this.worker.postMessage(command)
  }

  /** Sends a command and resolves with the worker's answer of type `reply`; one at a time. */
  async call<T extends WorkerEvent['type']>(command: WorkerCommand, reply: T): Promise<Extract<WorkerEvent, { type: T }>> {
    const run = async (): Promise<Extract<WorkerEvent, { type: T }>> => await new Promise(resolve => {
      const list = this.#waiters.get(reply) ?? []
      list.push(event => { resolve(event as Extract<WorkerEvent, { type: T }>) })
      this.#waiters.set(reply, list)
      this.send(command)
    })
    const result = this.#chain.then(run, run)
    this.#chain = result.catch(() => {})
    return await result
  }
}

function groupByWorker<T> (items: Array<{ worker: number, item: T }>): Map<number, T[]> {
  const out = new Map<number, T[]>()
  for (const { worker, item } of items) out.set(worker, [...(out.get(worker) ?? []), item])
  return out
}

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

/**
 * Runs a simulation: real swarm nodes spread over worker threads, the planned workload, churn
 * and partitions; returns the report. Every announced task is accounted for.
 */
export async function runSimulation (scenario: Scenario, options: RunOptions = {}): Promise<SimReport> {
  const workers = Math.max(1, Math.min(scenario.workers ?? defaultWorkers(scenario.peers, availableParallelism()), scenario.peers))
  const plan: SimulationPlan = planSimulation(scenario, workers)
  const root = mkdtempSync(join(tmpdir(), 'swarm-sim-'))
  const startedAt = Date.now()
  const cpuStart = process.cpuUsage()
  const records = new Map<number, TaskRecord>()
  const refused: Array<{ index: number, error: string, at: number }> = []
  const announced = new Set<number>()
  const addrs = new Map<number, string>()
  const alive = new Set<number>()
  const peersAlive: Array<{ t: number, alive: number }> = []
  const health: SimReport['health'] = []
  let phase: SimProgress['phase'] = 'starting'
  let loadStartedAt = 0

  const onEvent = (event: WorkerEvent): void => {
    if (event.type === 'task') records.set(event.record.index, event.record)
    else if (event.type === 'announce-failed') refused.push({ index: event.index, error: event.error, at: event.at })
    else if (event.type === 'error') process.stderr.write(`simulator worker error: ${event.error}\n`)
  }
  const links = Array.from({ length: workers }, (_, i) => new WorkerLink(i, onEvent))
  const markAlive = (): void => { peersAlive.push({ t: loadStartedAt === 0 ? 0 : Date.now() - loadStartedAt, alive: alive.size }) }

  const progress = (): SimProgress => {
    let completed = 0
    let failed = 0
    for (const r of records.values()) {
      if (r.ok) completed++
      else failed++
    }
    failed += refused.length
    return { phase, peersStarted: addrs.size, peersAlive: alive.size, peers: scenario.peers, announced: announced.size, completed, failed, inFlight: announced.size - completed - failed, total: plan.tasks.length, elapsedMs: Date.now() - startedAt }
  }
  const report = (): void => { options.onProgress?.(progress()) }
  let timer: NodeJS.Timeout | undefined
  let healthTimer: NodeJS.Timeout | undefined
  // While tasks run: the connections of all peers and the worst event-loop lag of the workers, each second.
  const sampleHealth = async (): Promise<void> => {
    const t = Date.now() - loadStartedAt
    const answers = await Promise.all(links.map(async l => await l.call({ type: 'health' }, 'health')))
    health.push({ t, connections: answers.reduce((s, h) => s + h.connections, 0), eventLoopLagMs: Math.max(...answers.map(h => h.eventLoopLagMs)) })
  }

  try {
    // Baseline memory: the process with its worker threads, before any node exists.
    const workerMemory = (events: Array<{ memory: { heapUsed: number, external: number } }>): number => events.reduce((s, e) => s + e.memory.heapUsed + e.memory.external, 0)
    const baselineWorkers = workerMemory(await Promise.all(links.map(async l => await l.call({ type: 'stats' }, 'stats'))))
    const baselineRss = process.memoryUsage().rss

    // Start the seed peer alone, then the others in batches, each bootstrapping from peers of
    // earlier batches (dial pacing: a batch never dials itself).
    const bootstrapOf = (peer: PeerPlan): string[] => {
      const chosen = peer.bootstrap.flatMap(b => addrs.get(b) ?? [])
      if (chosen.length > 0) return chosen
      const started = [...addrs.values()]
      return started.length === 0 ? [] : [started[peer.index % started.length] as string]
    }
    const batches: PeerPlan[][] = [plan.peers.slice(0, 1)]
    for (let i = 1; i < plan.peers.length; i += scenario.node.startBatch) batches.push(plan.peers.slice(i, i + scenario.node.startBatch))
    for (const batch of batches) {
      const byWorker = groupByWorker(batch.map(peer => ({
        worker: peer.worker,
        item: { index: peer.index, config: peerConfig(scenario, peer, root, bootstrapOf(peer)) }
      })))
      const results = await Promise.all([...byWorker.entries()].map(async ([w, peers]) => await (links[w] as WorkerLink).call({ type: 'start', peers }, 'started')))
      for (const r of results) for (const p of r.peers) { addrs.set(p.index, `${p.addr}`); alive.add(p.index) }
      report()
      if (scenario.node.startPauseMs > 0) await sleep(scenario.node.startPauseMs)
    }
    phase = 'settling'
    report()
    // Let the swarm settle: gossip streams to all subscribers open, and the connections and the
    // agent directories stopped changing: for 1 s once every node knows every agent, for 3 s when
    // some directories stay incomplete (catch-ups fill them in, seconds apart), or at most 30 s
    // plus 100 ms per peer (80 s for 500 peers: their cards cross a busy host), or node.settleLimitS.
    const settleStarted = Date.now()
    const settleUntil = settleStarted + (scenario.node.settleLimitS !== undefined ? scenario.node.settleLimitS * 1000 : 30_000 + 100 * scenario.peers)
    let lastKey = ''
    let steadySince = 0
    let known = { min: 0, total: 0 }
    while (Date.now() < settleUntil) {
      await sleep(250)
      const health = await Promise.all(links.map(async l => await l.call({ type: 'health' }, 'health')))
      const connections = health.reduce((s, h) => s + h.connections, 0)
      const pending = health.reduce((s, h) => s + h.pendingStreams, 0)
      known = { min: Math.min(...health.map(h => h.agentsKnownMin)), total: health.reduce((s, h) => s + h.agentsKnownTotal, 0) }
      const key = `${connections}/${known.total}`
      const now = Date.now()
      if (pending > 0 || key !== lastKey) steadySince = now
      lastKey = key
      report()
      const steadyMs = now - steadySince
      if (steadyMs >= (known.min >= scenario.peers ? 1000 : 3000)) break
    }
    const settle = { ms: Date.now() - settleStarted, agentsKnownMin: known.min, agentsKnownMean: known.total / Math.max(1, alive.size) }
    const quiet0 = loopbackBytes()
    await sleep(2000)
    const quiet1 = loopbackBytes()
    const background = quiet0 !== undefined && quiet1 !== undefined ? (quiet1 - quiet0) / 2 : undefined
    const startupMs = Date.now() - startedAt

    const peerStatsAtLoadStart = (await Promise.all(links.map(async l => await l.call({ type: 'stats' }, 'stats')))).flatMap(s => s.peers)
    const loadCpuStart = process.cpuUsage()
    phase = 'running'
    loadStartedAt = Date.now()
    markAlive()
    const bytes0 = loopbackBytes()
    const spec = { bidWindowMs: scenario.tasks.bidWindowMs, deadlineMs: scenario.tasks.deadlineMs, maxAttempts: scenario.tasks.maxAttempts }
    const deadline = startedAt + scenario.durationLimitS * 1000
    const kills: Array<{ peerId: string, at: number }> = []
    let restarts = 0
    const idOf = (addr: string | undefined): string => addr?.split('/p2p/')[1] ?? ''
    timer = setInterval(report, options.progressEveryMs ?? 500)
    await sampleHealth()
    healthTimer = setInterval(() => { sampleHealth().catch(() => {}) }, 1000)
    const chaosDone = (async () => {
      for (const event of plan.chaos) {
        const wait = loadStartedAt + event.at - Date.now()
        if (wait > 0) await sleep(wait)
        if (Date.now() > deadline) return
        const peers = event.peers.map(i => plan.peers[i] as PeerPlan)
        if (event.kind === 'kill') {
          const at = Date.now()
          for (const p of peers) kills.push({ peerId: idOf(addrs.get(p.index)), at })
          await Promise.all([...groupByWorker(peers.map(p => ({ worker: p.worker, item: p.index }))).entries()].map(async ([w, ids]) => await (links[w] as WorkerLink).call({ type: 'kill', peers: ids }, 'killed')))
          for (const p of peers) alive.delete(p.index)
        } else if (event.kind === 'restart') {
          const byWorker = groupByWorker(peers.map(p => ({ worker: p.worker, item: { index: p.index, config: peerConfig(scenario, p, root, [addrs.get(0) ?? '']) } })))
          const results = await Promise.all([...byWorker.entries()].map(async ([w, list]) => await (links[w] as WorkerLink).call({ type: 'restart', peers: list }, 'restarted')))
          for (const r of results) for (const p of r.peers) { addrs.set(p.index, p.addr); alive.add(p.index); restarts++ }
        } else {
          const cut = new Set(event.peers)
          const inside = event.peers.map(i => idOf(addrs.get(i)))
          const outside = plan.peers.filter(p => !cut.has(p.index)).map(p => idOf(addrs.get(p.index)))
          await Promise.all(links.map(async (link, w) => {
            const mine = plan.peers.filter(p => p.worker === w)
            const cmds: Array<Promise<unknown>> = []
            const insideHere = mine.filter(p => cut.has(p.index)).map(p => p.index)
            const outsideHere = mine.filter(p => !cut.has(p.index)).map(p => p.index)
            if (event.kind === 'partition') {
              if (insideHere.length > 0) cmds.push(link.call({ type: 'block', peers: insideHere, blocked: outside }, 'blocked'))
              if (outsideHere.length > 0) cmds.push(link.call({ type: 'block', peers: outsideHere, blocked: inside }, 'blocked'))
            } else {
              cmds.push(link.call({ type: 'unblock', peers: mine.map(p => p.index) }, 'blocked'))
            }
            await Promise.all(cmds)
          }))
        }
        markAlive()
      }
    })()

    for (const task of plan.tasks) {
      const wait = loadStartedAt + task.at - Date.now()
      if (wait > 0) await sleep(wait)
      if (Date.now() > deadline) break
      const announcer = plan.peers[task.announcer] as PeerPlan
      announced.add(task.index)
      ;(links[announcer.worker] as WorkerLink).send({ type: 'announce', task, spec })
    }
    const loadEndedAt = Date.now()
    phase = 'draining'
    while (Date.now() < deadline) {
      const finished = records.size + refused.length
      if (finished >= announced.size) break
      await sleep(100)
    }
    await chaosDone
    const loadCpu = process.cpuUsage(loadCpuStart)
    clearInterval(timer)
    clearInterval(healthTimer)
    markAlive()
    const bytes1 = loopbackBytes()
    phase = 'stopping'
    report()

    const finalStats = await Promise.all(links.map(async l => await l.call({ type: 'stats' }, 'stats')))
    const peerStats: PeerStats[] = finalStats.flatMap(s => s.peers)
    const loadedWorkers = workerMemory(finalStats)
    const mem = process.memoryUsage()
    const loadedRss = mem.rss
    await Promise.all(links.map(async l => await l.call({ type: 'stop' }, 'stopped')))
    const cpu = process.cpuUsage(cpuStart)
    const endedAt = Date.now()
    return buildReport({
      scenario,
      plan,
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memGiB: Math.round(totalmem() / 2 ** 30), node: process.version, workers },
      startedAt,
      loadStartedAt,
      loadEndedAt,
      endedAt,
      startupMs,
      settle,
      kills,
      restarts,
      records: [...records.values()].sort((a, b) => a.index - b.index),
      refused,
      announcedIndices: announced,
      peerStats,
      peerStatsAtLoadStart,
      loadCpu,
      peersAlive,
      health,
      rss: { baseline: baselineRss, loaded: loadedRss, heapUsed: mem.heapUsed, workersBaseline: baselineWorkers, workersLoaded: loadedWorkers },
      cpu: { user: cpu.user, system: cpu.system },
      ...(bytes0 !== undefined && bytes1 !== undefined && background !== undefined ? { loopback: { bytes: bytes1 - bytes0, backgroundPerSecond: background } } : {})
    })
  } finally {
    clearInterval(timer)
    clearInterval(healthTimer)
    await Promise.allSettled(links.map(async l => await l.worker.terminate()))
    rmSync(root, { recursive: true, force: true })
  }
}
