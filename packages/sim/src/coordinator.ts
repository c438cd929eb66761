import { mkdtempSync, rmSync } from 'node:fs'
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { Attacks } from './attacks.js'
import { FROZEN_CALL_TIMEOUT_MS, Freezer } from './freezer.js'
import { loopbackBytes } from './loopback.js'
import { peerConfig } from './peer-config.js'
import { planSimulation } from './plan.js'
import { buildReport } from './report.js'
import { WorkerLink, groupByWorker } from './worker-link.js'
import type { PeerStats, TaskRecord, WorkerCommand, WorkerEvent } from './messages.js'
import type { ChaosEvent, PeerPlan, SimulationPlan } from './plan.js'
import type { RawRun, SimReport } from './report.js'
import type { Scenario } from './scenario.js'

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
  /** With adversaries.compareClean, which of the two runs this is: without the adversaries, then with them. */
  run?: 'clean' | 'attacked'
}

export interface RunOptions {
  onProgress?: (progress: SimProgress) => void
  /** How often onProgress is called while tasks run. */
  progressEveryMs?: number
}

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

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

/** V8 heap and external (Buffer) memory of the worker threads, from their stats answers. */
function workerMemory (events: Array<{ memory: { heapUsed: number, external: number } }>): number {
  return events.reduce((s, e) => s + e.memory.heapUsed + e.memory.external, 0)
}

function machineOf (workers: number): SimReport['machine'] {
  return { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memGiB: Math.round(totalmem() / 2 ** 30), node: process.version, workers }
}

/** What the run measured before the load started. */
interface StartupFacts {
  /** Bytes: the process RSS and the worker threads' heap + external memory, before any node. */
  baseline: { rss: number, workers: number }
  settle: NonNullable<SimReport['settle']>
  /** Loopback bytes per second of the idle, settled swarm. */
  background: number | undefined
  startupMs: number
}

/** What the run measured over the load (announcements and draining). */
interface LoadFacts {
  peerStatsAtLoadStart: PeerStats[]
  loadCpu: NodeJS.CpuUsage
  loadEndedAt: number
  /** Loopback byte counters at the start of the load and at the end of the drain. */
  bytes: { start: number | undefined, end: number | undefined }
}

/**
 * Runs a simulation: real swarm nodes spread over worker threads, the planned workload, churn
 * and partitions; returns the report. Every announced task is accounted for.
 */
export async function runSimulation (scenario: Scenario, options: RunOptions = {}): Promise<SimReport> {
  const adversaries = scenario.adversaries
  if (adversaries === undefined || adversaries.fraction === 0 || !adversaries.compareClean) return await runOnce(scenario, options, 'attacked')
  // The same plan twice: without the adversaries (not started), then with them.
  const tagged = (run: 'clean' | 'attacked'): RunOptions => ({ ...options, onProgress: p => { options.onProgress?.({ ...p, run }) } })
  const clean = await runOnce(scenario, tagged('clean'), 'clean')
  const attacked = await runOnce(scenario, tagged('attacked'), 'attacked')
  if (attacked.adversaries !== undefined && clean.adversaries !== undefined) attacked.adversaries.clean = clean.adversaries.attacked
  return attacked
}

/** Which peers a run starts: all of them, or all but the adversaries (the clean run of a comparison). */
type RunMode = 'clean' | 'attacked'

async function runOnce (scenario: Scenario, options: RunOptions, mode: RunMode): Promise<SimReport> {
  const run = new SimulationRun(scenario, options, mode)
  try {
    return await run.execute()
  } finally {
    await run.dispose()
  }
}

/**
 * One simulation run, phase by phase: start the worker threads and the peers, let the swarm
 * settle, play the workload with the churn and partition events, drain, then stop the peers and
 * collect. It holds what the workers report (task records, refusals) and what the phases share
 * (peer addresses, who is alive, the time the load started).
 */
class SimulationRun {
  readonly #scenario: Scenario
  readonly #options: RunOptions
  readonly #plan: SimulationPlan
  /** Data directories of the peers; removed at the end. */
  readonly #root: string
  readonly #startedAt: number
  readonly #cpuStart: NodeJS.CpuUsage
  /** No task is announced, no chaos event played and no drain waited for after this time (epoch ms). */
  readonly #deadline: number
  readonly #links: WorkerLink[]
  readonly #records = new Map<number, TaskRecord>()
  readonly #refused: RawRun['refused'] = []
  readonly #announced = new Set<number>()
  /** Listen address (with its /p2p/ peer id) of each started peer, by plan index. */
  readonly #addrs = new Map<number, string>()
  readonly #alive = new Set<number>()
  readonly #peersAlive: RawRun['peersAlive'] = []
  readonly #health: SimReport['health'] = []
  readonly #kills: Array<{ peerId: string, at: number }> = []
  readonly #freezer = new Freezer()
  readonly #mode: RunMode
  #restarts = 0
  /** The adversaries' attacks (none in a clean run). */
  readonly #attacks: Attacks
  #phase: SimProgress['phase'] = 'starting'
  #loadStartedAt = 0
  #progressTimer: NodeJS.Timeout | undefined
  #healthTimer: NodeJS.Timeout | undefined

  constructor (scenario: Scenario, options: RunOptions, mode: RunMode) {
    this.#scenario = scenario
    this.#options = options
    this.#mode = mode
    const workers = Math.max(1, Math.min(scenario.workers ?? defaultWorkers(scenario.peers, availableParallelism()), scenario.peers))
    this.#plan = planSimulation(scenario, workers)
    this.#root = mkdtempSync(join(tmpdir(), 'swarm-sim-'))
    this.#startedAt = Date.now()
    this.#cpuStart = process.cpuUsage()
    this.#deadline = this.#startedAt + scenario.durationLimitS * 1000
    this.#links = Array.from({ length: this.#plan.workers }, (_, i) => new WorkerLink(i, event => { this.#onEvent(event) }))
    this.#attacks = new Attacks(scenario, this.#plan, mode === 'attacked', {
      callAll: async (command, reply) => await this.#callAll(command, reply),
      callEach: async (items, command, reply) => await this.#callEach(items, command, reply),
      sendAll: command => { for (const link of this.#links) link.send(command) },
      started: index => this.#addrs.has(index),
      peerIdOf: index => this.#peerIdOf(index)
    })
  }

  /** The phases in order; the report of what they measured. */
  async execute (): Promise<SimReport> {
    // Baseline memory: the process with its worker threads, before any node exists.
    const workers = workerMemory(await this.#callAll({ type: 'stats' }, 'stats'))
    const baseline = { workers, rss: process.memoryUsage().rss }
    await this.#startPeers()
    this.#phase = 'settling'
    this.#report()
    const settle = await this.#settle()
    this.#attacks.watch()
    const background = await this.#backgroundLoopback()
    const startup: StartupFacts = { baseline, settle, background, startupMs: Date.now() - this.#startedAt }
    const load = await this.#runLoad()
    return await this.#stopAndReport(startup, load)
  }

  /** Stops the timers, ends the worker threads and removes the peers' data, whatever happened before. */
  async dispose (): Promise<void> {
    this.#stopSampling()
    this.#freezer.thawAll()
    await Promise.allSettled(this.#links.map(async l => await l.worker.terminate()))
    rmSync(this.#root, { recursive: true, force: true })
  }

  #onEvent (event: WorkerEvent): void {
    if (event.type === 'task') this.#records.set(event.record.index, event.record)
    else if (event.type === 'announce-failed') this.#refused.push({ index: event.index, error: event.error, at: event.at })
    else if (event.type === 'error') process.stderr.write(`simulator worker error: ${event.error}\n`)
  }

  /**
   * Sends one worker thread a command and waits for its answer. A frozen thread is not asked
   * (undefined), and a thread that was frozen (thawed since) gets FROZEN_CALL_TIMEOUT_MS to
   * answer (undefined when it did not): the coordinator never hangs on a frozen thread.
   */
  async #call<T extends WorkerEvent['type']> (w: number, command: WorkerCommand, reply: T): Promise<Extract<WorkerEvent, { type: T }> | undefined> {
    if (this.#freezer.isFrozen(w)) return undefined
    const link = this.#links[w] as WorkerLink
    if (!this.#freezer.wasFrozen(w)) return await link.call(command, reply)
    try {
      return await link.call(command, reply, FROZEN_CALL_TIMEOUT_MS)
    } catch {
      return undefined
    }
  }

  /** Sends every worker thread `command` and waits for all their answers (frozen threads left out). */
  async #callAll<T extends WorkerEvent['type']> (command: WorkerCommand, reply: T): Promise<Array<Extract<WorkerEvent, { type: T }>>> {
    const answers = await Promise.all(this.#links.map(async (_, w) => await this.#call(w, command, reply)))
    return answers.filter(a => a !== undefined)
  }

  /** Sends each worker thread holding some of `items` the command for its share, all at once; their answers. */
  async #callEach<I, T extends WorkerEvent['type']> (items: Array<{ worker: number, item: I }>, command: (mine: I[]) => WorkerCommand, reply: T): Promise<Array<Extract<WorkerEvent, { type: T }>>> {
    const answers = await Promise.all([...groupByWorker(items).entries()].map(async ([w, mine]) => await this.#call(w, command(mine), reply)))
    return answers.filter(a => a !== undefined)
  }

  #progress (): SimProgress {
    let completed = 0
    let failed = 0
    for (const r of this.#records.values()) {
      if (r.ok) completed++
      else failed++
    }
    failed += this.#refused.length
    const announced = this.#announced.size
    return { phase: this.#phase, peersStarted: this.#addrs.size, peersAlive: this.#alive.size, peers: this.#scenario.peers, announced, completed, failed, inFlight: announced - completed - failed, total: this.#plan.tasks.length, elapsedMs: Date.now() - this.#startedAt }
  }

  #report (): void {
    this.#options.onProgress?.(this.#progress())
  }

  #markAlive (): void {
    this.#peersAlive.push({ t: this.#loadStartedAt === 0 ? 0 : Date.now() - this.#loadStartedAt, alive: this.#alive.size })
  }

  /** The libp2p peer id of a started peer ('' before it started). */
  #peerIdOf (index: number): string {
    return this.#addrs.get(index)?.split('/p2p/')[1] ?? ''
  }

  /**
   * Starts the seed peer alone, then the others in batches, each bootstrapping from peers of
   * earlier batches (dial pacing: a batch never dials itself).
   */
  async #startPeers (): Promise<void> {
    // The clean run of a comparison starts every peer but the adversaries.
    const peers = this.#plan.peers.filter(p => this.#mode === 'attacked' || p.adversary === undefined)
    const { startBatch, startPauseMs } = this.#scenario.node
    const batches: PeerPlan[][] = [peers.slice(0, 1)]
    for (let i = 1; i < peers.length; i += startBatch) batches.push(peers.slice(i, i + startBatch))
    for (const batch of batches) {
      const items = batch.map(peer => ({ worker: peer.worker, item: { index: peer.index, config: peerConfig(this.#scenario, peer, this.#root, this.#bootstrapOf(peer)), ...this.#attacks.specOf(peer) } }))
      const results = await this.#callEach(items, mine => ({ type: 'start', peers: mine }), 'started')
      for (const r of results) for (const p of r.peers) { this.#addrs.set(p.index, `${p.addr}`); this.#alive.add(p.index) }
      this.#report()
      if (startPauseMs > 0) await sleep(startPauseMs)
    }
  }

  /** The planned bootstrap peers of `peer` that started, else one started peer picked by its index. */
  #bootstrapOf (peer: PeerPlan): string[] {
    const chosen = peer.bootstrap.flatMap(b => this.#addrs.get(b) ?? [])
    if (chosen.length > 0) return chosen
    const started = [...this.#addrs.values()]
    return started.length === 0 ? [] : [started[peer.index % started.length] as string]
  }

  /**
   * Lets the swarm settle: gossip streams to all subscribers open, and the connections and the
   * agent directories stopped changing: for 1 s once every node knows every agent, for 3 s when
   * some directories stay incomplete (catch-ups fill them in, seconds apart), or at most 30 s
   * plus 100 ms per peer (80 s for 500 peers: their cards cross a busy host), or node.settleLimitS.
   */
  async #settle (): Promise<StartupFacts['settle']> {
    const { node } = this.#scenario
    const peers = this.#addrs.size
    const settleStarted = Date.now()
    const settleUntil = settleStarted + (node.settleLimitS !== undefined ? node.settleLimitS * 1000 : 30_000 + 100 * peers)
    let lastKey = ''
    let steadySince = 0
    let known = { min: 0, total: 0 }
    while (Date.now() < settleUntil) {
      await sleep(250)
      const health = await this.#callAll({ type: 'health' }, 'health')
      const connections = health.reduce((s, h) => s + h.connections, 0)
      const pending = health.reduce((s, h) => s + h.pendingStreams, 0)
      known = { min: Math.min(...health.map(h => h.agentsKnownMin)), total: health.reduce((s, h) => s + h.agentsKnownTotal, 0) }
      const key = `${connections}/${known.total}`
      const now = Date.now()
      if (pending > 0 || key !== lastKey) steadySince = now
      lastKey = key
      this.#report()
      const steadyMs = now - steadySince
      if (steadyMs >= (known.min >= peers ? 1000 : 3000)) break
    }
    return { ms: Date.now() - settleStarted, agentsKnownMin: known.min, agentsKnownMean: known.total / Math.max(1, this.#alive.size) }
  }

  /**
   * Loopback bytes per second of the settled swarm over 2 s without tasks (heartbeats, gossip
   * upkeep), subtracted from the load's traffic in the report; undefined where unmeasurable.
   */
  async #backgroundLoopback (): Promise<number | undefined> {
    const quiet0 = loopbackBytes()
    await sleep(2000)
    const quiet1 = loopbackBytes()
    return quiet0 !== undefined && quiet1 !== undefined ? (quiet1 - quiet0) / 2 : undefined
  }

  /**
   * The load: the planned tasks announced on time while the chaos events play, then the drain
   * until every announced task ended or the deadline; progress and health sampled throughout.
   */
  async #runLoad (): Promise<LoadFacts> {
    const peerStatsAtLoadStart = (await this.#callAll({ type: 'stats' }, 'stats')).flatMap(s => s.peers)
    const loadCpuStart = process.cpuUsage()
    this.#phase = 'running'
    this.#loadStartedAt = Date.now()
    this.#markAlive()
    const start = loopbackBytes()
    await this.#startSampling()
    const chaosDone = this.#playChaos()
    const attacksStarted = this.#attacks.start(this.#loadStartedAt, this.#deadline)
    await this.#announceTasks()
    const loadEndedAt = Date.now()
    this.#phase = 'draining'
    await this.#drain()
    await chaosDone
    await attacksStarted
    const loadCpu = process.cpuUsage(loadCpuStart)
    this.#stopSampling()
    this.#markAlive()
    const end = loopbackBytes()
    this.#phase = 'stopping'
    this.#report()
    return { peerStatsAtLoadStart, loadCpu, loadEndedAt, bytes: { start, end } }
  }

  /** Progress every progressEveryMs; a health sample now and then each second, while tasks run. */
  async #startSampling (): Promise<void> {
    this.#progressTimer = setInterval(() => { this.#report() }, this.#options.progressEveryMs ?? 500)
    await this.#sampleHealth()
    this.#healthTimer = setInterval(() => { this.#sampleHealth().catch(() => {}) }, 1000)
  }

  #stopSampling (): void {
    clearInterval(this.#progressTimer)
    clearInterval(this.#healthTimer)
  }

  /** The connections of all peers and the worst event-loop lag of the workers, now. */
  async #sampleHealth (): Promise<void> {
    const t = Date.now() - this.#loadStartedAt
    const answers = await this.#callAll({ type: 'health' }, 'health')
    this.#health.push({ t, connections: answers.reduce((s, h) => s + h.connections, 0), eventLoopLagMs: Math.max(...answers.map(h => h.eventLoopLagMs)) })
  }

  /** Sends each planned task to its announcer's worker at its time, until the deadline. */
  async #announceTasks (): Promise<void> {
    const { tasks } = this.#scenario
    const spec = { bidWindowMs: tasks.bidWindowMs, deadlineMs: tasks.deadlineMs, maxAttempts: tasks.maxAttempts }
    for (const task of this.#plan.tasks) {
      const wait = this.#loadStartedAt + task.at - Date.now()
      if (wait > 0) await sleep(wait)
      if (Date.now() > this.#deadline) break
      const announcer = this.#plan.peers[task.announcer] as PeerPlan
      this.#announced.add(task.index)
      if (this.#freezer.isFrozen(announcer.worker)) this.#refused.push({ index: task.index, error: 'the announcer is frozen', at: Date.now() })
      else (this.#links[announcer.worker] as WorkerLink).send({ type: 'announce', task, spec })
    }
  }

  /** Waits until every announced task has a record or was refused, or the deadline. */
  async #drain (): Promise<void> {
    while (Date.now() < this.#deadline) {
      const finished = this.#records.size + this.#refused.length
      if (finished >= this.#announced.size) break
      await sleep(100)
    }
  }

  /** Plays the planned churn and partition events at their times, until the deadline. */
  async #playChaos (): Promise<void> {
    for (const event of this.#plan.chaos) {
      const wait = this.#loadStartedAt + event.at - Date.now()
      if (wait > 0) await sleep(wait)
      if (Date.now() > this.#deadline) return
      const peers = event.peers.map(i => this.#plan.peers[i] as PeerPlan)
      const worker = peers[0]?.worker ?? 0
      if (event.kind === 'kill') await this.#kill(peers)
      else if (event.kind === 'restart') await this.#restart(peers)
      else if (event.kind === 'freeze') await this.#freezer.freeze(worker, this.#links[worker] as WorkerLink, i => this.#peerIdOf(i)).catch(() => {})
      else if (event.kind === 'thaw') this.#freezer.thaw(worker)
      else await this.#partitionOrHeal(event)
      this.#markAlive()
    }
  }

  async #kill (peers: PeerPlan[]): Promise<void> {
    const at = Date.now()
    for (const p of peers) this.#kills.push({ peerId: this.#peerIdOf(p.index), at })
    await this.#callEach(peers.map(p => ({ worker: p.worker, item: p.index })), ids => ({ type: 'kill', peers: ids }), 'killed')
    for (const p of peers) this.#alive.delete(p.index)
  }

  /** Restarts killed peers with their old data directory, bootstrapping from the seed peer. */
  async #restart (peers: PeerPlan[]): Promise<void> {
    const items = peers.map(p => ({ worker: p.worker, item: { index: p.index, config: peerConfig(this.#scenario, p, this.#root, [this.#addrs.get(0) ?? '']) } }))
    const results = await this.#callEach(items, mine => ({ type: 'restart', peers: mine }), 'restarted')
    for (const r of results) for (const p of r.peers) { this.#addrs.set(p.index, p.addr); this.#alive.add(p.index); this.#restarts++ }
  }

  /**
   * A partition: the event's peers and all others block each other. A heal: every peer unblocks
   * all. Frozen threads are left out (the other side still blocks their peers).
   */
  async #partitionOrHeal (event: ChaosEvent): Promise<void> {
    const cut = new Set(event.peers)
    const inside = event.peers.map(i => this.#peerIdOf(i))
    const outside = this.#plan.peers.filter(p => !cut.has(p.index)).map(p => this.#peerIdOf(p.index))
    await Promise.all(this.#links.map(async (link, w) => {
      if (this.#freezer.isFrozen(w)) return
      const mine = this.#plan.peers.filter(p => p.worker === w)
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

  /** Reads the peers' final counters and the memory, stops every peer, and builds the report. */
  async #stopAndReport (startup: StartupFacts, load: LoadFacts): Promise<SimReport> {
    // Peers frozen for good thaw now, to answer and stop (a thread that does not answer in time is terminated by dispose).
    const freezes = this.#freezer.records
    this.#freezer.thawAll()
    const finalStats = await this.#callAll({ type: 'stats' }, 'stats')
    const adversaries = await this.#attacks.collect()
    const mem = process.memoryUsage()
    await this.#callAll({ type: 'stop' }, 'stopped')
    const cpu = process.cpuUsage(this.#cpuStart)
    const endedAt = Date.now()
    const { start: bytes0, end: bytes1 } = load.bytes
    const { background } = startup
    return buildReport({
      scenario: this.#scenario,
      plan: this.#plan,
      machine: machineOf(this.#plan.workers),
      startedAt: this.#startedAt,
      loadStartedAt: this.#loadStartedAt,
      loadEndedAt: load.loadEndedAt,
      endedAt,
      startupMs: startup.startupMs,
      settle: startup.settle,
      kills: this.#kills,
      freezes,
      restarts: this.#restarts,
      records: [...this.#records.values()].sort((a, b) => a.index - b.index),
      refused: this.#refused,
      announcedIndices: this.#announced,
      peerStats: finalStats.flatMap(s => s.peers),
      peerStatsAtLoadStart: load.peerStatsAtLoadStart,
      loadCpu: load.loadCpu,
      peersAlive: this.#peersAlive,
      health: this.#health,
      rss: { baseline: startup.baseline.rss, loaded: mem.rss, heapUsed: mem.heapUsed, workersBaseline: startup.baseline.workers, workersLoaded: workerMemory(finalStats) },
      cpu: { user: cpu.user, system: cpu.system },
      ...(adversaries !== undefined ? { adversaries } : {}),
      ...(bytes0 !== undefined && bytes1 !== undefined && background !== undefined ? { loopback: { bytes: bytes1 - bytes0, backgroundPerSecond: background } } : {})
    })
  }
}
