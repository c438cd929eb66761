import { afterAll, beforeAll, describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  HandlerConfigSchema,
  loadConfig,
  mergeConfig,
  parseConfig,
  parseSkillFlag,
  readConfigFile
} from '../src/config.js'
import { SwarmError } from '../src/errors.js'
import type { SwarmErrorCode } from '../src/errors.js'

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

/** The issue list a CONFIG_INVALID error carries in its details. */
function issuesOf (err: SwarmError): string[] {
  const issues = err.details.issues
  assert.ok(Array.isArray(issues))
  return issues.map(String)
}

let dir: string

beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'swarm-config-test-')) })
afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

/** Writes `text` to a fresh sub-folder of the temp dir and returns the file's path. */
function writeConfig (folder: string, name: string, text: string): string {
  const base = join(dir, folder)
  mkdirSync(base, { recursive: true })
  const path = join(base, name)
  writeFileSync(path, text)
  return path
}

describe('parseConfig', () => {
  it('fills in the defaults', () => {
    const config = parseConfig({ dataDir: '/var/lib/swarm' })
    assert.deepEqual(config.listen, ['/ip4/0.0.0.0/tcp/4001'])
    assert.deepEqual(config.api, { enabled: true, host: '127.0.0.1', port: 7400, public: false })
    assert.equal(config.mdns, true)
    assert.equal(config.dht, false)
    assert.equal(config.capacity, 4)
    assert.equal(config.network, 'swarm')
    assert.equal(config.dataDir, '/var/lib/swarm')
    assert.deepEqual(config.skills, [])
    assert.deepEqual(config.announce, [])
    assert.deepEqual(config.bootstrap, [])
    assert.equal(config.logLevel, 'info')
    assert.equal(config.logToStderr, false)
    assert.deepEqual(config.directory, { heartbeatMs: 15_000, ttlMs: 45_000, swarmHeartbeatsPerSecond: 10, joinFloodsPerSecond: 2 })
    assert.equal(config.name, undefined)
  })

  it('treats undefined and null as an empty configuration', () => {
    assert.equal(parseConfig(undefined).capacity, 4)
    assert.equal(parseConfig(null).network, 'swarm')
    assert.equal(typeof parseConfig(undefined).dataDir, 'string')
  })

  it('fills in the defaults of a skill', () => {
    const config = parseConfig({ skills: [{ name: 'analytics', level: 'expert' }] })
    const skill = config.skills[0]
    assert.ok(skill !== undefined)
    assert.equal(skill.name, 'analytics')
    assert.equal(skill.level, 'expert')
    assert.equal(skill.successRate, 1)
    assert.equal(skill.avgCompletionMs, 1000)
    assert.deepEqual(skill.inputModes, ['application/json'])
    assert.equal(skill.handler, undefined)
  })

  it('keeps the given values of a nested object and defaults the others', () => {
    const config = parseConfig({ api: { port: 0 }, capacity: 0, mdns: false })
    assert.deepEqual(config.api, { enabled: true, host: '127.0.0.1', port: 0, public: false })
    assert.equal(config.capacity, 0)
    assert.equal(config.mdns, false)
  })

  it('names the path of a bad skill level', () => {
    const err = assertSwarmError(() => parseConfig({ skills: [{ name: 'analytics', level: 'guru' }] }), 'CONFIG_INVALID', /skills\.0\.level/)
    assert.ok(issuesOf(err).some(issue => issue.startsWith('skills.0.level:')))
  })

  it('names the path of a bad api port', () => {
    assertSwarmError(() => parseConfig({ api: { port: 70_000 } }), 'CONFIG_INVALID', /api\.port/)
    assertSwarmError(() => parseConfig({ api: { port: 'abc' } }), 'CONFIG_INVALID', /api\.port/)
  })

  it('keeps the control API on loopback unless it is made public explicitly', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost']) assert.equal(parseConfig({ api: { host } }).api.host, host)
    for (const host of ['0.0.0.0', '192.168.1.5', '::', 'example.org']) {
      assertSwarmError(() => parseConfig({ api: { host } }), 'CONFIG_INVALID', /api\.host: .*loopback.*api\.public/)
    }
    assert.equal(parseConfig({ api: { host: '0.0.0.0', public: true } }).api.public, true)
  })

  it('rejects an unknown top-level key', () => {
    assertSwarmError(() => parseConfig({ capacty: 4 }), 'CONFIG_INVALID', /capacty/)
  })

  it('rejects an unknown key inside a nested object', () => {
    assertSwarmError(() => parseConfig({ api: { prot: 1 } }), 'CONFIG_INVALID', /prot/)
  })

  it('names every bad field at once', () => {
    const err = assertSwarmError(
      () => parseConfig({ capacity: -1, network: 'Bad Network', listen: ['tcp/4001'] }),
      'CONFIG_INVALID', /capacity/, /network/, /listen\.0/)
    assert.equal(issuesOf(err).length, 3)
  })

  it('names the source in the message', () => {
    assertSwarmError(() => parseConfig({ capacity: 'x' }, 'config file /etc/swarm.yaml'), 'CONFIG_INVALID', /^invalid config file \/etc\/swarm\.yaml:/)
    assertSwarmError(() => parseConfig({ capacity: 'x' }), 'CONFIG_INVALID', /^invalid configuration:/)
  })

  it('rejects a bad skill name and a bad log level', () => {
    assertSwarmError(() => parseConfig({ skills: [{ name: 'Data Viz', level: 'novice' }] }), 'CONFIG_INVALID', /skills\.0\.name/)
    assertSwarmError(() => parseConfig({ logLevel: 'verbose' }), 'CONFIG_INVALID', /logLevel/)
  })
})

describe('handler schemas', () => {
  it('accepts an exec handler and fills in its defaults', () => {
    const handler = HandlerConfigSchema.parse({ kind: 'exec', command: 'python3' })
    assert.deepEqual(handler, { kind: 'exec', command: 'python3', args: [], env: {}, passEnv: [], timeoutMs: 60_000 })
  })

  it('accepts an http handler and fills in its defaults', () => {
    const handler = HandlerConfigSchema.parse({ kind: 'http', url: 'http://127.0.0.1:8080/run' })
    assert.deepEqual(handler, { kind: 'http', url: 'http://127.0.0.1:8080/run', headers: {}, timeoutMs: 60_000 })
    assert.equal(HandlerConfigSchema.safeParse({ kind: 'http', url: 'https://example.com/a', headers: { 'x-key': 'k' } }).success, true)
  })

  it('accepts a module handler and fills in its defaults', () => {
    const handler = HandlerConfigSchema.parse({ kind: 'module', path: '/opt/h.js' })
    assert.deepEqual(handler, { kind: 'module', path: '/opt/h.js', export: 'default', timeoutMs: 60_000 })
  })

  it('rejects bad handlers', () => {
    const bad: unknown[] = [
      { kind: 'exec', command: '' },
      { kind: 'exec', command: 'x', args: 'a b' },
      { kind: 'exec', command: 'x', shell: true },
      { kind: 'exec', command: 'x', timeoutMs: 0 },
      { kind: 'http', url: 'ftp://example.com/x' },
      { kind: 'http', url: 'not a url' },
      { kind: 'module' },
      { kind: 'module', path: '' },
      { kind: 'grpc', url: 'http://x' },
      { command: 'x' }
    ]
    for (const handler of bad) {
      assert.equal(HandlerConfigSchema.safeParse(handler).success, false, JSON.stringify(handler))
    }
  })

  it('names the path of a bad handler field inside a skill', () => {
    assertSwarmError(
      () => parseConfig({ skills: [{ name: 'a', level: 'novice' }, { name: 'b', level: 'novice', handler: { kind: 'http', url: 'ftp://x' } }] }),
      'CONFIG_INVALID', /skills\.1\.handler\.url/)
    assertSwarmError(
      () => parseConfig({ skills: [{ name: 'a', level: 'novice', handler: { kind: 'exec', command: '' } }] }),
      'CONFIG_INVALID', /skills\.0\.handler\.command/)
  })

  it('keeps a valid handler of a skill', () => {
    const config = parseConfig({ skills: [{ name: 'a', level: 'novice', handler: { kind: 'exec', command: 'wc', args: ['-l'] } }] })
    assert.deepEqual(config.skills[0]?.handler, { kind: 'exec', command: 'wc', args: ['-l'], env: {}, passEnv: [], timeoutMs: 60_000 })
  })
})

describe('readConfigFile', () => {
  it('reads YAML and resolves relative paths against the file folder', () => {
    const path = writeConfig('yaml', 'swarm.yaml', [
      'name: agent-a',
      'dataDir: ./data',
      'capacity: 2',
      'skills:',
      '  - name: analytics',
      '    level: expert',
      '    handler:',
      '      kind: module',
      '      path: handlers/analytics.js',
      '  - name: shell',
      '    level: novice',
      '    handler:',
      '      kind: exec',
      '      command: ./run.sh',
      '      cwd: work',
      '  - name: tool',
      '    level: novice',
      '    handler:',
      '      kind: exec',
      '      command: python3',
      '      cwd: /srv/tool',
      ''
    ].join('\n'))
    const base = join(dir, 'yaml')
    const config = readConfigFile(path)
    assert.equal(config.name, 'agent-a')
    assert.equal(config.capacity, 2)
    assert.equal(config.dataDir, join(base, 'data'))
    assert.deepEqual(config.skills, [
      { name: 'analytics', level: 'expert', handler: { kind: 'module', path: join(base, 'handlers/analytics.js') } },
      { name: 'shell', level: 'novice', handler: { kind: 'exec', command: join(base, 'run.sh'), cwd: join(base, 'work') } },
      { name: 'tool', level: 'novice', handler: { kind: 'exec', command: 'python3', cwd: '/srv/tool' } }
    ])
  })

  it('reads JSON and resolves relative paths against the file folder', () => {
    const path = writeConfig('json', 'swarm.json', JSON.stringify({
      dataDir: '../state',
      api: { port: 7401 },
      skills: [{ name: 'viz', level: 'advanced', handler: { kind: 'module', path: './viz.js', export: 'run' } }]
    }))
    const config = readConfigFile(path)
    assert.equal(config.dataDir, join(dir, 'state'))
    assert.deepEqual(config.api, { port: 7401 })
    assert.deepEqual(config.skills, [{ name: 'viz', level: 'advanced', handler: { kind: 'module', path: join(dir, 'json', 'viz.js'), export: 'run' } }])
  })

  it('keeps an absolute dataDir', () => {
    const path = writeConfig('abs', 'swarm.yaml', 'dataDir: /var/lib/swarm\n')
    assert.equal(readConfigFile(path).dataDir, '/var/lib/swarm')
  })

  it('reads an empty file as no settings', () => {
    const path = writeConfig('empty', 'swarm.yaml', '')
    assert.deepEqual(readConfigFile(path), {})
  })

  it('gives CONFIG_NOT_FOUND for a missing file', () => {
    const missing = join(dir, 'nope', 'swarm.yaml')
    const err = assertSwarmError(() => readConfigFile(missing), 'CONFIG_NOT_FOUND', /cannot read config file/)
    assert.ok(err.message.includes(missing))
    assert.equal(err.details.path, missing)
  })

  it('gives CONFIG_INVALID for a file that is not an object of settings', () => {
    for (const [name, text] of [['list.yaml', '- a\n- b\n'], ['number.json', '42'], ['string.yaml', 'just words']]) {
      const path = writeConfig('nonobject', name ?? 'x', text ?? '')
      assertSwarmError(() => readConfigFile(path), 'CONFIG_INVALID', /must hold an object of settings/)
    }
  })

  it('gives CONFIG_INVALID for a file that is not YAML', () => {
    const path = writeConfig('broken', 'swarm.yaml', 'skills: [1, 2\n')
    assertSwarmError(() => readConfigFile(path), 'CONFIG_INVALID', /not valid YAML or JSON/)
  })
})

describe('mergeConfig', () => {
  it('replaces scalars and arrays, keeps the rest', () => {
    const merged = mergeConfig(
      { capacity: 2, network: 'lab', listen: ['/ip4/0.0.0.0/tcp/4001'] },
      { capacity: 8, listen: ['/ip4/0.0.0.0/tcp/4002', '/ip4/0.0.0.0/tcp/4003'] })
    assert.deepEqual(merged, { capacity: 8, network: 'lab', listen: ['/ip4/0.0.0.0/tcp/4002', '/ip4/0.0.0.0/tcp/4003'] })
  })

  it('ignores undefined overrides', () => {
    assert.deepEqual(mergeConfig({ capacity: 2 }, { capacity: undefined, name: undefined }), { capacity: 2 })
  })

  it('merges nested objects', () => {
    const merged = mergeConfig({ api: { host: '127.0.0.1', port: 7400 }, gossip: { D: 8 } }, { api: { port: 0 } })
    assert.deepEqual(merged, { api: { host: '127.0.0.1', port: 0 }, gossip: { D: 8 } })
  })

  it('merges skills by name', () => {
    const handler = { kind: 'exec', command: 'wc' }
    const merged = mergeConfig(
      { skills: [{ name: 'a', level: 'novice', handler }, { name: 'b', level: 'expert' }] },
      { skills: [{ name: 'a', level: 'expert' }, { name: 'c', level: 'advanced' }] })
    assert.deepEqual(merged.skills, [
      { name: 'a', level: 'expert', handler },
      { name: 'b', level: 'expert' },
      { name: 'c', level: 'advanced' }
    ])
  })

  it('takes the override skills when the base has none', () => {
    assert.deepEqual(mergeConfig({}, { skills: [{ name: 'a', level: 'novice' }] }), { skills: [{ name: 'a', level: 'novice' }] })
  })

  it('does not change its inputs', () => {
    const base = { api: { port: 1 }, skills: [{ name: 'a', level: 'novice' }] }
    const overrides = { api: { port: 2 }, skills: [{ name: 'a', level: 'expert' }] }
    const baseCopy = structuredClone(base)
    const overridesCopy = structuredClone(overrides)
    mergeConfig(base, overrides)
    assert.deepEqual(base, baseCopy)
    assert.deepEqual(overrides, overridesCopy)
  })
})

describe('loadConfig', () => {
  it('applies overrides over the file over the defaults', () => {
    const path = writeConfig('load', 'swarm.yaml', [
      'network: lab',
      'capacity: 2',
      'dataDir: ./data',
      'api:',
      '  port: 7500',
      '  host: 127.0.0.1',
      'skills:',
      '  - name: analytics',
      '    level: novice',
      '    handler: { kind: module, path: ./a.js }',
      '  - name: viz',
      '    level: advanced',
      ''
    ].join('\n'))
    const config = loadConfig(path, { capacity: 8, api: { port: 0 }, skills: [{ name: 'analytics', level: 'expert' }] })
    assert.equal(config.network, 'lab')
    assert.equal(config.capacity, 8)
    assert.deepEqual(config.api, { enabled: true, host: '127.0.0.1', port: 0, public: false })
    assert.equal(config.dataDir, join(dir, 'load', 'data'))
    assert.equal(config.mdns, true)
    assert.deepEqual(config.skills.map(s => [s.name, s.level, s.handler?.kind]), [['analytics', 'expert', 'module'], ['viz', 'advanced', undefined]])
    assert.deepEqual(config.skills[0]?.handler, { kind: 'module', path: join(dir, 'load', 'a.js'), export: 'default', timeoutMs: 60_000 })
  })

  it('works without a file', () => {
    const config = loadConfig(undefined, { capacity: 3, dataDir: '/tmp/swarm-x' })
    assert.equal(config.capacity, 3)
    assert.equal(config.dataDir, '/tmp/swarm-x')
    assert.equal(loadConfig(undefined).api.port, 7400)
  })

  it('names the file and the field of a bad value', () => {
    const path = writeConfig('load-bad', 'swarm.yaml', 'capacity: many\n')
    const err = assertSwarmError(() => loadConfig(path), 'CONFIG_INVALID', /capacity/)
    assert.ok(err.message.startsWith(`invalid config file ${path}:`), err.message)
  })

  it('validates the overrides too', () => {
    assertSwarmError(() => loadConfig(undefined, { api: { port: -1 } }), 'CONFIG_INVALID', /api\.port/)
  })

  it('gives CONFIG_NOT_FOUND for a missing file', () => {
    assertSwarmError(() => loadConfig(join(dir, 'missing.yaml')), 'CONFIG_NOT_FOUND')
  })
})

describe('parseSkillFlag', () => {
  it('parses name:level', () => {
    assert.deepEqual(parseSkillFlag('analytics:expert'), { name: 'analytics', level: 'expert' })
    assert.deepEqual(parseSkillFlag('data.viz-2_b:novice'), { name: 'data.viz-2_b', level: 'novice' })
  })

  it('defaults the level to intermediate', () => {
    assert.deepEqual(parseSkillFlag('analytics'), { name: 'analytics', level: 'intermediate' })
  })

  it('rejects a bad level with a message showing the expected form', () => {
    assertSwarmError(() => parseSkillFlag('analytics:guru'), 'CONFIG_INVALID', /analytics:guru/, /expected name:level/, /novice, intermediate, advanced or expert/)
    assertSwarmError(() => parseSkillFlag('analytics:'), 'CONFIG_INVALID', /expected name:level/)
  })

  it('rejects a bad name', () => {
    for (const flag of ['Analytics:expert', 'data viz', ':expert', '', '-a:novice']) {
      assertSwarmError(() => parseSkillFlag(flag), 'CONFIG_INVALID', /expected name:level/)
    }
  })

  it('rejects more than one colon', () => {
    assertSwarmError(() => parseSkillFlag('a:b:c'), 'CONFIG_INVALID', /"a:b:c"/)
    assertSwarmError(() => parseSkillFlag('a:expert:x'), 'CONFIG_INVALID')
  })
})

describe('start-time checks of skills', () => {
  it('refuses a skill declared twice, naming both entries', () => {
    assertSwarmError(() => parseConfig({ skills: [{ name: 'viz', level: 'expert' }, { name: 'chart', level: 'novice' }, { name: 'viz', level: 'novice' }] }),
      'CONFIG_INVALID', /skills\.2\.name: the skill "viz" is declared twice \(skills\.0 and skills\.2\)/)
  })

  it('refuses an exec handler whose program cannot be run, naming the skill and the field', async () => {
    const { checkExecPrograms } = await import('../src/executor/program-check.js')
    const script = writeConfig('programs', 'tool.sh', '#!/bin/sh\necho {}\n')
    const notExecutable = writeConfig('programs', 'plain.txt', 'x')
    const { chmodSync } = await import('node:fs')
    chmodSync(script, 0o755)
    const config = (command: string): ReturnType<typeof parseConfig> => parseConfig({ skills: [{ name: 'ok', level: 'novice' }, { name: 'viz', level: 'novice', handler: { kind: 'exec', command } }] })
    checkExecPrograms(config(script))
    checkExecPrograms(config('sh'))
    assertSwarmError(() => { checkExecPrograms(config('/nonexistent/prog')) }, 'CONFIG_INVALID', /^skills\.1\.handler\.command: the program "\/nonexistent\/prog" of skill viz cannot be run \(no executable file there\)/)
    assertSwarmError(() => { checkExecPrograms(config(notExecutable)) }, 'CONFIG_INVALID', /chmod \+x/)
    assertSwarmError(() => { checkExecPrograms(config('no-such-program-anywhere')) }, 'CONFIG_INVALID', /not found on PATH/)
  })
})

describe('config: a2a', () => {
  it('is off by default, with token auth', () => {
    const { a2a } = parseConfig({})
    assert.equal(a2a.listen, undefined)
    assert.equal(a2a.auth, 'token')
  })

  it('takes a multiaddr of a host and a TCP port, and refuses anything else', () => {
    assert.equal(parseConfig({ a2a: { listen: '/ip4/127.0.0.1/tcp/7600' } }).a2a.listen, '/ip4/127.0.0.1/tcp/7600')
    for (const listen of ['127.0.0.1:7600', '/ip4/127.0.0.1/udp/7600', '/ip4/127.0.0.1']) {
      assertSwarmError(() => parseConfig({ a2a: { listen } }), 'CONFIG_INVALID', /a2a\.listen: .*\/ip4\/127\.0\.0\.1\/tcp\/7600/)
    }
  })

  it('allows auth none on loopback only', () => {
    assert.equal(parseConfig({ a2a: { listen: '/ip4/127.0.0.1/tcp/0', auth: 'none' } }).a2a.auth, 'none')
    assert.equal(parseConfig({ a2a: { listen: '/ip6/::1/tcp/0', auth: 'none' } }).a2a.auth, 'none')
    assertSwarmError(() => parseConfig({ a2a: { listen: '/ip4/0.0.0.0/tcp/7600', auth: 'none' } }), 'CONFIG_INVALID', /a2a\.auth: .*loopback/)
  })
})
