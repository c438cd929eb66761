import { adversariesSection, honestOutcome } from './adversaries-report.js'
import { freezeSection, liarsSection } from './faults-report.js'
import { cdf, gini, summarize, timeSeries } from './metrics.js'
import type { AdversariesSection, AdversaryFacts } from './adversaries-report.js'
import type { FreezeSection, LiarsSection } from './faults-report.js'
import type { FreezeRecord } from './freezer.js'
import type { Summary } from './metrics.js'
import type { PeerStats, TaskRecord } from './messages.js'
import type { SimulationPlan } from './plan.js'
import type { Scenario } from './scenario.js'

/** Messages by type: gossip published and delivered (all peers), direct requests with their bytes both ways. */
export interface TrafficByType {
  gossipPublished: Record<string, number>
  gossipDelivered: Record<string, number>
  direct: Record<string, { requests: number, bytes: number }>
}

/** Everything a simulation measured. */
export interface SimReport {
  scenario: Scenario
  machine: { cpus: number, cpuModel: string, memGiB: number, node: string, workers: number }
  startedAt: string
  durations: { startupMs: number, loadMs: number, drainMs: number, totalMs: number }
  tasks: {
    announced: number
    completed: number
    failed: number
    rejected: number
    cancelled: number
    /** Announcements refused at once (NO_CAPABLE_PEERS, announcer down). */
    refused: number
    /** Tasks with no final state when the run ended: must be 0. */
    lost: number
    retried: number
    successRate: number
  }
  formationMs: Summary
  completionMs: Summary
  throughput: { tasksPerMinute: number, perSecond: Array<{ t: number, count: number }> }
  groupSizes: Record<string, number>
  loadBalance: { gini: number, tasksPerAgent: number[], idleAgents: number, maxTasks: number, meanTasks: number }
  /**
   * Traffic while tasks ran (from the start of the load to the end of the run; startup and the
   * directory settling are left out when the run recorded counters at the load's start).
   */
  traffic: {
    messagesPerTask: number
    directBytesPerTask: number
    loopbackBytesPerTask?: number
    backgroundBytesPerSecond?: number
    gossipRejected: number
    /** Messages by type over the load: gossip published and delivered (all peers), direct requests with their bytes both ways. */
    byType: TrafficByType
    /** The same from the first peer's start to the start of the load (joining and settling). */
    startupByType?: TrafficByType
  }
  memory: {
    rssMiB: number
    /** Process RSS above its baseline, per peer. Too low when the process ran a simulation before (freed memory stays in the RSS and is reused). */
    perPeerMiB: number
    baselineMiB: number
    heapUsedMiB: number
    /** V8 heap and external (Buffer) memory of the worker threads above their baseline, per peer: native memory is left out, but earlier runs do not skew it. */
    heapPerPeerMiB?: number
  }
  /** Over the whole run, and over the load (announcements and draining) alone. */
  cpu: { userS: number, systemS: number, coresUsed: number, loadCoresUsed?: number }
  peersAlive: Array<{ t: number, alive: number }>
  /** Sampled each second while tasks ran: connections of all peers, the longest any worker thread's event loop was stuck in that second. */
  health: Array<{ t: number, connections: number, eventLoopLagMs: number }>
  latencyCdf: { formation: Array<{ x: number, y: number }>, completion: Array<{ x: number, y: number }> }
  failures: Record<string, number>
  /** How far the agent directories got before the load started (agents known per node). */
  settle?: { ms: number, agentsKnownMin: number, agentsKnownMean: number }
  /**
   * What the killed peers' tasks became. A task is hit when a killed peer was in one of its
   * groups while the task was in flight; it must still end in a final state (completed when a
   * backup took over or a retry succeeded, failed otherwise), never lost.
   */
  churn: {
    killed: number
    restarted: number
    tasksHit: number
    hitCompleted: number
    hitNotCompleted: number
    /** Members replaced by a backup while their task ran (all tasks). */
    memberReplacements: number
    /** The tasks hit, with how each ended. */
    hit: Array<{ index: number, status: string, attempts: number, killedMembers: string[], replaced: number }>
  }
  /** Frozen peers (scenario freeze): the tasks they held and the time to their replacement. */
  freeze?: FreezeSection
  /** Liars (scenario liars): the share of tasks they won over the run. */
  liars?: LiarsSection
  /** Malicious peers (scenario adversaries): the honest tasks beside a clean run, and each attacker's fate. */
  adversaries?: AdversariesSection
}

export interface RawRun {
  scenario: Scenario
  plan: SimulationPlan
  machine: SimReport['machine']
  startedAt: number
  loadStartedAt: number
  loadEndedAt: number
  endedAt: number
  startupMs: number
  settle?: SimReport['settle']
  /** Peers killed during the run (peer id, epoch ms). */
  kills?: Array<{ peerId: string, at: number }>
  /** Peers frozen during the run (peer id, epoch ms of the freeze and of the thaw). */
  freezes?: FreezeRecord[]
  restarts?: number
  records: TaskRecord[]
  refused: Array<{ index: number, error: string, at: number }>
  announcedIndices: Set<number>
  peerStats: PeerStats[]
  /** The peers' counters when the load started (traffic is counted from there). */
  peerStatsAtLoadStart?: PeerStats[]
  peersAlive: Array<{ t: number, alive: number }>
  health?: SimReport['health']
  /** Bytes: the process RSS, the coordinator's heap, and the worker threads' heap + external memory (before any node, and loaded). */
  rss: { baseline: number, loaded: number, heapUsed: number, workersBaseline?: number, workersLoaded?: number }
  cpu: { user: number, system: number }
  /** CPU microseconds used from the start of the load to the end of the drain. */
  loadCpu?: { user: number, system: number }
  loopback?: { bytes: number, backgroundPerSecond: number }
  /** What the workers reported of the adversaries (a run with them). */
  adversaries?: AdversaryFacts
}

function reasonKey (text: string): string {
  // Group reasons that differ only by ids and numbers.
  return text.replace(/12D3Koo\w+/g, '<peer>').replace(/\b\d+(\.\d+)?\b/g, 'N').slice(0, 160)
}

/** Turns the raw facts of a run into the report, section by section. Pure. */
export function buildReport (raw: RawRun): SimReport {
  const completed = raw.records.filter(r => r.ok)
  const spans = spansOf(raw)
  const lost = lostCount(raw)
  const report: SimReport = {
    scenario: raw.scenario,
    machine: raw.machine,
    startedAt: new Date(raw.startedAt).toISOString(),
    durations: { startupMs: raw.startupMs, loadMs: spans.loadMs, drainMs: spans.drainEnd - raw.loadEndedAt, totalMs: raw.endedAt - raw.startedAt },
    tasks: taskCounts(raw, completed, lost),
    formationMs: summarize(formationTimes(completed)),
    completionMs: summarize(completionTimes(completed)),
    throughput: {
      tasksPerMinute: (completed.length / spans.activeMs) * 60_000,
      perSecond: timeSeries(completed.map(r => r.finishedAt), raw.loadStartedAt, spans.drainEnd + 1, 1000)
    },
    groupSizes: groupSizesOf(completed),
    loadBalance: loadBalanceOf(raw.peerStats, completed),
    traffic: trafficOf(raw, spans),
    memory: memoryOf(raw),
    cpu: cpuOf(raw, spans),
    peersAlive: raw.peersAlive,
    health: raw.health ?? [],
    latencyCdf: { formation: cdf(formationTimes(completed)), completion: cdf(completionTimes(completed)) },
    failures: failuresOf(raw, lost),
    ...(raw.settle !== undefined ? { settle: raw.settle } : {}),
    churn: churnOf(raw),
    ...faultsOf(raw)
  }
  if (raw.adversaries !== undefined) report.adversaries = adversariesSection(raw.adversaries, raw.plan, raw.records, raw.loadStartedAt, honestOutcome(report, raw.adversaries.honest))
  return report
}

/** The freeze and liars sections, each when the run had such peers. */
function faultsOf (raw: RawRun): Pick<SimReport, 'freeze' | 'liars'> {
  const freeze = freezeSection(raw.records, raw.freezes ?? [])
  const liars = liarsSection(raw.plan, raw.peerStats, raw.records, raw.loadStartedAt, raw.loadEndedAt)
  return { ...(freeze !== undefined ? { freeze } : {}), ...(liars !== undefined ? { liars } : {}) }
}

/** The spans rates are taken over. */
interface RunSpans {
  /** From the first announcement to the last. */
  loadMs: number
  /** When the last task ended (the end of the load if none ended after it), epoch ms. */
  drainEnd: number
  /** From the start of the load to drainEnd, at least 1 ms. */
  activeMs: number
  /** The whole run in seconds, never 0. */
  wallS: number
}

function spansOf (raw: RawRun): RunSpans {
  // (a loop, not Math.max(...records): a spread of a million arguments overflows the stack)
  const drainEnd = raw.records.reduce((max, r) => Math.max(max, r.finishedAt), raw.loadEndedAt)
  return {
    loadMs: raw.loadEndedAt - raw.loadStartedAt,
    drainEnd,
    activeMs: Math.max(1, drainEnd - raw.loadStartedAt),
    wallS: Math.max(0.001, (raw.endedAt - raw.startedAt) / 1000)
  }
}

/** Announced tasks with neither a record nor a refusal when the run ended. */
function lostCount (raw: RawRun): number {
  const finalIndices = new Set([...raw.records.map(r => r.index), ...raw.refused.map(r => r.index)])
  return [...raw.announcedIndices].filter(i => !finalIndices.has(i)).length
}

function taskCounts (raw: RawRun, completed: TaskRecord[], lost: number): SimReport['tasks'] {
  const { records } = raw
  const count = (status: string): number => records.filter(r => r.status === status).length
  const announced = raw.announcedIndices.size
  return {
    announced,
    completed: completed.length,
    failed: count('FAILED'),
    rejected: count('REJECTED'),
    cancelled: count('CANCELLED'),
    refused: raw.refused.length,
    lost,
    retried: records.filter(r => r.attempts > 1).length,
    successRate: announced === 0 ? 0 : completed.length / announced
  }
}

function formationTimes (completed: TaskRecord[]): number[] {
  return completed.flatMap(r => r.formationMs === undefined ? [] : [r.formationMs])
}

function completionTimes (completed: TaskRecord[]): number[] {
  return completed.flatMap(r => r.totalMs === undefined ? [] : [r.totalMs])
}

/** Completed tasks by the size of their final group. */
function groupSizesOf (completed: TaskRecord[]): Record<string, number> {
  const groupSizes: Record<string, number> = {}
  for (const r of completed) groupSizes[String(r.members.length)] = (groupSizes[String(r.members.length)] ?? 0) + 1
  return groupSizes
}

/** How evenly the completed tasks spread over the peers (every peer counts, idle ones too). */
function loadBalanceOf (peerStats: PeerStats[], completed: TaskRecord[]): SimReport['loadBalance'] {
  const byPeer = new Map<string, number>()
  for (const s of peerStats) byPeer.set(s.peerId, 0)
  for (const r of completed) for (const m of r.members) byPeer.set(m, (byPeer.get(m) ?? 0) + 1)
  const perAgent = [...byPeer.values()].sort((a, b) => b - a)
  return {
    gini: gini(perAgent),
    tasksPerAgent: perAgent,
    idleAgents: perAgent.filter(n => n === 0).length,
    maxTasks: perAgent[0] ?? 0,
    meanTasks: perAgent.length === 0 ? 0 : perAgent.reduce((s, n) => s + n, 0) / perAgent.length
  }
}

function trafficOf (raw: RawRun, spans: RunSpans): SimReport['traffic'] {
  const announced = raw.announcedIndices.size
  const loadStats = raw.peerStatsAtLoadStart === undefined ? raw.peerStats : statsSince(raw.peerStats, raw.peerStatsAtLoadStart)
  const messages = loadStats.reduce((s, p) => s + p.gossipPublished + p.directRequests, 0)
  const directBytes = loadStats.reduce((s, p) => s + p.directBytes, 0)
  return {
    messagesPerTask: announced === 0 ? 0 : messages / announced,
    directBytesPerTask: announced === 0 ? 0 : directBytes / announced,
    ...(raw.loopback !== undefined && announced > 0 ? { loopbackBytesPerTask: Math.max(0, raw.loopback.bytes - raw.loopback.backgroundPerSecond * (spans.activeMs / 1000)) / announced, backgroundBytesPerSecond: raw.loopback.backgroundPerSecond } : {}),
    gossipRejected: raw.peerStats.reduce((s, p) => s + p.gossipRejected, 0),
    byType: trafficByType(loadStats),
    ...(raw.peerStatsAtLoadStart !== undefined ? { startupByType: trafficByType(raw.peerStatsAtLoadStart) } : {})
  }
}

function memoryOf (raw: RawRun): SimReport['memory'] {
  const { rss } = raw
  const peers = raw.scenario.peers
  return {
    rssMiB: rss.loaded / 2 ** 20,
    perPeerMiB: Math.max(0, rss.loaded - rss.baseline) / 2 ** 20 / peers,
    baselineMiB: rss.baseline / 2 ** 20,
    heapUsedMiB: rss.heapUsed / 2 ** 20,
    ...(rss.workersBaseline !== undefined && rss.workersLoaded !== undefined ? { heapPerPeerMiB: Math.max(0, rss.workersLoaded - rss.workersBaseline) / 2 ** 20 / peers } : {})
  }
}

function cpuOf (raw: RawRun, spans: RunSpans): SimReport['cpu'] {
  return {
    userS: raw.cpu.user / 1e6,
    systemS: raw.cpu.system / 1e6,
    coresUsed: (raw.cpu.user + raw.cpu.system) / 1e6 / spans.wallS,
    ...(raw.loadCpu !== undefined ? { loadCoresUsed: (raw.loadCpu.user + raw.loadCpu.system) / 1e3 / spans.activeMs } : {})
  }
}

/** Tasks that did not complete, by status and reason (ids and numbers left out), refused and lost ones too. */
function failuresOf (raw: RawRun, lost: number): Record<string, number> {
  const failures: Record<string, number> = {}
  for (const r of raw.records) {
    if (!r.ok) {
      const key = `${r.status}: ${reasonKey(r.reason ?? '')}`
      failures[key] = (failures[key] ?? 0) + 1
    }
  }
  for (const r of raw.refused) {
    const key = `REFUSED: ${reasonKey(r.error)}`
    failures[key] = (failures[key] ?? 0) + 1
  }
  if (lost > 0) failures['LOST: no final state when the run ended'] = lost
  return failures
}

/** The tasks a kill hit (a killed peer was in one of their groups while they ran), and how they ended. */
function churnOf (raw: RawRun): SimReport['churn'] {
  const { records } = raw
  const kills = raw.kills ?? []
  const killedIn = (r: TaskRecord): string[] => kills.filter(k => (r.everMembers ?? r.members).includes(k.peerId) && r.announcedAt <= k.at && k.at <= r.finishedAt).map(k => k.peerId)
  const hit = records.filter(r => killedIn(r).length > 0)
  return {
    killed: kills.length,
    restarted: raw.restarts ?? 0,
    tasksHit: hit.length,
    hitCompleted: hit.filter(r => r.ok).length,
    hitNotCompleted: hit.filter(r => !r.ok).length,
    memberReplacements: records.reduce((n, r) => n + (r.replaced?.length ?? 0), 0),
    hit: hit.map(r => ({ index: r.index, status: r.status, attempts: r.attempts, killedMembers: killedIn(r), replaced: r.replaced?.length ?? 0 }))
  }
}

/**
 * Each peer's counters minus its counters at `start` (a peer restarted in between counts from
 * zero again, so its later counters are taken whole). Pure.
 */
export function statsSince (end: PeerStats[], start: PeerStats[]): PeerStats[] {
  const before = new Map(start.map(p => [p.peerId, p]))
  return end.map(p => {
    const b = before.get(p.peerId)
    if (b === undefined || p.gossipPublished < b.gossipPublished || p.directRequests < b.directRequests) return p
    return {
      ...p,
      tasksRun: p.tasksRun - b.tasksRun,
      offersSent: p.offersSent - b.offersSent,
      gossipPublished: p.gossipPublished - b.gossipPublished,
      gossipDelivered: p.gossipDelivered - b.gossipDelivered,
      gossipRejected: p.gossipRejected - b.gossipRejected,
      directRequests: p.directRequests - b.directRequests,
      directBytes: p.directBytes - b.directBytes,
      gossipPublishedByType: subtractCounts(p.gossipPublishedByType, b.gossipPublishedByType),
      gossipDeliveredByType: subtractCounts(p.gossipDeliveredByType, b.gossipDeliveredByType),
      directByType: Object.fromEntries(Object.entries(p.directByType).map(([type, c]) => {
        const was = b.directByType[type] ?? { requests: 0, bytes: 0 }
        return [type, { requests: c.requests - was.requests, bytes: c.bytes - was.bytes }]
      }))
    }
  })
}

function trafficByType (stats: PeerStats[]): TrafficByType {
  return {
    gossipPublished: sumCounts(stats.map(p => p.gossipPublishedByType)),
    gossipDelivered: sumCounts(stats.map(p => p.gossipDeliveredByType)),
    direct: sumDirect(stats.map(p => p.directByType))
  }
}

function subtractCounts (a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(a).map(([k, v]) => [k, v - (b[k] ?? 0)]))
}

function sumCounts (list: Array<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {}
  for (const counts of list) for (const [k, v] of Object.entries(counts)) if (v !== 0) out[k] = (out[k] ?? 0) + v
  return out
}

function sumDirect (list: Array<Record<string, { requests: number, bytes: number }>>): Record<string, { requests: number, bytes: number }> {
  const out: Record<string, { requests: number, bytes: number }> = {}
  for (const counts of list) {
    for (const [k, v] of Object.entries(counts)) {
      if (v.requests === 0 && v.bytes === 0) continue
      const o = out[k] ??= { requests: 0, bytes: 0 }
      o.requests += v.requests
      o.bytes += v.bytes
    }
  }
  return out
}
