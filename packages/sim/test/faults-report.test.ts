/**
 * The report's freeze and liars sections from synthetic runs: the time from a freeze to the
 * frozen member's replacement, the tasks a freeze hit, and the share of tasks liars won per
 * tenth of the load; the table and the HTML page show them.
 */
import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { freezeSection, liarsSection } from '../src/faults-report.js'
import { renderHtml } from '../src/html.js'
import { planSimulation } from '../src/plan.js'
import { buildReport } from '../src/report.js'
import { parseScenario } from '../src/scenario.js'
import { renderTable } from '../src/table.js'
import type { PeerStats, TaskRecord } from '../src/messages.js'

const F = '12D3KooWFrozenaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'
const G = '12D3KooWGoodbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'
const H = '12D3KooWHelpercccccccccccccccccccccccccccccccccccccc'
const LOAD = 1_700_000_000_000

function record (index: number, fields: Partial<TaskRecord>): TaskRecord {
  return { index, taskId: `t${index}`, announcer: 0, status: 'COMPLETE', ok: true, attempts: 1, members: [], announcedAt: LOAD + index * 1000, finishedAt: LOAD + index * 1000 + 500, ...fields }
}

function stats (index: number, peerId: string): PeerStats {
  return { index, peerId, alive: true, tasksRun: 0, offersSent: 0, gossipPublished: 0, gossipDelivered: 0, gossipRejected: 0, directRequests: 0, directBytes: 0, gossipPublishedByType: {}, gossipDeliveredByType: {}, directByType: {} }
}

describe('freezeSection', () => {
  const freezeAt = LOAD + 10_000
  const records = [
    // Running when F froze; F replaced 6.2 s later by H.
    record(1, { announcedAt: LOAD + 9000, finishedAt: LOAD + 20_000, members: [G, H], everMembers: [G, F, H], replaced: [{ skill: 'viz', from: F, to: H, at: freezeAt + 6200, reason: 'missed 3 heartbeats' }] }),
    // Running when F froze, no backup: failed at its deadline, no replacement.
    record(2, { status: 'FAILED', ok: false, announcedAt: LOAD + 9500, finishedAt: LOAD + 40_000, members: [F], everMembers: [F] }),
    // Announced after the freeze and replaced 7 s after its announcement (the member did not answer its start).
    record(3, { announcedAt: freezeAt + 1000, finishedAt: freezeAt + 12_000, members: [H], everMembers: [F, H], replaced: [{ skill: 'viz', from: F, to: H, at: freezeAt + 8000 }] }),
    // Ended before the freeze: not hit.
    record(4, { announcedAt: LOAD + 1000, finishedAt: LOAD + 2000, members: [F], everMembers: [F] }),
    // G was replaced, not F: hit by the freeze only if F was a member — it was not.
    record(5, { announcedAt: LOAD + 9000, finishedAt: LOAD + 20_000, members: [H], everMembers: [G, H], replaced: [{ skill: 'viz', from: G, to: H, at: freezeAt + 100 }] })
  ]

  it('times every replacement of a frozen member from its freeze (or its task\'s announcement, if later)', () => {
    const s = freezeSection(records, [{ peerId: F, at: freezeAt }])
    assert.ok(s !== undefined)
    assert.equal(s.frozen, 1)
    assert.equal(s.thawed, 0)
    assert.deepEqual(s.hit.map(h => h.index), [1, 2, 3])
    assert.equal(s.tasksHit, 3)
    assert.equal(s.hitCompleted, 2)
    assert.equal(s.hitNotCompleted, 1)
    assert.equal(s.replacements, 2)
    assert.deepEqual(s.hit.map(h => h.replacedAfterMs), [[6200], [], [7000]])
    assert.equal(s.freezeToReplacementMs.n, 2)
    assert.equal(s.freezeToReplacementMs.p50, 6200)
    assert.equal(s.freezeToReplacementMs.max, 7000)
  })

  it('does not count a replacement after the thaw as the freeze\'s', () => {
    const s = freezeSection(records, [{ peerId: F, at: freezeAt, thawedAt: freezeAt + 7500 }])
    assert.equal(s?.thawed, 1)
    assert.deepEqual(s?.hit.map(h => h.replacedAfterMs), [[6200], [], []])
  })

  it('is left out when nothing froze', () => {
    assert.equal(freezeSection(records, []), undefined)
  })
})

describe('liarsSection', () => {
  const scenario = parseScenario({ peers: 10, liars: { fraction: 0.1 }, tasks: { count: 10 }, seed: 3 })
  const plan = planSimulation(scenario, 1)
  const liarIndex = plan.peers.findIndex(p => p.liar)
  const peerStats = plan.peers.map(p => stats(p.index, p.index === liarIndex ? F : `${G.slice(0, -2)}${String(p.index).padStart(2, '0')}`))

  it('gives the share of tasks with a liar as a member per tenth of the load, falling as in a run that learns', () => {
    // Ten seconds of load, two tasks a second; the liar is in both tasks of the first second, one of the second, none after.
    const records = Array.from({ length: 20 }, (_, i) => record(i, {
      announcedAt: LOAD + i * 500,
      finishedAt: LOAD + i * 500 + 100,
      members: [G],
      everMembers: i < 3 ? [F, G] : [G],
      ...(i < 3 ? { replaced: [{ skill: 'viz', from: F, to: G, at: LOAD + i * 500 + 50 }] } : {}),
      ...(i === 2 ? { ok: false, status: 'FAILED' } : {})
    }))
    const s = liarsSection(plan, peerStats, records, LOAD, LOAD + 10_000)
    assert.ok(s !== undefined)
    assert.equal(s.liars, 1)
    assert.equal(s.tasksWithLiar, 3)
    assert.equal(s.withLiarCompleted, 2)
    assert.equal(s.replacements, 3)
    assert.equal(s.buckets.length, 10)
    assert.deepEqual(s.buckets.map(b => b.announced), new Array(10).fill(2))
    assert.deepEqual(s.buckets.map(b => b.share), [1, 0.5, 0, 0, 0, 0, 0, 0, 0, 0])
    assert.deepEqual(s.buckets.map(b => b.completed), [2, 1, 2, 2, 2, 2, 2, 2, 2, 2])
    assert.deepEqual([s.buckets[0]?.fromMs, s.buckets[0]?.toMs, s.buckets[9]?.toMs], [0, 1000, 10_000])
    assert.equal(s.doneShare, 19 / 20)
  })

  it('uses one bucket for a burst, and is left out without liars', () => {
    const s = liarsSection(plan, peerStats, [record(0, { announcedAt: LOAD, everMembers: [F] })], LOAD, LOAD)
    assert.deepEqual(s?.buckets.map(b => [b.announced, b.withLiar]), [[1, 1]])
    const honest = planSimulation(parseScenario({ peers: 10, tasks: { count: 10 } }), 1)
    assert.equal(liarsSection(honest, peerStats, [], LOAD, LOAD + 1000), undefined)
  })
})

describe('buildReport, renderTable, renderHtml: freeze and liars', () => {
  const scenario = parseScenario({ name: 'faults', peers: 10, liars: { fraction: 0.1 }, freeze: { fraction: 0.1 }, tasks: { count: 2 }, seed: 3 })
  const plan = planSimulation(scenario, 1)
  const liarIndex = plan.peers.findIndex(p => p.liar)
  const peerStats = plan.peers.map(p => stats(p.index, p.index === liarIndex ? G : `${H.slice(0, -2)}${String(p.index).padStart(2, '0')}`))
  const report = buildReport({
    scenario,
    plan,
    machine: { cpus: 2, cpuModel: 'Test', memGiB: 8, node: 'v24', workers: plan.workers },
    startedAt: LOAD - 5000,
    loadStartedAt: LOAD,
    loadEndedAt: LOAD + 1000,
    endedAt: LOAD + 20_000,
    startupMs: 5000,
    freezes: [{ peerId: F, at: LOAD + 500 }],
    records: [
      record(0, { announcedAt: LOAD, finishedAt: LOAD + 9000, members: [H], everMembers: [F, H], replaced: [{ skill: 'viz', from: F, to: H, at: LOAD + 6800 }] }),
      record(1, { announcedAt: LOAD + 900, finishedAt: LOAD + 9000, members: [H], everMembers: [G, H] })
    ],
    refused: [],
    announcedIndices: new Set([0, 1]),
    peerStats,
    peersAlive: [],
    rss: { baseline: 1, loaded: 2, heapUsed: 1 },
    cpu: { user: 1, system: 1 }
  })

  it('has both sections, and the table and the page show their figures', () => {
    assert.equal(report.freeze?.freezeToReplacementMs.p50, 6300)
    assert.equal(report.liars?.tasksWithLiar, 1)
    const table = renderTable(report)
    assert.match(table, /freeze → replacement \(ms\)\s+p50 6300 {2}p95 6300 {2}max 6300/)
    assert.match(table, /1 peers frozen, 0 thawed; 1 tasks had a frozen member: 1 completed/)
    assert.match(table, /tasks won by a liar\s+0% 0% 0% 0% 0% 0% 0% 0% 0% 100% \(by tenth of the load\)/)
    const html = renderHtml(report)
    assert.ok(html.includes('1 replaced: p50 6300'))
    assert.ok(html.includes('tasks won by a liar'))
  })

  it('has neither section in a run without frozen peers or liars', () => {
    const plain = buildReport({ scenario: parseScenario({ peers: 10 }), plan: planSimulation(parseScenario({ peers: 10 }), 1), machine: report.machine, startedAt: LOAD, loadStartedAt: LOAD, loadEndedAt: LOAD, endedAt: LOAD, startupMs: 0, records: [], refused: [], announcedIndices: new Set(), peerStats, peersAlive: [], rss: { baseline: 1, loaded: 1, heapUsed: 1 }, cpu: { user: 0, system: 0 } })
    assert.equal(plain.freeze, undefined)
    assert.equal(plain.liars, undefined)
    assert.doesNotMatch(renderTable(plain), /freeze|liar/)
  })
})
