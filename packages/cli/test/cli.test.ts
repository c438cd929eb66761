import { afterAll, beforeAll, describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CommanderError } from 'commander'
import { EXIT } from '../src/exit-codes.js'
import { buildProgram } from '../src/main.js'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { capture, runCaptured } from './helpers.js'
import type { CapturingOutput } from './helpers.js'

/** Runs the CLI as `swarm-node ...args`, capturing its output. */
async function run (...args: string[]): Promise<{ code: number, out: CapturingOutput }> {
  return await runCaptured(args)
}

let dir: string

beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'swarm-cli-test-')) })
afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

function freshDir (name: string): string {
  const path = join(dir, name)
  mkdirSync(path, { recursive: true })
  return path
}

describe('runCli: usage', () => {
  it('returns 0 for --help and --version', async () => {
    assert.equal((await run('--help')).code, EXIT.OK)
    assert.equal((await run('--version')).code, EXIT.OK)
    assert.equal((await run('start', '--help')).code, EXIT.OK)
  })

  it('prints the version for -v, --version and the version command', async () => {
    for (const args of [['-v'], ['--version']]) {
      const writes: string[] = []
      const write = process.stdout.write.bind(process.stdout)
      process.stdout.write = ((chunk: string | Uint8Array) => { writes.push(String(chunk)); return true })
      try {
        assert.equal((await run(...args)).code, EXIT.OK)
      } finally {
        process.stdout.write = write
      }
      assert.deepEqual(writes, ['0.1.0\n'], args.join(' '))
    }
    const text = await run('version')
    assert.equal(text.code, EXIT.OK)
    assert.match(text.out.lines[0] ?? '', /^swarm-node 0\.1\.0 \(protocol 1, Node\.js \d+\.\d+\.\d+, \w+-\w+\)$/)
    const json = await run('version', '--json')
    assert.deepEqual(Object.keys(json.out.jsons[0] as object), ['name', 'version', 'protocol', 'node', 'platform'])
  })

  it('gives errors as one JSON object on stdout with --json, and nothing on stderr', async () => {
    const unreachable = await run('status', '--json', '--api', 'http://127.0.0.1:9', '--token', 't')
    assert.equal(unreachable.code, EXIT.UNREACHABLE)
    assert.deepEqual(unreachable.out.errors, [])
    const error = (unreachable.out.jsons[0] as { error: { code: string, message: string, exitCode: number } }).error
    assert.equal(error.code, 'UNREACHABLE')
    assert.equal(error.exitCode, EXIT.UNREACHABLE)
    assert.match(error.message, /cannot reach the node at http:\/\/127\.0\.0\.1:9/)
    assert.deepEqual(Object.keys(error), ['code', 'message', 'exitCode'])
    // Without --json: the usual line on stderr.
    const plain = await run('status', '--api', 'http://127.0.0.1:9', '--token', 't')
    assert.deepEqual(plain.out.jsons, [])
    assert.match(plain.out.errors.join('\n'), /^swarm-node: cannot reach the node/)
  })

  it('documents every exit code in --help, 70 and 130 included', async () => {
    const writes: string[] = []
    const write = process.stdout.write.bind(process.stdout)
    process.stdout.write = ((chunk: string | Uint8Array) => { writes.push(String(chunk)); return true })
    try {
      await run('--help')
    } finally {
      process.stdout.write = write
    }
    const help = writes.join('')
    for (const code of ['0', '1', '2', '3', '4', '5', '6', '70', '130']) assert.match(help, new RegExp(`^  ${code} `, 'm'), code)
  })

  it('returns 2 for an unknown option', async () => {
    assert.equal((await run('--bogus')).code, EXIT.USAGE)
    assert.equal((await run('status', '--bogus')).code, EXIT.USAGE)
  })

  it('returns 2 for an unknown command', async () => {
    assert.equal((await run('fly')).code, EXIT.USAGE)
  })

  it('returns 2 for an option without its value', async () => {
    assert.equal((await run('start', '--api-port')).code, EXIT.USAGE)
  })
})

describe('runCli: start with bad flags (never starts a node)', () => {
  it('returns 2 for a bad --api-port, naming the flag', async () => {
    const { code, out } = await run('start', '--api-port', 'abc')
    assert.equal(code, EXIT.USAGE)
    assert.equal(out.errors.length, 1)
    assert.match(out.errors[0] ?? '', /^swarm-node: invalid --api-port "abc"/)
    assert.deepEqual(out.lines, [])
  })

  it('returns 2 for a bad --capacity', async () => {
    const { code, out } = await run('start', '--capacity', '0')
    assert.equal(code, EXIT.USAGE)
    assert.match(out.errors[0] ?? '', /--capacity/)
  })

  it('returns 2 for a bad --skill, showing the expected form', async () => {
    const { code, out } = await run('start', '--skill', 'analytics:expert', '--skill', 'bad:level')
    assert.equal(code, EXIT.USAGE)
    assert.match(out.errors[0] ?? '', /bad:level/)
    assert.match(out.errors[0] ?? '', /expected name:level/)
  })

  it('returns 2 for a bad --log-level', async () => {
    assert.equal((await run('start', '--log-level', 'loud')).code, EXIT.USAGE)
  })

  it('returns 2 for a missing config file', async () => {
    const { code, out } = await run('start', '--config', '/nonexistent.yaml')
    assert.equal(code, EXIT.USAGE)
    assert.match(out.errors[0] ?? '', /cannot read config file \/nonexistent\.yaml/)
  })

  it('returns 2 for a config file with a bad field, naming the field', async () => {
    const path = join(freshDir('bad-config'), 'swarm.yaml')
    writeFileSync(path, 'capacity: -1\nskills:\n  - name: a\n    level: guru\n')
    const { code, out } = await run('start', '--config', path)
    assert.equal(code, EXIT.USAGE)
    assert.match(out.errors[0] ?? '', /capacity/)
    assert.match(out.errors[0] ?? '', /skills\.0\.level/)
  })

  it('returns 2 for a bad --network', async () => {
    const { code, out } = await run('start', '--network', 'Not Valid', '--data-dir', freshDir('bad-network'))
    assert.equal(code, EXIT.USAGE)
    assert.match(out.errors[0] ?? '', /network/)
  })
})

describe('runCli: inspecting without a node', () => {
  it('returns 3 for an empty data directory and tells to start a node', async () => {
    const empty = freshDir('empty')
    const { code, out } = await run('status', '--data-dir', empty)
    assert.equal(code, EXIT.UNREACHABLE)
    assert.ok((out.errors[0] ?? '').includes(empty), out.errors[0])
    assert.match(out.errors[0] ?? '', /swarm-node start/)
  })

  it('returns 3 for peers and agents too', async () => {
    const empty = freshDir('empty-2')
    assert.equal((await run('peers', '--data-dir', empty)).code, EXIT.UNREACHABLE)
    assert.equal((await run('agents', '--data-dir', empty)).code, EXIT.UNREACHABLE)
  })

  it('returns 3 for an unreadable api.json', async () => {
    const broken = freshDir('broken-info')
    writeFileSync(join(broken, 'api.json'), '{"url": "http://127.0.0.1:7')
    writeFileSync(join(broken, 'api-token'), 'some-token-0123456789\n')
    const { code, out } = await run('status', '--data-dir', broken)
    assert.equal(code, EXIT.UNREACHABLE)
    assert.match(out.errors[0] ?? '', /api\.json or the API token beside it is unreadable/)
  })

  it('returns 3 when the API is unreachable', async () => {
    const { code, out } = await run('status', '--api', 'http://127.0.0.1:1', '--token', 'x')
    assert.equal(code, EXIT.UNREACHABLE)
    assert.match(out.errors[0] ?? '', /cannot reach the node at http:\/\/127\.0\.0\.1:1/)
  })

  it('returns 2 for --api without any token', async () => {
    const saved = process.env.SWARM_API_TOKEN
    delete process.env.SWARM_API_TOKEN
    try {
      const { code, out } = await run('status', '--api', 'http://127.0.0.1:1', '--data-dir', freshDir('no-token'))
      assert.equal(code, EXIT.USAGE)
      assert.match(out.errors[0] ?? '', /--token/)
    } finally {
      if (saved !== undefined) process.env.SWARM_API_TOKEN = saved
    }
  })
})

describe('runCli: inspecting a node', () => {
  const TOKEN = 'cli-test-token-0123456789'
  const STATUS = {
    peerId: '12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK',
    name: 'agent-a',
    network: 'lab',
    software: { name: 'swarm-node', version: '0.1.0' },
    uptimeMs: 61_000,
    addrs: ['/ip4/127.0.0.1/tcp/4001'],
    api: null,
    dataDir: '/tmp/x',
    connections: 2,
    peers: 2,
    agents: 3,
    capacity: 4,
    load: 1,
    skills: [{ name: 'analytics', level: 'expert', successRate: 1, avgCompletionMs: 1000 }]
  }
  let server: Server
  let apiUrl: string
  let dataDir: string

  beforeAll(async () => {
    server = createServer((req, res) => {
      const send = (status: number, value: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' })
        res.end(JSON.stringify(value))
      }
      if (req.headers.authorization !== `Bearer ${TOKEN}`) {
        send(401, { error: { code: 'API_UNAUTHORIZED', message: 'missing or wrong bearer token' } })
      } else if (req.url === '/v1/status') {
        send(200, STATUS)
      } else if (req.url === '/v1/peers') {
        send(200, { peers: [] })
      } else if (req.url?.startsWith('/v1/agents') === true) {
        send(500, { error: { code: 'INTERNAL', message: 'directory exploded' } })
      } else {
        send(404, { error: { code: 'NOT_FOUND', message: 'no such endpoint' } })
      }
    })
    await new Promise<void>(resolve => { server.listen(0, '127.0.0.1', () => { resolve() }) })
    apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    dataDir = freshDir('running')
    writeFileSync(join(dataDir, 'api.json'), JSON.stringify({ url: apiUrl, peerId: STATUS.peerId, pid: process.pid }))
    writeFileSync(join(dataDir, 'api-token'), TOKEN + '\n')
  })

  afterAll(async () => {
    server.closeAllConnections()
    await new Promise<void>(resolve => { server.close(() => { resolve() }) })
  })

  it('finds the node through its data directory and prints its status', async () => {
    const { code, out } = await run('status', '--data-dir', dataDir)
    assert.equal(code, EXIT.OK, out.errors.join('\n'))
    assert.equal(out.lines[0], `agent-a  ${STATUS.peerId}`)
    assert.ok(out.lines.some(l => /network\s+lab/.test(l)), out.lines.join('\n'))
    assert.ok(out.lines.some(l => /skills\s+analytics:expert/.test(l)), out.lines.join('\n'))
    assert.ok(out.lines.some(l => /load\s+1\/4/.test(l)), out.lines.join('\n'))
  })

  it('prints JSON with --json', async () => {
    const { code, out } = await run('status', '--data-dir', dataDir, '--json')
    assert.equal(code, EXIT.OK)
    assert.deepEqual(out.jsons, [STATUS])
    assert.deepEqual(out.lines, [])
  })

  it('talks to --api with --token', async () => {
    const { code, out } = await run('peers', '--api', apiUrl + '/', '--token', TOKEN)
    assert.equal(code, EXIT.OK)
    assert.deepEqual(out.lines, ['no connected peers'])
  })

  it('returns 3 when the node refuses the token', async () => {
    const { code, out } = await run('status', '--data-dir', dataDir, '--token', 'wrong')
    assert.equal(code, EXIT.UNREACHABLE)
    assert.match(out.errors[0] ?? '', /refused the API token/)
  })

  it('returns 1 with the node message when a request fails', async () => {
    const { code, out } = await run('agents', '--data-dir', dataDir)
    assert.equal(code, EXIT.FAILURE)
    assert.match(out.errors[0] ?? '', /directory exploded \(INTERNAL\)/)
  })

  it('returns 2 for a bad agents --skill filter', async () => {
    const { code, out } = await run('agents', '--data-dir', dataDir, '--skill', 'a:guru')
    assert.equal(code, EXIT.USAGE)
    assert.match(out.errors[0] ?? '', /invalid --skill "a:guru"/)
  })
})

describe('buildProgram', () => {
  it('documents the commands and the exit codes in --help', async () => {
    const result = { code: 0 }
    const program = buildProgram(capture(), result)
    let help = ''
    program.configureOutput({ writeOut: s => { help += s }, writeErr: s => { help += s } })
    await assert.rejects(program.parseAsync(['node', 'swarm-node', '--help']), (err: unknown) => {
      assert.ok(err instanceof CommanderError)
      assert.equal(err.code, 'commander.helpDisplayed')
      return true
    })
    for (const word of ['start', 'status', 'peers', 'agents', 'announce', 'tasks', 'task', 'cancel', 'Exit codes', '3  no running node reachable']) {
      assert.ok(help.includes(word), `help mentions ${word}:\n${help}`)
    }
  })
})
