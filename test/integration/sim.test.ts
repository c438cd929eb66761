/**
 * The simulator with real peers (worker threads, TCP on 127.0.0.1): a 30-peer run where every
 * announced task is accounted for, and a 20-peer run where a fifth of the peers are killed while
 * their tasks run, and those tasks still end in a final state (redone by a backup or a retry,
 * or failed), never lost; and a 12-peer run where one peer is frozen (stopped, not killed) while
 * it works, and a backup takes its part over.
 */
import assert from 'node:assert/strict'
import { beforeAll, describe, it } from 'vitest'
import { parseScenario, renderHtml, renderTable, runSimulation } from '@swarm/sim'
import type { SimReport } from '@swarm/sim'

const FINAL = ['COMPLETE', 'FAILED', 'REJECTED', 'CANCELLED']

function assertAccounted (report: SimReport): void {
  const t = report.tasks
  assert.equal(t.lost, 0, `lost tasks: ${JSON.stringify(report.failures)}`)
  assert.equal(t.completed + t.failed + t.rejected + t.cancelled + t.refused, t.announced, JSON.stringify(t))
  assert.equal(t.successRate, t.completed / t.announced)
  assert.equal(report.failures['LOST: no final state when the run ended'], undefined)
  const notCompleted = Object.values(report.failures).reduce((n, c) => n + c, 0)
  assert.equal(notCompleted, t.announced - t.completed)
}

function assertSummary (name: string, s: SimReport['formationMs'], n: number): void {
  assert.equal(s.n, n, `${name}: n`)
  for (const v of [s.p50, s.p95, s.p99, s.max, s.mean]) assert.ok(Number.isFinite(v) && v >= 0, `${name}: ${JSON.stringify(s)}`)
  assert.ok(s.p50 <= s.p95 && s.p95 <= s.p99 && s.p99 <= s.max, `${name}: ${JSON.stringify(s)}`)
}

function print (report: SimReport, wallMs: number): void {
  console.log(`${renderTable(report)}\n  wall time ${(wallMs / 1000).toFixed(1)} s`)
}

describe('sim: 30 real peers, exact accounting', { timeout: 120_000 }, () => {
  let report: SimReport

  beforeAll(async () => {
    const started = Date.now()
    // A 1 s bid window: CI runs this next to other tests on 2 cores; bidding closes early anyway.
    report = await runSimulation(parseScenario({ name: 'ci-30', peers: 30, workers: 2, tasks: { count: 60, rate: 10, bidWindowMs: 1000 }, seed: 7 }))
    print(report, Date.now() - started)
  })

  it('announces every planned task and accounts for each one: lost 0, the counts add up', () => {
    assert.equal(report.tasks.announced, 60)
    assertAccounted(report)
  })

  it('completes nearly every task', () => {
    assert.ok(report.tasks.successRate >= 0.9, `success rate ${report.tasks.successRate}: ${JSON.stringify(report.failures)}`)
    assert.equal(report.tasks.refused, 0)
  })

  it('measures finite formation and completion latencies of the completed tasks', () => {
    assertSummary('formation', report.formationMs, report.tasks.completed)
    assertSummary('completion', report.completionMs, report.tasks.completed)
    assert.ok(report.formationMs.p50 <= report.completionMs.p50)
    assert.equal(report.latencyCdf.formation.at(-1)?.y, 1)
    assert.equal(report.latencyCdf.completion.at(-1)?.y, 1)
  })

  it('counts groups, throughput and the work per agent consistently', () => {
    const groups = Object.entries(report.groupSizes)
    assert.equal(groups.reduce((n, [, c]) => n + c, 0), report.tasks.completed)
    for (const [size] of groups) assert.ok(Number(size) >= 1 && Number(size) <= 2, `group size ${size}`)
    const memberships = groups.reduce((n, [size, c]) => n + Number(size) * c, 0)
    assert.equal(report.loadBalance.tasksPerAgent.length, 30)
    assert.equal(report.loadBalance.tasksPerAgent.reduce((n, c) => n + c, 0), memberships)
    assert.ok(report.loadBalance.gini >= 0 && report.loadBalance.gini < 1)
    assert.equal(report.throughput.perSecond.reduce((n, b) => n + b.count, 0), report.tasks.completed)
    assert.ok(report.throughput.tasksPerMinute > 0)
    assert.ok(report.traffic.messagesPerTask > 0)
    assert.ok(report.traffic.directBytesPerTask > 0)
  })

  it('ran 30 peers in 2 workers, all alive to the end, with their directories filled', () => {
    assert.equal(report.machine.workers, 2)
    assert.ok(report.peersAlive.length >= 2)
    assert.ok(report.peersAlive.every(p => p.alive === 30), JSON.stringify(report.peersAlive))
    assert.ok(report.health.length >= 1 && report.health.every(h => h.connections >= 29 && h.eventLoopLagMs >= 0), JSON.stringify(report.health))
    assert.equal(report.churn.killed, 0)
    assert.equal(report.churn.tasksHit, 0)
    assert.ok(report.settle !== undefined && report.settle.agentsKnownMin > 1, JSON.stringify(report.settle))
    assert.ok(report.memory.rssMiB > 0)
    assert.ok((report.memory.heapPerPeerMiB ?? 0) > 0, JSON.stringify(report.memory))
    assert.ok(report.cpu.userS > 0)
  })

  it('renders the report as HTML with the six plots, and as JSON', () => {
    const html = renderHtml(report)
    assert.equal(html.match(/<svg[\s>]/g)?.length, 6)
    assert.ok(html.includes(`${report.tasks.announced} announced: ${report.tasks.completed} completed`))
    assert.ok(html.includes('0 lost'))
    assert.doesNotMatch(html, /\b(src|href)\s*=\s*["']?(https?:)?\/\//i)
    const json = JSON.parse(JSON.stringify(report)) as SimReport
    assert.deepEqual(json.tasks, report.tasks)
  })
})

describe('sim: 20 peers, a fifth of them killed while their tasks run', { timeout: 120_000 }, () => {
  let report: SimReport

  beforeAll(async () => {
    const started = Date.now()
    // Long work (0.8 to 2 s) and 15 arrivals a second: the kills (40 % into the arrivals, over
    // a second) land while killed peers are members of running tasks.
    report = await runSimulation(parseScenario({
      name: 'ci-churn-20',
      peers: 20,
      workers: 2,
      capacity: 8,
      work: { minMs: 800, maxMs: 2000 },
      tasks: { count: 60, rate: 15, bidWindowMs: 1000 },
      churn: { fraction: 0.2, at: 0.4, spreadMs: 1000 },
      seed: 3
    }))
    print(report, Date.now() - started)
    console.log(`  tasks hit by the kills: ${JSON.stringify(report.churn.hit.map(h => ({ task: h.index, status: h.status, attempts: h.attempts, replaced: h.replaced, killed: h.killedMembers.length })))}`)
  })

  it('killed a fifth of the peers during the run', () => {
    assert.equal(report.churn.killed, 4)
    assert.equal(report.churn.restarted, 0)
    assert.equal(report.peersAlive.at(-1)?.alive, 16)
    assert.equal(report.peersAlive[0]?.alive, 20)
    // The second simulation in this process: its memory per peer must not be hidden by the first's.
    assert.ok((report.memory.heapPerPeerMiB ?? 0) > 0, JSON.stringify(report.memory))
  })

  it('loses no task: every announced task ends in a final state, the counts add up', () => {
    assert.equal(report.tasks.announced, 60)
    assertAccounted(report)
    assert.ok(report.tasks.successRate >= 0.75, `success rate ${report.tasks.successRate}: ${JSON.stringify(report.failures)}`)
  })

  it('ends every task that had a killed member, and redoes some of them to completion', () => {
    const { churn } = report
    assert.ok(churn.tasksHit >= 1, 'no task had a member killed while it ran: the scenario missed its point')
    assert.equal(churn.hitCompleted + churn.hitNotCompleted, churn.tasksHit)
    for (const h of churn.hit) assert.ok(FINAL.includes(h.status), `task ${h.index} ended ${h.status}`)
    assert.ok(churn.hitCompleted >= 1, `no task with a killed member completed: ${JSON.stringify(churn.hit)}`)
    // Redone: a backup took over the killed member's part, or a new attempt formed a new group.
    assert.ok(churn.hit.some(h => h.status === 'COMPLETE' && (h.replaced > 0 || h.attempts > 1)), JSON.stringify(churn.hit))
    // Whether a backup takes the part over or a new attempt redoes it depends on where the kill
    // lands (backup replacement itself is covered deterministically by negotiation-churn); the
    // report's count covers at least the replacements of the tasks hit.
    assert.ok(churn.memberReplacements >= churn.hit.reduce((n, h) => n + h.replaced, 0))
  })
})

describe('sim: 12 peers, one of them frozen while it works', { timeout: 120_000 }, () => {
  let report: SimReport

  beforeAll(async () => {
    const started = Date.now()
    // Every peer has both skills, work of 4 to 6 s, and the freeze lands at 90 % of the 3 s of
    // arrivals, while the frozen peer's parts run. A member is replaced only by a backup, an
    // offer beyond the group's: bidding closes early without backups once a quarter of the bid
    // window passed, so a 4 s window leaves a loaded host 1 s to bring in second offers. The
    // frozen peer is never thawed: the coordinator must thaw it to stop at the end, and must
    // not hang on it before.
    report = await runSimulation(parseScenario({
      name: 'ci-freeze-12',
      peers: 12,
      workers: 1,
      capacity: 4,
      skills: { names: ['analytics', 'viz'], perPeer: 2, levels: { expert: 1 } },
      work: { minMs: 4000, maxMs: 6000 },
      tasks: { count: 24, rate: 8, skillsPerTask: 1, bidWindowMs: 4000, deadlineMs: 20_000 },
      freeze: { fraction: 0.08, at: 0.9 },
      seed: 5
    }))
    print(report, Date.now() - started)
    console.log(`  tasks hit by the freeze: ${JSON.stringify(report.freeze?.hit)}`)
  })

  it('froze one peer in a thread of its own, and loses no task', () => {
    assert.equal(report.freeze?.frozen, 1)
    assert.equal(report.freeze?.thawed, 0)
    assert.equal(report.machine.workers, 2)
    assert.equal(report.tasks.announced, 24)
    assertAccounted(report)
  })

  it('replaces the frozen member by a backup and reports the time from the freeze to the replacement', () => {
    const freeze = report.freeze
    assert.ok(freeze !== undefined)
    assert.ok(freeze.tasksHit >= 1, 'the frozen peer was in no running task: the scenario missed its point')
    assert.equal(freeze.hitCompleted + freeze.hitNotCompleted, freeze.tasksHit)
    assert.ok(freeze.replacements >= 1, `no frozen member was replaced: ${JSON.stringify(freeze.hit)}`)
    const s = freeze.freezeToReplacementMs
    assert.equal(s.n, freeze.replacements)
    assert.ok(Number.isFinite(s.p50) && s.p50 > 0 && s.p50 <= s.p95 && s.p95 <= s.max, JSON.stringify(s))
    assert.ok(freeze.hitCompleted >= 1, `no task of the frozen peer completed: ${JSON.stringify(freeze.hit)}`)
    assert.match(renderTable(report), /freeze → replacement \(ms\)\s+p50 \d+/)
  })

  it('completes the tasks', () => {
    assert.ok(report.tasks.successRate >= 0.9, `success rate ${report.tasks.successRate}: ${JSON.stringify(report.failures)}`)
  })
})
