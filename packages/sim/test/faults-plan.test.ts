/**
 * The plan of frozen peers and liars: chosen from the seed (the same seed, the same peers),
 * apart from the churned and cut-off peers and from each other, never peer 0; frozen peers in
 * worker threads of their own with one freeze (and thaw) per thread; the rest of the plan left
 * as it was; bad fields named.
 */
import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { isSwarmError } from '@swarm/node'
import { planSimulation } from '../src/plan.js'
import { loadScenario, parseScenario } from '../src/scenario.js'
import type { ScenarioInput } from '../src/scenario.js'

const plan = (input: ScenarioInput, workers = 2): ReturnType<typeof planSimulation> => planSimulation(parseScenario(input), workers)
const frozenOf = (p: ReturnType<typeof plan>): number[] => p.peers.filter(x => x.frozen).map(x => x.index)
const liarsOf = (p: ReturnType<typeof plan>): number[] => p.peers.filter(x => x.liar).map(x => x.index)

function assertConfigError (input: unknown, ...patterns: RegExp[]): void {
  assert.throws(() => parseScenario(input), (err: unknown) => {
    assert.ok(isSwarmError(err), String(err))
    assert.equal(err.code, 'CONFIG_INVALID')
    for (const p of patterns) assert.match(err.message, p)
    return true
  })
}

describe('planSimulation: frozen peers', () => {
  it('freezes round(fraction × peers) peers chosen from the seed, never peer 0', () => {
    for (const seed of [1, 2, 3]) {
      const input: ScenarioInput = { peers: 40, freeze: { fraction: 0.1 }, tasks: { count: 10 }, seed }
      const frozen = frozenOf(plan(input))
      assert.equal(frozen.length, 4)
      assert.ok(!frozen.includes(0))
      assert.deepEqual(frozenOf(plan(input)), frozen, 'the same seed freezes the same peers')
    }
    const bySeed = [1, 2, 3, 4].map(seed => frozenOf(plan({ peers: 40, freeze: { fraction: 0.1 }, seed })).join(','))
    assert.ok(new Set(bySeed).size > 1, `every seed froze the same peers: ${bySeed.join(' / ')}`)
  })

  it('puts the frozen peers in threads of their own after the ordinary ones, round-robin', () => {
    const p = plan({ peers: 40, freeze: { fraction: 0.2, workers: 3 } }, 2)
    assert.equal(p.workers, 5)
    assert.deepEqual(p.freezeWorkers, [2, 3, 4])
    for (const peer of p.peers) {
      if (peer.frozen) assert.ok(p.freezeWorkers.includes(peer.worker), `frozen peer ${peer.index} in worker ${peer.worker}`)
      else assert.ok(peer.worker < 2, `peer ${peer.index} in freeze worker ${peer.worker}`)
    }
    const perThread = p.freezeWorkers.map(w => p.peers.filter(x => x.worker === w).length)
    assert.deepEqual(perThread, [3, 3, 2])
  })

  it('never starts more freeze threads than frozen peers, and none without freeze', () => {
    assert.deepEqual(plan({ peers: 20, freeze: { fraction: 0.1, workers: 8 } }, 2).freezeWorkers, [2, 3])
    const none = plan({ peers: 20 }, 2)
    assert.deepEqual(none.freezeWorkers, [])
    assert.equal(none.workers, 2)
    assert.ok(none.peers.every(x => !x.frozen && !x.liar))
  })

  it('freezes each thread once from freeze.at of the arrival period, spread over spreadMs, and thaws after durationMs', () => {
    const p = plan({ peers: 40, tasks: { count: 101, rate: 10 }, freeze: { fraction: 0.1, at: 0.5, spreadMs: 1000, durationMs: 4000, workers: 4 } })
    const freezes = p.chaos.filter(e => e.kind === 'freeze')
    const thaws = p.chaos.filter(e => e.kind === 'thaw')
    assert.deepEqual(freezes.map(e => e.at), [5000, 5250, 5500, 5750])
    assert.deepEqual(freezes.flatMap(e => e.peers).sort((a, b) => a - b), frozenOf(p))
    for (const f of freezes) {
      const worker = p.peers[f.peers[0] as number]?.worker
      assert.ok(f.peers.every(i => p.peers[i]?.worker === worker), 'a freeze concerns the peers of one thread')
      assert.equal(thaws.find(t => t.peers[0] === f.peers[0])?.at, f.at + 4000)
    }
    assert.deepEqual(p.chaos.map(e => e.at), [...p.chaos.map(e => e.at)].sort((a, b) => a - b))
  })

  it('never thaws when durationMs is 0', () => {
    const p = plan({ peers: 20, freeze: { fraction: 0.2 } })
    assert.equal(p.chaos.filter(e => e.kind === 'freeze').length, 4)
    assert.equal(p.chaos.filter(e => e.kind === 'thaw').length, 0)
  })
})

describe('planSimulation: liars', () => {
  it('picks round(fraction × peers) liars from the seed, apart from the frozen, churned and cut-off peers', () => {
    const input: ScenarioInput = { peers: 50, liars: { fraction: 0.1 }, freeze: { fraction: 0.1 }, churn: { fraction: 0.1 }, partition: { fraction: 0.1 }, seed: 9 }
    const p = plan(input)
    const liars = liarsOf(p)
    assert.equal(liars.length, 5)
    assert.deepEqual(liarsOf(plan(input)), liars)
    assert.ok(!liars.includes(0))
    for (const i of liars) {
      const peer = p.peers[i]
      assert.ok(peer !== undefined && !peer.frozen && !peer.churns && !peer.partitioned, `liar ${i}: ${JSON.stringify(peer)}`)
      assert.ok(peer.worker < 2, 'liars stay in the ordinary threads')
    }
    assert.equal(frozenOf(p).filter(i => p.peers[i]?.churns === true || p.peers[i]?.partitioned === true).length, 0)
  })

  it('leaves the rest of the plan (skills, tasks, churn) as it was without them', () => {
    const base: ScenarioInput = { peers: 40, tasks: { count: 50, rate: 5 }, churn: { fraction: 0.1 }, seed: 4 }
    const without = plan(base)
    const withFaults = plan({ ...base, liars: { fraction: 0.1 }, freeze: { fraction: 0.1 } })
    assert.deepEqual(withFaults.peers.map(p => [p.skills, p.bootstrap, p.churns]), without.peers.map(p => [p.skills, p.bootstrap, p.churns]))
    assert.deepEqual(withFaults.tasks.map(t => [t.skills, t.input, t.at]), without.tasks.map(t => [t.skills, t.input, t.at]))
  })

  it('never announces from a liar or a frozen peer when announcers is stable', () => {
    const p = plan({ peers: 20, tasks: { count: 300 }, liars: { fraction: 0.2 }, freeze: { fraction: 0.2 } })
    const bad = new Set([...liarsOf(p), ...frozenOf(p)])
    for (const t of p.tasks) assert.ok(!bad.has(t.announcer), `task ${t.index} announced by ${t.announcer}`)
  })

  it('announces from tasks.announcerCount stable peers only, chosen from the seed', () => {
    const input: ScenarioInput = { peers: 30, tasks: { count: 300, announcerCount: 4 }, liars: { fraction: 0.1 }, seed: 2 }
    const p = plan(input)
    const announcers = [...new Set(p.tasks.map(t => t.announcer))].sort((a, b) => a - b)
    assert.equal(announcers.length, 4)
    assert.ok(announcers.every(i => p.peers[i]?.liar === false))
    assert.deepEqual([...new Set(plan(input).tasks.map(t => t.announcer))].sort((a, b) => a - b), announcers)
  })
})

describe('parseScenario: freeze and liars fields', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['freeze.fraction', { freeze: { fraction: 1.5 } }, /freeze\.fraction: /],
    ['freeze.at', { freeze: { at: -1 } }, /freeze\.at: /],
    ['freeze.spreadMs', { freeze: { spreadMs: 1.5 } }, /freeze\.spreadMs: /],
    ['freeze.durationMs', { freeze: { durationMs: -5 } }, /freeze\.durationMs: /],
    ['freeze.workers', { freeze: { workers: 0 } }, /freeze\.workers: /],
    ['freeze', { freeze: { fraction: 0.1, stopped: true } }, /freeze: /],
    ['liars.fraction', { liars: { fraction: 'many' } }, /liars\.fraction: /],
    ['tasks.announcerCount', { tasks: { announcerCount: 0 } }, /tasks\.announcerCount: /]
  ]
  for (const [path, input, pattern] of cases) {
    it(`rejects a bad ${path} (${JSON.stringify(input)}), naming the path`, () => { assertConfigError(input, /^invalid scenario:/, pattern) })
  }

  it('rejects frozen peers and liars that leave no room, naming both fields', () => {
    assertConfigError({ peers: 10, freeze: { fraction: 0.5 }, liars: { fraction: 0.5 } }, /freeze\.fraction and liars\.fraction pick 10 peers/, /only 9 are left/)
    assertConfigError({ peers: 10, churn: { fraction: 0.5 }, liars: { fraction: 0.5 } }, /only 4 are left/)
  })

  it('defaults to no frozen peer and no liar', () => {
    const s = parseScenario({})
    assert.deepEqual(s.freeze, { fraction: 0, at: 0.3, spreadMs: 2000, durationMs: 0, workers: 4 })
    assert.deepEqual(s.liars, { fraction: 0 })
    assert.equal(s.tasks.announcerCount, undefined)
  })
})

describe('presets freeze-100 and liars-100', () => {
  it('freeze-100 freezes a tenth of 100 peers and thaws them; liars-100 has a tenth of liars and few announcers', () => {
    const freeze = loadScenario('freeze-100')
    assert.equal(freeze.peers, 100)
    assert.equal(freeze.freeze.fraction, 0.1)
    assert.ok(freeze.freeze.durationMs > 0)
    const liars = loadScenario('liars-100')
    assert.equal(liars.liars.fraction, 0.1)
    assert.ok((liars.tasks.announcerCount ?? 100) < 100)
  })
})
