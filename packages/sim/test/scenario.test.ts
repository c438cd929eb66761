import { afterAll, beforeAll, describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SwarmError } from '@swarm/node'
import { loadScenario, parseScenario, presetNames, readScenario, ScenarioSchema } from '../src/scenario.js'
import type { SwarmErrorCode } from '@swarm/node'

/** Asserts that `fn` throws a SwarmError with `code` whose message matches every pattern. */
function assertSwarmError (fn: () => unknown, code: SwarmErrorCode, ...patterns: RegExp[]): SwarmError {
  let caught: unknown
  try {
    fn()
  } catch (err) {
    caught = err
  }
  assert.ok(caught instanceof SwarmError, `expected a SwarmError, got ${String(caught)}`)
  assert.equal(caught.code, code, caught.message)
  for (const pattern of patterns) assert.match(caught.message, pattern)
  return caught
}

let dir: string
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'swarm-sim-scenario-')) })
afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

describe('parseScenario: defaults', () => {
  it('fills every field of an empty scenario', () => {
    const s = parseScenario({})
    assert.equal(s.name, 'custom')
    assert.equal(s.peers, 100)
    assert.equal(s.workers, undefined)
    assert.deepEqual(s.skills.names, ['analytics', 'viz', 'summarize', 'translate', 'review'])
    assert.equal(s.skills.perPeer, 2)
    assert.deepEqual(s.skills.levels, { intermediate: 1, advanced: 1, expert: 1 })
    assert.equal(s.capacity, 4)
    assert.deepEqual(s.work, { minMs: 10, maxMs: 50, failureRate: 0 })
    assert.deepEqual(s.tasks, {
      count: 1000,
      rate: 10,
      burst: false,
      skillsPerTask: 2,
      membersPerSkill: 1,
      minLevel: 'intermediate',
      bidWindowMs: 300,
      deadlineMs: 30_000,
      maxAttempts: 3,
      announcers: 'stable'
    })
    assert.deepEqual(s.churn, { fraction: 0, at: 0.3, spreadMs: 2000, restartAfterMs: 0 })
    assert.deepEqual(s.partition, { fraction: 0, at: 0.3, durationMs: 5000 })
    assert.equal(s.seed, 1)
    assert.equal(s.durationLimitS, 600)
    assert.equal(s.transport, 'tcp')
    assert.deepEqual(s.node, { bootstrapPeers: 3, startBatch: 25, startPauseMs: 100, heartbeatMs: 300_000, swarmHeartbeatsPerSecond: 0.5, joinFloodsPerSecond: 1, gossipD: 6, gossipDlo: 4, gossipDhi: 12 })
  })

  it('treats undefined and null like an empty scenario', () => {
    assert.deepEqual(parseScenario(undefined), parseScenario({}))
    assert.deepEqual(parseScenario(null), parseScenario({}))
  })

  it('keeps the defaults of the fields a partial section leaves out', () => {
    const s = parseScenario({ tasks: { count: 5 }, churn: { fraction: 0.5 } })
    assert.equal(s.tasks.count, 5)
    assert.equal(s.tasks.rate, 10)
    assert.equal(s.tasks.bidWindowMs, 300)
    assert.equal(s.churn.fraction, 0.5)
    assert.equal(s.churn.at, 0.3)
  })

  it('agrees with the schema itself', () => {
    assert.deepEqual(parseScenario({ peers: 7 }), ScenarioSchema.parse({ peers: 7 }))
  })
})

describe('parseScenario: bad fields', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['tasks.rate', { tasks: { rate: 0 } }, /tasks\.rate: /],
    ['tasks.rate', { tasks: { rate: 'fast' } }, /tasks\.rate: /],
    ['tasks.count', { tasks: { count: 1.5 } }, /tasks\.count: /],
    ['churn.fraction', { churn: { fraction: 1.5 } }, /churn\.fraction: /],
    ['churn.fraction', { churn: { fraction: -0.1 } }, /churn\.fraction: /],
    ['partition.fraction', { partition: { fraction: 2 } }, /partition\.fraction: /],
    ['work.failureRate', { work: { failureRate: 1.01 } }, /work\.failureRate: /],
    ['peers', { peers: 1 }, /peers: /],
    ['peers', { peers: 2001 }, /peers: /],
    ['workers', { workers: 0 }, /workers: /],
    ['skills.names', { skills: { names: ['Not A Skill!'] } }, /skills\.names\.0: /],
    ['skills.names', { skills: { names: [] } }, /skills\.names: /],
    ['skills.levels', { skills: { levels: { guru: 1 } } }, /skills\.levels: /],
    ['tasks.minLevel', { tasks: { minLevel: 'guru' } }, /tasks\.minLevel: /],
    ['tasks.announcers', { tasks: { announcers: 'some' } }, /tasks\.announcers: /],
    ['tasks.deadlineMs', { tasks: { deadlineMs: 10 } }, /tasks\.deadlineMs: /],
    ['transport', { transport: 'quic' }, /transport: /],
    ['node.startBatch', { node: { startBatch: 0 } }, /node\.startBatch: /]
  ]
  for (const [path, input, pattern] of cases) {
    it(`rejects a bad ${path} (${JSON.stringify(input)}), naming the path`, () => {
      const err = assertSwarmError(() => parseScenario(input), 'CONFIG_INVALID', /^invalid scenario:/, pattern)
      assert.ok(Array.isArray(err.details.issues))
    })
  }

  it('names every bad field at once', () => {
    const err = assertSwarmError(() => parseScenario({ peers: 0, tasks: { rate: -1 }, churn: { fraction: 3 } }), 'CONFIG_INVALID', /peers: /, /tasks\.rate: /, /churn\.fraction: /)
    assert.equal((err.details.issues as string[]).length, 3)
  })

  it('names the source in the message', () => {
    assertSwarmError(() => parseScenario({ peers: 0 }, 'scenario my.yaml'), 'CONFIG_INVALID', /^invalid scenario my\.yaml:/)
  })

  it('rejects a scenario that is not an object', () => {
    assertSwarmError(() => parseScenario(42), 'CONFIG_INVALID')
    assertSwarmError(() => parseScenario([]), 'CONFIG_INVALID')
  })
})

describe('parseScenario: unknown keys', () => {
  it('rejects an unknown top-level key', () => {
    assertSwarmError(() => parseScenario({ peer: 10 }), 'CONFIG_INVALID', /\(root\): Unrecognized key: "peer"/)
  })

  for (const section of ['skills', 'work', 'tasks', 'churn', 'partition', 'node']) {
    it(`rejects an unknown key in ${section}`, () => {
      assertSwarmError(() => parseScenario({ [section]: { bogus: 1 } }), 'CONFIG_INVALID', new RegExp(`\\n  ${section}: Unrecognized key: "bogus"`))
    })
  }
})

describe('parseScenario: checks across fields', () => {
  it('rejects work.maxMs below work.minMs', () => {
    assertSwarmError(() => parseScenario({ work: { minMs: 100, maxMs: 50 } }), 'CONFIG_INVALID', /work\.maxMs must be at least work\.minMs/)
    // Against the default minMs (10) too.
    assertSwarmError(() => parseScenario({ work: { maxMs: 5 } }), 'CONFIG_INVALID', /work\.maxMs/)
    assert.equal(parseScenario({ work: { minMs: 50, maxMs: 50 } }).work.maxMs, 50)
  })

  it('rejects skills.perPeer above the number of skill names', () => {
    assertSwarmError(() => parseScenario({ skills: { names: ['a', 'b'], perPeer: 3 }, tasks: { skillsPerTask: 1 } }), 'CONFIG_INVALID', /skills\.perPeer \(3\) is more than the 2 skill names/)
    assert.equal(parseScenario({ skills: { names: ['a', 'b'], perPeer: 2 } }).skills.perPeer, 2)
  })

  it('rejects tasks.skillsPerTask above the number of skill names', () => {
    assertSwarmError(() => parseScenario({ skills: { names: ['a'], perPeer: 1 } }), 'CONFIG_INVALID', /tasks\.skillsPerTask \(2\) is more than the 1 skill names/)
    assert.equal(parseScenario({ skills: { names: ['a'], perPeer: 1 }, tasks: { skillsPerTask: 1 } }).tasks.skillsPerTask, 1)
  })
})

describe('presets', () => {
  it('ships the presets the issue asks for', () => {
    const names = presetNames()
    for (const name of ['baseline-100', 'burst-100', 'churn-100', 'partition-100', 'scale-500', 'scale-1000', 'freeze-100', 'liars-100']) {
      assert.ok(names.includes(name), `missing preset ${name} (have ${names.join(', ')})`)
    }
  })

  for (const name of presetNames()) {
    it(`preset ${name} loads and validates`, () => {
      const s = loadScenario(name)
      assert.equal(s.name, name)
      assert.ok(s.description.length > 0, 'a preset says what it is')
      assert.deepEqual(s, parseScenario(readScenario(name)))
    })
  }

  it('presets say what they are about', () => {
    assert.equal(loadScenario('baseline-100').peers, 100)
    assert.equal(loadScenario('burst-100').tasks.burst, true)
    assert.ok(loadScenario('churn-100').churn.fraction > 0)
    assert.ok(loadScenario('partition-100').partition.fraction > 0)
    assert.equal(loadScenario('scale-500').peers, 500)
    assert.equal(loadScenario('scale-1000').peers, 1000)
  })

  it('an unknown preset is an error naming the presets', () => {
    assertSwarmError(() => loadScenario('nope'), 'CONFIG_NOT_FOUND', /no scenario preset "nope"/, /baseline-100/)
  })
})

describe('loadScenario', () => {
  it('without a file, the overrides apply over the defaults', () => {
    const s = loadScenario(undefined, { peers: 12, tasks: { count: 3 } })
    assert.equal(s.peers, 12)
    assert.equal(s.tasks.count, 3)
    assert.equal(s.tasks.rate, 10)
  })

  it('merges overrides over a preset, section by section', () => {
    const preset = loadScenario('churn-100')
    const s = loadScenario('churn-100', { peers: 20, tasks: { count: 30 }, churn: { restartAfterMs: 1000 } })
    assert.equal(s.name, 'churn-100')
    assert.equal(s.peers, 20)
    assert.equal(s.tasks.count, 30)
    // Fields of the same section the overrides leave alone keep the preset's values.
    assert.equal(s.tasks.rate, preset.tasks.rate)
    assert.equal(s.churn.fraction, preset.churn.fraction)
    assert.equal(s.churn.at, preset.churn.at)
    assert.equal(s.churn.restartAfterMs, 1000)
    assert.deepEqual(s.work, preset.work)
  })

  it('ignores overrides that are undefined', () => {
    assert.equal(loadScenario('baseline-100', { peers: undefined }).peers, 100)
  })

  it('validates the merged scenario, naming the file', () => {
    assertSwarmError(() => loadScenario('baseline-100', { tasks: { rate: 0 } }), 'CONFIG_INVALID', /^invalid scenario baseline-100:/, /tasks\.rate/)
  })

  it('reads YAML and JSON files', () => {
    const yaml = join(dir, 'mine.yaml')
    writeFileSync(yaml, 'name: mine\npeers: 8\ntasks:\n  count: 4\n  burst: true\n')
    const s = loadScenario(yaml, { seed: 9 })
    assert.equal(s.name, 'mine')
    assert.equal(s.peers, 8)
    assert.equal(s.tasks.burst, true)
    assert.equal(s.seed, 9)
    const json = join(dir, 'mine.json')
    writeFileSync(json, JSON.stringify({ peers: 9, churn: { fraction: 0.25 } }))
    assert.equal(loadScenario(json).churn.fraction, 0.25)
    const empty = join(dir, 'empty.yaml')
    writeFileSync(empty, '')
    assert.equal(loadScenario(empty).peers, 100)
  })

  it('reports a file that is missing, not YAML, or not an object', () => {
    assertSwarmError(() => loadScenario(join(dir, 'missing.yaml')), 'CONFIG_NOT_FOUND', /cannot read scenario/)
    const bad = join(dir, 'bad.yaml')
    writeFileSync(bad, 'peers: [1, 2\n')
    assertSwarmError(() => loadScenario(bad), 'CONFIG_INVALID', /not valid YAML or JSON/)
    const list = join(dir, 'list.yaml')
    writeFileSync(list, '- 1\n- 2\n')
    assertSwarmError(() => loadScenario(list), 'CONFIG_INVALID', /must hold an object/)
    const wrong = join(dir, 'wrong.yaml')
    writeFileSync(wrong, 'peers: 10\nchurn:\n  fraction: 7\n')
    assertSwarmError(() => loadScenario(wrong), 'CONFIG_INVALID', /churn\.fraction/)
  })
})
