/**
 * The simulator with adversaries, real peers (worker threads, TCP on 127.0.0.1): 12 peers of
 * which 3 are malicious (a flooder of invalid gossip and fake announcements, a sybil injecting
 * agent cards under fresh keys, a lockout sending direct announcements with a 60 s bid window).
 * The scenario runs twice, clean then attacked, and the report sets the honest tasks of both
 * runs side by side, counts what the honest peers refused, and has a row per attacker with what
 * it sent and the honest peers' gossipsub score of it. No timing bars: the machine is shared.
 */
import assert from 'node:assert/strict'
import { beforeAll, describe, it } from 'vitest'
import { parseScenario, renderHtml, renderTable, runSimulation } from '@swarm/sim'
import type { SimProgress, SimReport } from '@swarm/sim'

describe('sim: 12 real peers, 3 of them adversaries, beside a clean run of the same seed', { timeout: 180_000 }, () => {
  let report: SimReport
  const runs = new Set<string>()

  beforeAll(async () => {
    const started = Date.now()
    report = await runSimulation(parseScenario({
      name: 'ci-adversaries-12',
      peers: 12,
      workers: 2,
      tasks: { count: 10, rate: 5, bidWindowMs: 1000, deadlineMs: 6000, maxAttempts: 2 },
      adversaries: { fraction: 0.25, kinds: ['flood', 'sybil', 'lockout'], flood: { invalidPerSecond: 20, announcesPerSecond: 5 }, sybil: { cardsPerSecond: 20, identities: 100 }, lockout: { announcesPerSecond: 5 }, scoreSampleMs: 200 },
      node: { settleLimitS: 8 },
      seed: 11
    }), { onProgress: (p: SimProgress) => { if (p.run !== undefined) runs.add(p.run) } })
    console.log(`${renderTable(report)}\n  wall time ${((Date.now() - started) / 1000).toFixed(1)} s`)
  })

  it('ran the clean run first, then the attacked one, and accounts for every honest task in both', () => {
    assert.deepEqual([...runs], ['clean', 'attacked'])
    assert.equal(report.tasks.announced, 10)
    assert.equal(report.tasks.lost, 0, JSON.stringify(report.failures))
    const a = report.adversaries
    assert.ok(a !== undefined, 'no adversaries section')
    assert.ok(a.clean !== undefined, 'no clean run beside the attacked one')
    assert.equal(a.clean.announced, 10)
    assert.equal(a.attacked.announced, 10)
    assert.equal(a.attacked.completed, report.tasks.completed)
    for (const o of [a.clean, a.attacked]) {
      assert.equal(o.successRate, o.completed / o.announced)
      assert.equal(o.completionMs.n, o.completed)
    }
    // The clean run completes its tasks: the comparison has something to compare with.
    assert.ok(a.clean.completed >= 1, JSON.stringify(a.clean))
  })

  it('has a row per attacker, each with what it sent from its first misbehaviour on', () => {
    const a = report.adversaries
    assert.ok(a !== undefined)
    assert.deepEqual(a.kinds, { flood: 1, sybil: 1, lockout: 1 })
    assert.deepEqual(a.attackers.map(r => r.kind).sort(), ['flood', 'lockout', 'sybil'])
    assert.ok(a.attacksStartedMs !== undefined && a.attacksStartedMs >= 0)
    for (const row of a.attackers) {
      assert.match(row.peerId, /^12D3KooW/)
      assert.ok(row.firstMisbehaviourMs !== undefined, `${row.kind} never misbehaved: ${JSON.stringify(row)}`)
      assert.ok(row.observers >= 1, `no honest peer sampled the score of the ${row.kind}`)
      assert.ok(row.minScore !== undefined && Number.isFinite(row.minScore))
      assert.ok(row.graylistedBy <= row.observers)
      assert.equal(row.timeToGraylistMs.n, row.graylistedBy)
    }
    const byKind = (kind: string): NonNullable<SimReport['adversaries']>['attackers'][number] => a.attackers.find(r => r.kind === kind) as NonNullable<SimReport['adversaries']>['attackers'][number]
    const flood = byKind('flood')
    assert.ok((flood.sent.undecodable ?? 0) > 0 && (flood.sent.wrongChannel ?? 0) > 0 && (flood.sent.announces ?? 0) > 0, JSON.stringify(flood.sent))
    assert.ok((byKind('sybil').sent.cards ?? 0) > 0, JSON.stringify(byKind('sybil').sent))
    const lockout = byKind('lockout')
    assert.ok((lockout.sent.lockouts ?? 0) > 0, JSON.stringify(lockout))
    // Each lockout announcement is answered: a reservation, or a refusal the report names.
    assert.ok(Object.values(lockout.answers).reduce((n, c) => n + c, 0) >= 1, JSON.stringify(lockout))
    assert.ok(typeof a.graylistThreshold === 'number' && a.graylistThreshold < 0, String(a.graylistThreshold))
  })

  it('counts what the honest peers refused: the flooder\'s invalid gossip under attack, none in the clean run', () => {
    const a = report.adversaries
    assert.ok(a?.clean !== undefined)
    const refused = (c: Record<string, number>): number => (c.MALFORMED ?? 0) + (c.WRONG_CHANNEL ?? 0)
    assert.equal(refused(a.clean.counters.gossipRejected), 0, JSON.stringify(a.clean.counters))
    assert.ok(refused(a.attacked.counters.gossipRejected) > 0, JSON.stringify(a.attacked.counters))
    // The clean run's directories hold the 9 honest agents; the attacked run's at least as many.
    assert.equal(a.clean.counters.agentsKnownMax, 9)
    assert.ok(a.attacked.counters.agentsKnownMax >= 9)
  })

  it('shows the comparison and the attackers in the table and the page', () => {
    const table = renderTable(report)
    assert.match(table, /honest tasks, clean run\s+\d+\.\d % of 10 completed/)
    assert.match(table, /honest tasks, attacked\s+\d+\.\d % of 10 completed/)
    assert.match(table, /attacker \d+ \(flood\)\s+sent /)
    assert.match(table, /attacker \d+ \(sybil\)\s+sent cards \d+/)
    assert.match(table, /attacker \d+ \(lockout\)\s+sent /)
    const html = renderHtml(report)
    assert.ok(html.includes('honest tasks, clean run'))
    assert.ok(html.includes('(lockout)'))
  })
})
