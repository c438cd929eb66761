import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { defaultWorkers } from '../src/coordinator.js'
import { planSimulation } from '../src/plan.js'
import { parseScenario } from '../src/scenario.js'
import type { ScenarioInput } from '../src/scenario.js'

const plan = (input: ScenarioInput, workers = 2): ReturnType<typeof planSimulation> => planSimulation(parseScenario(input), workers)

describe('planSimulation: determinism', () => {
  it('gives the same plan for the same scenario and seed', () => {
    const input: ScenarioInput = { peers: 40, tasks: { count: 50, rate: 5 }, churn: { fraction: 0.2 }, partition: { fraction: 0.1 }, work: { failureRate: 0.2 }, seed: 42 }
    assert.deepEqual(plan(input), plan(input))
  })

  it('gives different plans for different seeds', () => {
    const a = plan({ peers: 40, tasks: { count: 50 }, churn: { fraction: 0.2 }, seed: 1 })
    const b = plan({ peers: 40, tasks: { count: 50 }, churn: { fraction: 0.2 }, seed: 2 })
    assert.notDeepEqual(a.peers.map(p => p.skills), b.peers.map(p => p.skills))
    assert.notDeepEqual(a.tasks.map(t => [t.announcer, t.skills, t.input.workMs]), b.tasks.map(t => [t.announcer, t.skills, t.input.workMs]))
    assert.notDeepEqual(a.peers.filter(p => p.churns).map(p => p.index), b.peers.filter(p => p.churns).map(p => p.index))
  })
})

describe('planSimulation: peers and tasks', () => {
  it('plans the scenario\'s numbers of peers and tasks', () => {
    const p = plan({ peers: 33, tasks: { count: 77 } }, 3)
    assert.equal(p.peers.length, 33)
    assert.equal(p.tasks.length, 77)
    assert.equal(p.workers, 3)
    assert.deepEqual(p.peers.map(x => x.index), Array.from({ length: 33 }, (_, i) => i))
    assert.deepEqual(p.tasks.map(x => x.index), Array.from({ length: 77 }, (_, i) => i))
    assert.equal(new Set(p.peers.map(x => x.name)).size, 33)
  })

  it('spreads the peers over the workers round-robin', () => {
    const p = plan({ peers: 10 }, 3)
    assert.deepEqual(p.peers.map(x => x.worker), [0, 1, 2, 0, 1, 2, 0, 1, 2, 0])
  })

  it('gives each peer skills.perPeer distinct skills from the names, at a weighted level', () => {
    const p = plan({ peers: 50, skills: { names: ['a', 'b', 'c', 'd'], perPeer: 3, levels: { expert: 1 } } })
    for (const peer of p.peers) {
      assert.equal(peer.skills.length, 3)
      assert.equal(new Set(peer.skills.map(s => s.name)).size, 3)
      for (const s of peer.skills) {
        assert.ok(['a', 'b', 'c', 'd'].includes(s.name))
        assert.equal(s.level, 'expert')
      }
    }
  })

  it('bootstraps every peer but the first from earlier peers', () => {
    const p = plan({ peers: 60, node: { bootstrapPeers: 3 } })
    assert.deepEqual(p.peers[0]?.bootstrap, [])
    for (const peer of p.peers.slice(1)) {
      assert.ok(peer.bootstrap.length >= 1 && peer.bootstrap.length <= 3, `peer ${peer.index}: ${peer.bootstrap.join(',')}`)
      assert.equal(new Set(peer.bootstrap).size, peer.bootstrap.length)
      for (const b of peer.bootstrap) assert.ok(b >= 0 && b < peer.index)
    }
  })

  it('gives each task skillsPerTask distinct skills, the first at minLevel, with membersPerSkill members', () => {
    const p = plan({ tasks: { count: 40, skillsPerTask: 3, membersPerSkill: 2, minLevel: 'advanced' } })
    for (const t of p.tasks) {
      assert.equal(t.skills.length, 3)
      assert.equal(new Set(t.skills.map(s => s.name)).size, 3)
      assert.deepEqual(t.skills.map(s => s.minLevel), ['advanced', 'novice', 'novice'])
      assert.ok(t.skills.every(s => s.count === 2))
      assert.equal(t.input.task, t.index)
    }
  })

  it('draws the work time from [minMs, maxMs] and fails tasks at about the failure rate', () => {
    const p = plan({ tasks: { count: 2000 }, work: { minMs: 100, maxMs: 200, failureRate: 0.25 } })
    assert.ok(p.tasks.every(t => t.input.workMs >= 100 && t.input.workMs <= 200 && Number.isInteger(t.input.workMs)))
    assert.ok(p.tasks.some(t => t.input.workMs === 100) || p.tasks.some(t => t.input.workMs === 200))
    const failing = p.tasks.filter(t => t.input.fail).length / p.tasks.length
    assert.ok(failing > 0.2 && failing < 0.3, `failing fraction ${failing}`)
    assert.ok(plan({ tasks: { count: 500 }, work: { failureRate: 0 } }).tasks.every(t => !t.input.fail))
    assert.ok(plan({ tasks: { count: 500 }, work: { failureRate: 1 } }).tasks.every(t => t.input.fail))
  })
})

describe('planSimulation: arrivals', () => {
  it('announces tasks at the rate, 1000/rate ms apart', () => {
    const p = plan({ tasks: { count: 21, rate: 4 } })
    assert.deepEqual(p.tasks.map(t => t.at), Array.from({ length: 21 }, (_, i) => i * 250))
    assert.equal(p.arrivalPeriodMs, 5000)
  })

  it('rounds arrival times at rates that do not divide a second', () => {
    const p = plan({ tasks: { count: 4, rate: 3 } })
    assert.deepEqual(p.tasks.map(t => t.at), [0, 333, 667, 1000])
    assert.equal(p.arrivalPeriodMs, 1000)
  })

  it('announces everything at 0 in a burst', () => {
    const p = plan({ tasks: { count: 30, rate: 1, burst: true } })
    assert.ok(p.tasks.every(t => t.at === 0))
    assert.equal(p.arrivalPeriodMs, 0)
  })
})

describe('planSimulation: churn', () => {
  for (const [peers, fraction] of [[20, 0.2], [100, 0.1], [30, 0.25], [7, 0.5], [10, 0]] as const) {
    it(`kills exactly round(${fraction} × ${peers}) peers, never peer 0`, () => {
      for (const seed of [1, 2, 3, 4, 5]) {
        const p = plan({ peers, churn: { fraction }, tasks: { count: 10 }, seed })
        const killed = p.peers.filter(x => x.churns).map(x => x.index)
        assert.equal(killed.length, Math.round(fraction * peers))
        assert.ok(!killed.includes(0))
        const kills = p.chaos.filter(e => e.kind === 'kill')
        assert.equal(kills.length, killed.length)
        assert.deepEqual(kills.flatMap(e => e.peers).sort((a, b) => a - b), killed)
      }
    })
  }

  it('never kills peer 0 even when every peer churns', () => {
    const p = plan({ peers: 10, churn: { fraction: 1 } })
    assert.equal(p.peers[0]?.churns, false)
    assert.ok(p.peers.slice(1).every(x => x.churns))
  })

  it('kills from churn.at of the arrival period, spread over spreadMs, and restarts after restartAfterMs', () => {
    const p = plan({ peers: 20, tasks: { count: 101, rate: 10 }, churn: { fraction: 0.2, at: 0.5, spreadMs: 1000, restartAfterMs: 3000 } })
    assert.equal(p.arrivalPeriodMs, 10_000)
    const kills = p.chaos.filter(e => e.kind === 'kill')
    const restarts = p.chaos.filter(e => e.kind === 'restart')
    assert.equal(kills.length, 4)
    assert.deepEqual(kills.map(e => e.at), [5000, 5250, 5500, 5750])
    assert.equal(restarts.length, 4)
    for (const kill of kills) {
      const restart = restarts.find(r => r.peers[0] === kill.peers[0])
      assert.equal(restart?.at, kill.at + 3000)
    }
    assert.deepEqual(p.chaos.map(e => e.at), [...p.chaos.map(e => e.at)].sort((a, b) => a - b))
  })

  it('does not restart when restartAfterMs is 0', () => {
    const p = plan({ peers: 20, churn: { fraction: 0.3 } })
    assert.equal(p.chaos.filter(e => e.kind === 'restart').length, 0)
  })

  it('announces only from peers that never churn or get cut off when announcers is stable', () => {
    const p = plan({ peers: 30, tasks: { count: 300, announcers: 'stable' }, churn: { fraction: 0.3 }, partition: { fraction: 0.3 } })
    const unstable = new Set(p.peers.filter(x => x.churns || x.partitioned).map(x => x.index))
    assert.ok(unstable.size > 0)
    for (const t of p.tasks) assert.ok(!unstable.has(t.announcer), `task ${t.index} announced by ${t.announcer}`)
  })

  it('announces from any peer when announcers is any', () => {
    const p = plan({ peers: 10, tasks: { count: 500, announcers: 'any' }, churn: { fraction: 0.5 } })
    const churning = new Set(p.peers.filter(x => x.churns).map(x => x.index))
    assert.ok(p.tasks.some(t => churning.has(t.announcer)))
    assert.equal(new Set(p.tasks.map(t => t.announcer)).size, 10)
  })
})

describe('planSimulation: partition', () => {
  it('cuts off round(fraction × peers) peers, never peer 0, with a paired heal', () => {
    const p = plan({ peers: 50, tasks: { count: 51, rate: 10 }, partition: { fraction: 0.2, at: 0.4, durationMs: 3000 } })
    const cut = p.peers.filter(x => x.partitioned).map(x => x.index)
    assert.equal(cut.length, 10)
    assert.ok(!cut.includes(0))
    const partition = p.chaos.filter(e => e.kind === 'partition')
    const heal = p.chaos.filter(e => e.kind === 'heal')
    assert.equal(partition.length, 1)
    assert.equal(heal.length, 1)
    assert.deepEqual([...(partition[0]?.peers ?? [])].sort((a, b) => a - b), cut)
    assert.deepEqual(heal[0]?.peers, partition[0]?.peers)
    assert.equal(partition[0]?.at, 2000)
    assert.equal(heal[0]?.at, 5000)
  })

  it('plans no chaos without churn or partition', () => {
    assert.deepEqual(plan({ peers: 20 }).chaos, [])
  })
})

describe('defaultWorkers', () => {
  it('starts one thread per core for small swarms', () => {
    assert.equal(defaultWorkers(100, 2), 2)
    assert.equal(defaultWorkers(30, 8), 8)
  })

  it('keeps at most 125 peers per thread in large swarms, up to two threads per core', () => {
    assert.equal(defaultWorkers(250, 2), 2)
    assert.equal(defaultWorkers(251, 2), 3)
    assert.equal(defaultWorkers(500, 2), 4)
    assert.equal(defaultWorkers(1000, 2), 4)
    assert.equal(defaultWorkers(1000, 8), 8)
  })

  it('never answers less than one', () => {
    assert.equal(defaultWorkers(1, 0), 1)
  })
})
