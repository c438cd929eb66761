/**
 * `swarm-node task <id> --wait` against a fake node: it follows the task's event stream like
 * `announce --wait` (same lines, same exit codes), gives up at --timeout, and refuses what it
 * cannot follow (a task this node only worked on as a member, --role member, --timeout alone).
 */
import { afterAll, beforeAll, describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ApiClient } from '../src/api-client.js'
import { followTask } from '../src/commands/follow.js'
import { CliError, EXIT } from '../src/exit-codes.js'
import { capture, runCaptured } from './helpers.js'
import type { Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { CapturingOutput } from './helpers.js'

const TOKEN = 'wait-token'
const PEER = '12D3KooWDpJ7As7BWAwRMfu1VU8WsG8Qb7uwYKswXrNS3RNA6XX3'
const ANNOUNCER = '12D3KooWQYhTNQdmr3ArTeUHRYzFg8g1iNTcrYNKXpaD6NwM8q4G'

function outcome (status: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { taskId: 'T', status, ok: status === 'COMPLETE', attempts: 1, timings: { createdAt: 1000, finishedAt: 2000, totalMs: 1000 }, ...extra }
}

/** A task detail as `GET /v1/tasks/:id` answers it. */
function detail (taskId: string, status: string, role: 'announcer' | 'member' = 'announcer'): Record<string, unknown> {
  const now = Date.now()
  const summary = { taskId, status, description: 'Analyze', skills: [{ name: 'analytics', minLevel: 'advanced', count: 1 }], createdAt: now, updatedAt: now, durationMs: 0, attempts: 1, maxAttempts: 1, members: [], ...(role === 'member' ? { announcer: ANNOUNCER } : {}) }
  return {
    task: {
      taskId,
      role,
      status,
      createdAt: now,
      updatedAt: now,
      spec: role === 'announcer' ? { description: 'Analyze', skills: [], deadlineMs: 60_000 } : {},
      state: { status, attempt: 1, maxAttempts: 1, members: [], history: [] },
      summary
    },
    audit: []
  }
}

/** What the fake node streams per task id, and whether it then ends the stream. */
const SCRIPTS: Record<string, { status: string, role?: 'member', events: Array<Record<string, unknown>>, end: boolean }> = {
  running: {
    status: 'RUNNING',
    end: true,
    events: [
      { type: 'formed', groupId: 'G', members: [{ peerId: PEER, skills: ['analytics'] }], formationMs: 12 },
      { type: 'member-result', peerId: PEER, skill: 'analytics', ok: true, durationMs: 30 },
      { type: 'completed', outcome: outcome('COMPLETE', { output: { analytics: { mean: 2 } } }) }
    ]
  },
  failed: { status: 'FAILED', end: true, events: [{ type: 'failed', outcome: outcome('FAILED', { reason: 'deadline passed' }) }] },
  rejected: { status: 'REJECTED', end: true, events: [{ type: 'rejected', outcome: outcome('REJECTED', { reason: 'nobody offered' }) }] },
  stuck: { status: 'RUNNING', end: false, events: [{ type: 'started', groupId: 'G' }] },
  worked: { status: 'RUNNING', role: 'member', end: true, events: [] },
  verified: {
    status: 'RUNNING',
    end: true,
    events: [
      { type: 'state', from: 'RUNNING', to: 'COMPLETE' },
      { type: 'state', from: 'COMPLETE', to: 'VERIFIED', reason: 'the group approved the result (majority)' },
      { type: 'completed', outcome: outcome('VERIFIED', { ok: true, output: { analytics: 1 } }) }
    ]
  }
}

/** The verification proposal of task `verified`, decided, with the group's votes. */
const VERIFICATION = {
  proposalId: 'V1',
  taskId: 'verified',
  groupId: 'G',
  action: 'verify the result of task verified (attempt 1)',
  quorum: { kind: 'majority' },
  minParticipation: 0.5,
  voters: [PEER, ANNOUNCER],
  deadline: Date.now() + 30_000,
  proposer: ANNOUNCER,
  openedAt: Date.now(),
  status: 'decided',
  votes: [{ voter: PEER, choice: 'yes', confidence: 0.9, reason: 'numbers check out' }, { voter: ANNOUNCER, choice: 'yes', confidence: 1 }],
  tally: { outcome: 'approved', for: 2, against: 0, abstentions: 0, eligible: 2, participation: 1, weightedConfidence: 0.95 },
  outcome: 'approved'
}

describe('runCli: task <id> --wait against a node', () => {
  let dir: string
  let server: Server
  let dataDir: string
  /** Every path the node was asked. */
  const asked: string[] = []

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'swarm-cli-wait-'))
    server = createServer((req, res: ServerResponse) => {
      const send = (status: number, value: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' })
        res.end(JSON.stringify(value))
      }
      if (req.headers.authorization !== `Bearer ${TOKEN}`) return send(401, { error: { code: 'API_UNAUTHORIZED', message: 'no' } })
      const url = req.url ?? ''
      asked.push(url)
      if (url === '/v1/agents') return send(200, { agents: [{ peerId: PEER, name: 'analyst' }] })
      if (url.startsWith('/v1/proposals?task=')) return send(200, { proposals: url.endsWith('=verified') ? [VERIFICATION] : [] })
      const events = /^\/v1\/tasks\/([^/]+)\/events$/.exec(url)
      const script = SCRIPTS[(events?.[1] ?? /^\/v1\/tasks\/([^/?]+)$/.exec(url)?.[1]) ?? '']
      if (script === undefined) return send(404, { error: { code: 'TASK_NOT_FOUND', message: `no task ${url} on this node` } })
      if (events === null) return send(200, detail(/^\/v1\/tasks\/([^/?]+)$/.exec(url)?.[1] ?? '', script.status, script.role))
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write(': hello\n\n')
      for (const e of script.events) res.write(`event: ${String(e.type)}\ndata: ${JSON.stringify({ taskId: events[1], at: Date.now(), ...e })}\n\n`)
      if (script.end) res.end()
    })
    await new Promise<void>(resolve => { server.listen(0, '127.0.0.1', () => { resolve() }) })
    dataDir = join(dir, 'node')
    mkdirSync(dataDir)
    writeFileSync(join(dataDir, 'api.json'), JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }))
    writeFileSync(join(dataDir, 'api-token'), TOKEN)
  })

  afterAll(async () => {
    server.closeAllConnections()
    await new Promise<void>(resolve => { server.close(() => { resolve() }) })
    rmSync(dir, { recursive: true, force: true })
  })

  async function run (...args: string[]): Promise<{ code: number, out: CapturingOutput }> {
    return await runCaptured([...args, '--data-dir', dataDir])
  }

  it('follows the task to its end with the lines of announce --wait, and exits 0 when it completed', async () => {
    const { code, out } = await run('task', 'running', '--wait')
    assert.equal(code, EXIT.OK, out.errors.join('\n'))
    assert.equal(out.lines[0], 'task running')
    assert.ok(out.lines.some(l => /^group formed\s+in 12ms: analyst \(analytics\)$/.test(l)), out.lines.join('\n'))
    assert.ok(out.lines.some(l => /^member result\s+analyst analytics done in 30ms$/.test(l)), out.lines.join('\n'))
    assert.ok(out.lines.some(l => /^completed\s+/.test(l)), out.lines.join('\n'))
    assert.ok(asked.includes('/v1/tasks/running') && asked.includes('/v1/tasks/running/events'))
  })

  it('--json prints the events as they are; the exit code is the final event\'s', async () => {
    const json = await run('task', 'running', '--wait', '--json')
    assert.equal(json.code, EXIT.OK)
    assert.deepEqual(json.out.jsons.map(e => (e as { type: string }).type), ['formed', 'member-result', 'completed'])
    assert.equal((await run('task', 'failed', '--wait')).code, EXIT.FAILURE)
    assert.equal((await run('task', 'rejected', '--wait', '--json')).code, EXIT.REJECTED)
  })

  it('gives up at --timeout with exit 5, saying the task goes on', async () => {
    const { code, out } = await run('task', 'stuck', '--wait', '--timeout', '200ms')
    assert.equal(code, EXIT.TIMEOUT)
    assert.match(out.errors.join('\n'), /gave up waiting for task stuck after 200ms; it goes on/)
  })

  it('with --verify shows the group\'s vote: the proposal, each vote with the tally, the decision, before the final line', async () => {
    const { code, out } = await run('task', 'verified', '--wait')
    assert.equal(code, EXIT.OK, out.errors.join('\n'))
    const from = out.lines.findIndex(l => l.startsWith('verification'))
    assert.ok(from > 0, out.lines.join('\n'))
    assert.deepEqual(out.lines.slice(from, from + 5), [
      'verification    proposal V1: 2 voters, quorum majority',
      `  vote      ${PEER.slice(0, 8)}…${PEER.slice(-6)} yes (0.9) — numbers check out`,
      `  vote      ${ANNOUNCER.slice(0, 8)}…${ANNOUNCER.slice(-6)} yes (1)`,
      '  tally     2 yes, 0 no, 0 abstain of 2',
      'vote decided    approved'
    ])
    assert.ok(out.lines.findIndex(l => l.startsWith('completed')) > from + 4, out.lines.join('\n'))
  })

  it('Ctrl-C stops following with exit 130, saying that the task goes on and how to follow it again', async () => {
    const client = new ApiClient({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: TOKEN })
    const interrupt = new AbortController()
    const out = capture()
    // Ctrl-C once the first event is printed.
    const line = out.line.bind(out)
    out.line = text => { line(text); if (text?.startsWith('started') === true) interrupt.abort() }
    await assert.rejects(followTask(client, 'stuck', { json: false, timeoutMs: 60_000, interrupt: interrupt.signal }, out), (err: unknown) => {
      assert.ok(err instanceof CliError)
      assert.equal(err.exitCode, EXIT.INTERRUPTED)
      assert.equal(err.exitCode, 130)
      assert.equal(err.message, 'stopped following task stuck; the task goes on: follow it again with "swarm-node task stuck --wait", or stop it with "swarm-node cancel stuck"')
      return true
    })
  })

  it('refuses what it cannot follow', async () => {
    const member = await run('task', 'worked', '--wait')
    assert.equal(member.code, EXIT.FAILURE)
    assert.match(member.out.errors.join('\n'), new RegExp(`as a group member, it did not announce it: run "swarm-node task worked --wait" on its announcer \\(${ANNOUNCER}\\)`))
    assert.ok(!asked.includes('/v1/tasks/worked/events'), 'a member row is not followed')
    const role = await run('task', 'running', '--wait', '--role', 'member')
    assert.equal(role.code, EXIT.USAGE)
    assert.match(role.out.errors.join('\n'), /--wait follows a task this node announced/)
    const alone = await run('task', 'running', '--timeout', '5s')
    assert.equal(alone.code, EXIT.USAGE)
    assert.match(alone.out.errors.join('\n'), /--timeout is how long --wait waits: add --wait/)
    const bad = await run('task', 'running', '--wait', '--timeout', 'soon')
    assert.equal(bad.code, EXIT.USAGE)
    const unknown = await run('task', 'nothing', '--wait')
    assert.equal(unknown.code, EXIT.FAILURE)
    assert.match(unknown.out.errors.join('\n'), /no task/)
  })
})
