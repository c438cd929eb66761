import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { renderHtml } from '../src/html.js'
import { gini } from '../src/metrics.js'
import { planSimulation } from '../src/plan.js'
import { buildReport, statsSince } from '../src/report.js'
import { parseScenario } from '../src/scenario.js'
import { renderTable } from '../src/table.js'
import type { PeerStats, TaskRecord } from '../src/messages.js'
import type { RawRun } from '../src/report.js'

const A = '12D3KooWAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'
const B = '12D3KooWBbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'
const C = '12D3KooWCccccccccccccccccccccccccccccccccccccccccccc'
const D = '12D3KooWDddddddddddddddddddddddddddddddddddddddddddd'

const T0 = 1_700_000_000_000
const LOAD = T0 + 10_000

function record (index: number, fields: Partial<TaskRecord>): TaskRecord {
  return {
    index,
    taskId: `task-${index}`,
    announcer: 0,
    status: 'COMPLETE',
    ok: true,
    attempts: 1,
    members: [],
    announcedAt: LOAD + index * 100,
    finishedAt: LOAD + index * 100 + 50,
    ...fields
  }
}

function stats (peerId: string, index: number, fields: Partial<PeerStats> = {}): PeerStats {
  return { index, peerId, alive: true, tasksRun: 0, offersSent: 0, gossipPublished: 10, gossipDelivered: 0, gossipRejected: 1, directRequests: 5, directBytes: 1000, gossipPublishedByType: { AGENT_CARD: 10 }, gossipDeliveredByType: {}, directByType: { SKILL_OFFER: { requests: 5, bytes: 1000 } }, ...fields }
}

/**
 * Nine announced tasks: two completed, one failed, two rejected (same reason up to numbers),
 * one cancelled, one refused and two that never reported (lost).
 */
function rawRun (overrides: Partial<RawRun> = {}): RawRun {
  const scenario = parseScenario({ name: 'unit', description: 'A synthetic run.', peers: 4, tasks: { count: 9 }, seed: 5 })
  return {
    scenario,
    plan: planSimulation(scenario, 1),
    machine: { cpus: 2, cpuModel: 'Test CPU', memGiB: 24, node: 'v24.0.0', workers: 1 },
    startedAt: T0,
    loadStartedAt: LOAD,
    loadEndedAt: LOAD + 5_000,
    endedAt: LOAD + 12_000,
    startupMs: 10_000,
    records: [
      record(0, { members: [A, B], everMembers: [A, B, C], replaced: [{ skill: 'viz', from: C, to: B, at: LOAD + 1080 }], formationMs: 20, totalMs: 100, announcedAt: LOAD + 1000, finishedAt: LOAD + 1100 }),
      record(1, { members: [A], formationMs: 40, totalMs: 200, attempts: 2, announcedAt: LOAD + 2300, finishedAt: LOAD + 8_000 }),
      record(2, { status: 'FAILED', ok: false, reason: `member ${B} failed "viz" (HANDLER: boom 3)`, attempts: 3, members: [C, B] }),
      record(3, { status: 'REJECTED', ok: false, reason: 'no capable agent offered within the bid window (300 ms)' }),
      record(4, { status: 'REJECTED', ok: false, reason: 'no capable agent offered within the bid window (500 ms)' }),
      record(5, { status: 'CANCELLED', ok: false, reason: 'cancelled by the user' })
    ],
    refused: [{ index: 6, error: 'the announcer is not running', at: LOAD + 600 }],
    announcedIndices: new Set([0, 1, 2, 3, 4, 5, 6, 7, 8]),
    peerStats: [stats(A, 0), stats(B, 1), stats(C, 2), stats(D, 3)],
    peersAlive: [{ t: 0, alive: 4 }, { t: 1050, alive: 3 }, { t: 8000, alive: 3 }],
    health: [{ t: 0, connections: 12, eventLoopLagMs: 3 }, { t: 1000, connections: 10, eventLoopLagMs: 420 }],
    rss: { baseline: 100 * 2 ** 20, loaded: 140 * 2 ** 20, heapUsed: 50 * 2 ** 20, workersBaseline: 20 * 2 ** 20, workersLoaded: 52 * 2 ** 20 },
    cpu: { user: 3_000_000, system: 1_000_000 },
    loopback: { bytes: 90_000 + 1000 * 8, backgroundPerSecond: 1000 },
    settle: { ms: 1234, agentsKnownMin: 4, agentsKnownMean: 4 },
    kills: [{ peerId: C, at: LOAD + 1050 }],
    restarts: 0,
    ...overrides
  }
}

describe('buildReport: accounting', () => {
  const report = buildReport(rawRun())

  it('counts every announced task once, by how it ended', () => {
    const t = report.tasks
    assert.equal(t.announced, 9)
    assert.equal(t.completed, 2)
    assert.equal(t.failed, 1)
    assert.equal(t.rejected, 2)
    assert.equal(t.cancelled, 1)
    assert.equal(t.refused, 1)
    assert.equal(t.completed + t.failed + t.rejected + t.cancelled + t.refused + t.lost, t.announced)
  })

  it('counts as lost the announced tasks without a final record', () => {
    assert.equal(report.tasks.lost, 2)
    assert.equal(report.failures['LOST: no final state when the run ended'], 2)
  })

  it('finds no lost task when every announced task reported', () => {
    const r = buildReport(rawRun({ announcedIndices: new Set([0, 1, 2, 3, 4, 5, 6]) }))
    assert.equal(r.tasks.lost, 0)
    assert.equal(r.failures['LOST: no final state when the run ended'], undefined)
  })

  it('computes the success rate over the announced tasks, and the retries', () => {
    assert.equal(report.tasks.successRate, 2 / 9)
    assert.equal(report.tasks.retried, 2)
  })

  it('groups the reasons of failures, ignoring peer ids and numbers', () => {
    assert.deepEqual(report.failures, {
      'FAILED: member <peer> failed "viz" (HANDLER: boom N)': 1,
      'REJECTED: no capable agent offered within the bid window (N ms)': 2,
      'CANCELLED: cancelled by the user': 1,
      'REFUSED: the announcer is not running': 1,
      'LOST: no final state when the run ended': 2
    })
  })

  it('summarizes the latencies of the completed tasks', () => {
    assert.equal(report.formationMs.n, 2)
    assert.equal(report.formationMs.p50, 20)
    assert.equal(report.formationMs.max, 40)
    assert.equal(report.completionMs.p50, 100)
    assert.equal(report.completionMs.p99, 200)
    assert.deepEqual(report.latencyCdf.formation, [{ x: 20, y: 0.5 }, { x: 40, y: 1 }])
  })

  it('counts group sizes of the completed tasks', () => {
    assert.deepEqual(report.groupSizes, { 1: 1, 2: 1 })
  })

  it('counts the tasks per agent, idle agents included', () => {
    assert.deepEqual(report.loadBalance.tasksPerAgent, [2, 1, 0, 0])
    assert.equal(report.loadBalance.idleAgents, 2)
    assert.equal(report.loadBalance.maxTasks, 2)
    assert.equal(report.loadBalance.meanTasks, 0.75)
    assert.equal(report.loadBalance.gini, gini([2, 1, 0, 0]))
  })

  it('measures throughput and durations from the load start to the last final record', () => {
    // Two completed over the 8 s from the load start to the last record.
    assert.equal(report.throughput.tasksPerMinute, 2 / 8_000 * 60_000)
    assert.equal(report.durations.loadMs, 5_000)
    assert.equal(report.durations.drainMs, 3_000)
    assert.equal(report.durations.totalMs, 22_000)
    assert.equal(report.durations.startupMs, 10_000)
    assert.equal(report.throughput.perSecond.reduce((n, b) => n + b.count, 0), 2)
    assert.equal(report.throughput.perSecond[1]?.count, 1)
    assert.equal(report.throughput.perSecond[8]?.count, 1)
  })

  it('divides traffic by the announced tasks, without the background', () => {
    assert.equal(report.traffic.messagesPerTask, 4 * 15 / 9)
    assert.equal(report.traffic.directBytesPerTask, 4000 / 9)
    assert.equal(report.traffic.loopbackBytesPerTask, 90_000 / 9)
    assert.equal(report.traffic.backgroundBytesPerSecond, 1000)
    assert.equal(report.traffic.gossipRejected, 4)
  })

  it('sums messages by type over all peers', () => {
    assert.deepEqual(report.traffic.byType.gossipPublished, { AGENT_CARD: 40 })
    assert.deepEqual(report.traffic.byType.direct, { SKILL_OFFER: { requests: 20, bytes: 4000 } })
  })

  it('reports memory per peer above the baseline, and CPU', () => {
    assert.equal(report.memory.perPeerMiB, 10)
    assert.equal(report.memory.heapPerPeerMiB, 8)
    assert.equal(report.memory.rssMiB, 140)
    assert.equal(report.memory.baselineMiB, 100)
    // An RSS below its baseline (an earlier run's freed memory reused) gives 0, not a negative figure.
    const reused = buildReport(rawRun({ rss: { baseline: 150 * 2 ** 20, loaded: 140 * 2 ** 20, heapUsed: 0 } }))
    assert.equal(reused.memory.perPeerMiB, 0)
    assert.equal(reused.memory.heapPerPeerMiB, undefined)
    assert.equal(report.cpu.userS, 3)
    assert.equal(report.cpu.systemS, 1)
    assert.equal(report.cpu.coresUsed, 4 / 22)
  })

  it('tells which tasks had a member killed while they ran, and how they ended', () => {
    assert.equal(report.churn.killed, 1)
    assert.equal(report.churn.tasksHit, 1)
    assert.equal(report.churn.hitCompleted, 1)
    assert.equal(report.churn.hitNotCompleted, 0)
    assert.equal(report.churn.memberReplacements, 1)
    assert.deepEqual(report.churn.hit, [{ index: 0, status: 'COMPLETE', attempts: 1, killedMembers: [C], replaced: 1 }])
  })

  it('does not count a task that ended before the kill, or whose members were not killed', () => {
    // Task 2 had C as a member but finished before C was killed.
    const r = buildReport(rawRun({ kills: [{ peerId: C, at: LOAD + 5_000 }, { peerId: D, at: LOAD + 2_500 }] }))
    assert.equal(r.churn.tasksHit, 0)
  })

  it('has an empty churn section without kills', () => {
    const r = buildReport(rawRun({ kills: undefined, restarts: undefined }))
    assert.deepEqual(r.churn, { killed: 0, restarted: 0, tasksHit: 0, hitCompleted: 0, hitNotCompleted: 0, memberReplacements: 1, hit: [] })
  })

  it('copies the scenario, the machine and the settle figures', () => {
    assert.equal(report.scenario.name, 'unit')
    assert.equal(report.machine.cpuModel, 'Test CPU')
    assert.equal(report.startedAt, new Date(T0).toISOString())
    assert.deepEqual(report.settle, { ms: 1234, agentsKnownMin: 4, agentsKnownMean: 4 })
    assert.equal(report.peersAlive.length, 3)
    assert.deepEqual(report.health.map(h => h.eventLoopLagMs), [3, 420])
  })

  it('survives a run without tasks', () => {
    const r = buildReport(rawRun({ records: [], refused: [], announcedIndices: new Set(), loopback: undefined }))
    assert.equal(r.tasks.announced, 0)
    assert.equal(r.tasks.successRate, 0)
    assert.equal(r.tasks.lost, 0)
    assert.equal(r.traffic.messagesPerTask, 0)
    assert.equal(r.traffic.loopbackBytesPerTask, undefined)
    assert.ok(Number.isNaN(r.formationMs.p50))
    assert.deepEqual(r.latencyCdf.completion, [])
    assert.match(renderHtml(r), /<\/html>/)
    assert.match(renderTable(r), /lost\s+0/)
  })

  it('copes with very many records', () => {
    const records = Array.from({ length: 200_000 }, (_, i) => record(i, { members: [A], formationMs: 10, totalMs: 20, finishedAt: LOAD + i }))
    const r = buildReport(rawRun({ records, refused: [], announcedIndices: new Set(records.map(x => x.index)), kills: [] }))
    assert.equal(r.tasks.completed, 200_000)
    assert.equal(r.tasks.lost, 0)
  })
})

describe('renderHtml', () => {
  const report = buildReport(rawRun())
  const html = renderHtml(report)

  it('is a whole page', () => {
    assert.match(html, /^<!doctype html>/)
    assert.match(html, /<\/html>\s*$/)
    assert.match(html, /<meta charset="utf-8">/)
  })

  it('is self-contained: no scripts and nothing fetched from the network', () => {
    assert.doesNotMatch(html, /\b(src|href)\s*=\s*["']?(https?:)?\/\//i)
    assert.doesNotMatch(html, /<script/i)
    assert.doesNotMatch(html, /<link/i)
    assert.doesNotMatch(html, /@import|url\(/i)
  })

  it('has the six plots as inline SVG', () => {
    assert.equal(html.match(/<svg[\s>]/g)?.length, 6)
    assert.equal(html.match(/<\/svg>/g)?.length, 6)
    for (const title of ['Latency CDF', 'Throughput', 'Tasks per agent', 'Peers alive', 'Connections', 'Event-loop lag']) assert.ok(html.includes(title), title)
  })

  it('shows the key figures', () => {
    assert.ok(html.includes('9 announced: 2 completed, 1 failed, 2 rejected, 1 cancelled, 1 refused, 2 lost'))
    assert.ok(html.includes('22.22 %'))
    assert.ok(html.includes('p50 20 · p95 40 · p99 40 · max 40'))
    assert.ok(html.includes('p50 100 · p95 200 · p99 200 · max 200'))
    assert.ok(html.includes('Gini'))
    assert.ok(html.includes('10.00 MiB per peer (8.00 MiB of JS heap and buffers)'))
    assert.ok(html.includes('Test CPU'))
    assert.ok(html.includes('LOST: no final state when the run ended'))
  })

  it('escapes what it shows', () => {
    const scenario = parseScenario({ name: '<script>alert(1)</script>', description: 'a & b', peers: 4 })
    const page = renderHtml(buildReport(rawRun({ scenario })))
    assert.doesNotMatch(page, /<script>/)
    assert.ok(page.includes('&lt;script&gt;alert(1)&lt;/script&gt;'))
    assert.ok(page.includes('a &amp; b'))
  })
})

describe('renderTable', () => {
  const text = renderTable(buildReport(rawRun()))

  it('shows the counts, lost included', () => {
    assert.match(text, /tasks announced\s+9/)
    assert.match(text, /completed\s+2 \(22\.22 %\), 2 after a retry/)
    assert.match(text, /failed \/ rejected\s+1 \/ 2/)
    assert.match(text, /cancelled \/ refused\s+1 \/ 1/)
    assert.match(text, /\blost\s+2\b/)
    assert.match(text, /2 × LOST: no final state when the run ended/)
  })

  it('shows latencies, load balance, churn and the directory at start', () => {
    assert.match(text, /announce → formed \(ms\)\s+p50 20/)
    assert.match(text, /group sizes\s+1: 1, 2: 1/)
    assert.match(text, /churn\s+1 peers killed, 0 restarted; 1 tasks had a killed member: 1 completed/)
    assert.match(text, /directory at start\s+every node knew 4 agents/)
  })

  it('shows the event-loop stalls and the connections over the load', () => {
    assert.match(text, /event-loop stalls\s+longest 420 ms; 1 of 2 seconds had one of 250 ms or more; connections 12 → 10/)
  })
})

describe('statsSince: traffic of the load alone', () => {
  const start = [
    stats('a', 0, { gossipPublished: 4, directRequests: 2, directBytes: 100, gossipDeliveredByType: { HEARTBEAT: 7 }, directByType: { DIRECTORY_REQUEST: { requests: 2, bytes: 100 } } }),
    stats('b', 1)
  ]
  const end = [
    stats('a', 0, { gossipPublished: 10, directRequests: 5, directBytes: 1000, gossipDeliveredByType: { HEARTBEAT: 9, TASK_ANNOUNCE: 3 }, directByType: { DIRECTORY_REQUEST: { requests: 2, bytes: 100 }, SKILL_OFFER: { requests: 3, bytes: 900 } } }),
    // b was restarted during the load: its counters started again from zero.
    stats('b', 1, { gossipPublished: 3, directRequests: 1 }),
    // c started during the load.
    stats('c', 2, { gossipPublished: 2 })
  ]
  const since = statsSince(end, start)

  it('subtracts what each peer had counted when the load started', () => {
    const a = since[0] as PeerStats
    assert.equal(a.gossipPublished, 6)
    assert.equal(a.directRequests, 3)
    assert.equal(a.directBytes, 900)
    assert.deepEqual(a.gossipDeliveredByType, { HEARTBEAT: 2, TASK_ANNOUNCE: 3 })
    assert.deepEqual(a.directByType, { DIRECTORY_REQUEST: { requests: 0, bytes: 0 }, SKILL_OFFER: { requests: 3, bytes: 900 } })
  })

  it('takes a restarted or new peer\'s counters whole', () => {
    assert.equal(since[1]?.gossipPublished, 3)
    assert.equal(since[2]?.gossipPublished, 2)
  })

  it('sums the load\'s traffic by type, leaving out types with nothing during the load', () => {
    const report = buildReport(rawRun({ peerStats: end, peerStatsAtLoadStart: start }))
    // a: 3 offers during the load; b and c (taken whole): 5 each.
    assert.deepEqual(report.traffic.byType.direct, { SKILL_OFFER: { requests: 13, bytes: 2900 } })
    assert.deepEqual(report.traffic.byType.gossipDelivered, { HEARTBEAT: 2, TASK_ANNOUNCE: 3 })
    // What joining and settling cost, apart.
    assert.deepEqual(report.traffic.startupByType?.gossipDelivered, { HEARTBEAT: 7 })
  })
})
