/**
 * `swarm-node sim` flags: how they become scenario overrides, and bad flags or scenarios ending
 * with exit code 2 before any peer starts. (The simulation itself is tested in
 * test/integration/sim.test.ts.)
 */
import { afterAll, beforeAll, describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadScenario, presetNames } from '@swarm/sim'
import { simOverrides } from '../src/commands/sim.js'
import { EXIT } from '../src/exit-codes.js'
import { assertUsage, runCaptured } from './helpers.js'
import type { CapturingOutput } from './helpers.js'

async function run (...args: string[]): Promise<{ code: number, out: CapturingOutput }> {
  return await runCaptured(['sim', ...args])
}

let dir: string
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'swarm-cli-sim-')) })
afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

describe('simOverrides', () => {
  it('gives no overrides without flags', () => {
    assert.deepEqual(simOverrides({}), {})
    // Output flags are not part of the scenario.
    assert.deepEqual(simOverrides({ json: true, out: 'r.json', html: 'r.html', quiet: true, scenario: 'churn-100', burst: false }), {})
  })

  it('maps every scenario flag to its field', () => {
    assert.deepEqual(simOverrides({
      peers: '30',
      capacity: '8',
      workers: '2',
      seed: '7',
      durationLimit: '2m',
      tasks: '60',
      rate: '2.5',
      burst: true,
      skillsPerTask: '3',
      groupSize: '2',
      bidWindow: '500ms',
      deadline: '45s',
      churn: '0.2',
      churnAt: '0.5',
      churnRestart: '3s',
      partition: '0.1',
      partitionDuration: '1m',
      partitionAt: '0.6',
      skills: 'alpha, beta,gamma',
      skillsPerPeer: '2',
      levels: 'expert:1,advanced:2.5,novice',
      minLevel: 'advanced',
      work: '20ms-1s',
      failureRate: '0.05',
      maxAttempts: '4'
    }), {
      peers: 30,
      capacity: 8,
      workers: 2,
      seed: 7,
      durationLimitS: 120,
      tasks: { count: 60, rate: 2.5, burst: true, skillsPerTask: 3, membersPerSkill: 2, bidWindowMs: 500, deadlineMs: 45_000, minLevel: 'advanced', maxAttempts: 4 },
      churn: { fraction: 0.2, at: 0.5, restartAfterMs: 3000 },
      partition: { fraction: 0.1, durationMs: 60_000, at: 0.6 },
      skills: { names: ['alpha', 'beta', 'gamma'], perPeer: 2, levels: { expert: 1, advanced: 2.5, novice: 1 } },
      work: { minMs: 20, maxMs: 1000, failureRate: 0.05 }
    })
  })

  it('overrides only the given fields of a preset', () => {
    const preset = loadScenario('churn-100')
    const s = loadScenario('churn-100', simOverrides({ peers: '20', churn: '0.3', tasks: '10' }))
    assert.equal(s.peers, 20)
    assert.equal(s.churn.fraction, 0.3)
    assert.equal(s.churn.at, preset.churn.at)
    assert.equal(s.churn.spreadMs, preset.churn.spreadMs)
    assert.equal(s.tasks.count, 10)
    assert.equal(s.tasks.rate, preset.tasks.rate)
    assert.deepEqual(s.work, preset.work)
  })

  const bad: Array<[string, Record<string, string>, RegExp]> = [
    ['--peers', { peers: 'many' }, /^invalid --peers "many"/],
    ['--peers', { peers: '2.5' }, /^invalid --peers/],
    ['--capacity', { capacity: '0' }, /^invalid --capacity/],
    ['--workers', { workers: '-1' }, /^invalid --workers/],
    ['--seed', { seed: '-3' }, /^invalid --seed/],
    ['--tasks', { tasks: 'x' }, /^invalid --tasks/],
    ['--rate', { rate: '0' }, /^invalid --rate/],
    ['--rate', { rate: '20000' }, /^invalid --rate/],
    ['--skills-per-task', { skillsPerTask: 'two' }, /^invalid --skills-per-task/],
    ['--group-size', { groupSize: '0' }, /^invalid --group-size/],
    ['--bid-window', { bidWindow: 'soon' }, /^invalid --bid-window "soon"/],
    ['--deadline', { deadline: '10 parsecs' }, /^invalid --deadline/],
    ['--churn', { churn: '1.5' }, /^invalid --churn "1.5"/],
    ['--churn', { churn: 'half' }, /^invalid --churn/],
    ['--churn-at', { churnAt: '-0.1' }, /^invalid --churn-at/],
    ['--churn-restart', { churnRestart: 'later' }, /^invalid --churn-restart/],
    ['--partition', { partition: '2' }, /^invalid --partition/],
    ['--partition-duration', { partitionDuration: '5 s' }, /^invalid --partition-duration/],
    ['--duration-limit', { durationLimit: 'forever' }, /^invalid --duration-limit/],
    ['--peers', { peers: '' }, /^invalid --peers "": must not be empty/],
    ['--churn', { churn: ' ' }, /^invalid --churn/],
    ['--partition-at', { partitionAt: '1.2' }, /^invalid --partition-at/],
    ['--skills', { skills: ',' }, /^invalid --skills/],
    ['--skills', { skills: 'Bad Name' }, /^invalid --skills/],
    ['--skills-per-peer', { skillsPerPeer: '0' }, /^invalid --skills-per-peer/],
    ['--levels', { levels: 'wizard:2' }, /^invalid --levels/],
    ['--levels', { levels: 'expert:-1' }, /^invalid --levels/],
    ['--min-level', { minLevel: 'guru' }, /^invalid --min-level/],
    ['--work', { work: '50ms-10ms' }, /^invalid --work/],
    ['--work', { work: 'a while' }, /^invalid --work/],
    ['--failure-rate', { failureRate: '1.01' }, /^invalid --failure-rate/],
    ['--max-attempts', { maxAttempts: '0' }, /^invalid --max-attempts/]
  ]
  for (const [flag, flags, pattern] of bad) {
    it(`rejects a bad ${flag} (${JSON.stringify(Object.values(flags)[0])})`, () => {
      assertUsage(() => simOverrides(flags), pattern)
    })
  }
})

describe('runCli sim: usage errors exit 2 without running a simulation', () => {
  it('names a bad flag', async () => {
    const { code, out } = await run('--peers', 'abc')
    assert.equal(code, EXIT.USAGE)
    assert.equal(out.errors.length, 1)
    assert.match(out.errors[0] ?? '', /^swarm-node: invalid --peers "abc"/)
    assert.deepEqual(out.lines, [])
  })

  it('rejects a churn fraction above 1', async () => {
    const { code, out } = await run('--churn', '1.5')
    assert.equal(code, EXIT.USAGE)
    assert.match(out.errors[0] ?? '', /--churn/)
  })

  it('rejects values the scenario schema refuses, naming the field', async () => {
    const { code, out } = await run('--peers', '1')
    assert.equal(code, EXIT.USAGE)
    assert.match(out.errors[0] ?? '', /invalid scenario/)
    assert.match(out.errors[0] ?? '', /peers: /)
    const limit = await run('--duration-limit', '0s')
    assert.equal(limit.code, EXIT.USAGE)
    assert.match(limit.out.errors[0] ?? '', /durationLimitS/)
    const skills = await run('--skills-per-task', '9')
    assert.equal(skills.code, EXIT.USAGE)
    assert.match(skills.out.errors[0] ?? '', /tasks\.skillsPerTask \(9\) is more than the 5 skill names/)
  })

  it('rejects an unknown preset, listing the presets', async () => {
    const { code, out } = await run('--scenario', 'no-such-preset')
    assert.equal(code, EXIT.USAGE)
    assert.match(out.errors[0] ?? '', /no scenario preset "no-such-preset"/)
    assert.match(out.errors[0] ?? '', /baseline-100/)
  })

  it('rejects a scenario file that is missing or has bad fields', async () => {
    const missing = await run('--scenario', join(dir, 'missing.yaml'))
    assert.equal(missing.code, EXIT.USAGE)
    assert.match(missing.out.errors[0] ?? '', /cannot read scenario/)
    const file = join(dir, 'bad.yaml')
    writeFileSync(file, 'peers: 10\ntasks:\n  rate: -1\nchurn:\n  fraction: 3\n  bogus: true\n')
    const bad = await run('--scenario', file)
    assert.equal(bad.code, EXIT.USAGE)
    for (const pattern of [/tasks\.rate: /, /churn\.fraction: /, /churn: Unrecognized key: "bogus"/]) assert.match(bad.out.errors[0] ?? '', pattern)
  })

  it('rejects a flag that does not exist or lacks its value', async () => {
    assert.equal((await run('--bogus')).code, EXIT.USAGE)
    assert.equal((await run('--peers')).code, EXIT.USAGE)
  })

  it('lists the presets', async () => {
    const { code, out } = await run('--list-presets')
    assert.equal(code, EXIT.OK)
    assert.deepEqual(out.lines, presetNames())
    assert.ok(out.lines.includes('churn-100'))
  })

  it('shows its help', async () => {
    assert.equal((await run('--help')).code, EXIT.OK)
  })
})
