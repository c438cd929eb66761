import { afterAll, beforeAll, describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildTaskSpec, parseSkillRequirement } from '../src/commands/announce.js'
import { execOverrides, startOverrides } from '../src/commands/start.js'
import { exitCodeOf } from '../src/commands/task-format.js'
import { EXIT } from '../src/exit-codes.js'
import { runCli } from '../src/main.js'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { assertUsage, capture, runCaptured } from './helpers.js'
import type { CapturingOutput } from './helpers.js'

let dir: string
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'swarm-cli-tasks-')) })
afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

describe('announce flags', () => {
  it('parses --skill name[:level[:count]]', () => {
    assert.deepEqual(parseSkillRequirement('analytics:advanced'), { name: 'analytics', minLevel: 'advanced', count: 1 })
    assert.deepEqual(parseSkillRequirement('viz:intermediate:2'), { name: 'viz', minLevel: 'intermediate', count: 2 })
    assert.deepEqual(parseSkillRequirement('viz'), { name: 'viz', minLevel: 'novice', count: 1 })
    assertUsage(() => parseSkillRequirement('viz:guru'), /invalid --skill "viz:guru"/, /unknown level/)
    assertUsage(() => parseSkillRequirement('viz:novice:0'), /count/)
    assertUsage(() => parseSkillRequirement('viz:novice:1.5'), /count/)
    assertUsage(() => parseSkillRequirement('Viz'), /name/)
    assertUsage(() => parseSkillRequirement('a:novice:1:2'), /too many/)
  })

  it('builds the spec from every flag', () => {
    const input = join(dir, 'in.json')
    writeFileSync(input, '{"values":[1,2]}')
    assert.deepEqual(buildTaskSpec('Analyze', {
      skill: ['analytics:advanced', 'viz:intermediate:2'],
      input,
      maxGroup: '3',
      priority: 'high',
      deadline: '2m',
      bidWindow: '250ms',
      retries: '0'
    }), {
      description: 'Analyze',
      skills: [{ name: 'analytics', minLevel: 'advanced', count: 1 }, { name: 'viz', minLevel: 'intermediate', count: 2 }],
      input: { values: [1, 2] },
      maxGroupSize: 3,
      priority: 'high',
      deadlineMs: 120_000,
      bidWindowMs: 250,
      maxAttempts: 1
    })
    assert.deepEqual(buildTaskSpec('x', { skill: ['a'], inputJson: '[1]', retries: '4' }), { description: 'x', skills: [{ name: 'a', minLevel: 'novice', count: 1 }], input: [1], maxAttempts: 5 })
  })

  it('refuses every bad flag with exit 2 naming it', () => {
    assertUsage(() => buildTaskSpec('x', {}), /--skill name:level/)
    assertUsage(() => buildTaskSpec('', { skill: ['a'] }), /description is empty/)
    assertUsage(() => buildTaskSpec('x', { skill: ['a', 'a:expert'] }), /--skill a is given twice/)
    assertUsage(() => buildTaskSpec('x', { skill: ['a'], priority: 'urgent' }), /invalid --priority "urgent": use one of low, normal, high, critical/)
    assertUsage(() => buildTaskSpec('x', { skill: ['a'], deadline: '50ms' }), /invalid --deadline "50ms": must be between/)
    assertUsage(() => buildTaskSpec('x', { skill: ['a'], deadline: 'soon' }), /invalid --deadline "soon"/)
    assertUsage(() => buildTaskSpec('x', { skill: ['a'], bidWindow: '61s' }), /invalid --bid-window/)
    assertUsage(() => buildTaskSpec('x', { skill: ['a'], maxGroup: '0' }), /invalid --max-group/)
    assertUsage(() => buildTaskSpec('x', { skill: ['a'], maxGroup: 'two' }), /invalid --max-group/)
    assertUsage(() => buildTaskSpec('x', { skill: ['a'], retries: '10' }), /invalid --retries/)
    assertUsage(() => buildTaskSpec('x', { skill: ['a'], input: join(dir, 'nope.json') }), /cannot read --input file/)
    const bad = join(dir, 'bad.json')
    writeFileSync(bad, '{"values": [1,')
    assertUsage(() => buildTaskSpec('x', { skill: ['a'], input: bad }), /--input file .* is not valid JSON/)
    assertUsage(() => buildTaskSpec('x', { skill: ['a'], inputJson: 'nope' }), /--input-json is not valid JSON/)
    assertUsage(() => buildTaskSpec('x', { skill: ['a'], inputJson: '1', input: bad }), /either --input .* or --input-json/)
  })
})

describe('start --exec', () => {
  it('binds an exec handler to a skill declared with --skill, splitting the command line without a shell', () => {
    const overrides = startOverrides({ mdns: true, skill: ['summarize:expert', 'viz:novice'], exec: ['summarize=python3 "my script.py" --fast'], handlerTimeout: '30s' })
    assert.deepEqual(overrides.skills, [
      { name: 'summarize', level: 'expert', handler: { kind: 'exec', command: 'python3', args: ['my script.py', '--fast'], timeoutMs: 30_000 } },
      { name: 'viz', level: 'novice' }
    ])
  })

  it('binds to a skill of the config file', () => {
    assert.deepEqual(execOverrides({ mdns: true, exec: ['analytics=/usr/bin/stats'] }, ['analytics']), [
      { name: 'analytics', handler: { kind: 'exec', command: '/usr/bin/stats', args: [] } }
    ])
  })

  it('refuses an undeclared skill, a bad command line, a duplicate and a stray --handler-timeout', () => {
    assertUsage(() => execOverrides({ mdns: true, skill: ['viz:novice'], exec: ['summarize=python3 s.py'] }), /add --skill summarize:<level>/)
    assertUsage(() => execOverrides({ mdns: true, skill: ['a:novice'], exec: ['a=cat | wc'] }), /invalid --exec/, /without a shell/)
    assertUsage(() => execOverrides({ mdns: true, skill: ['a:novice'], exec: ['a'] }), /no "="/)
    assertUsage(() => execOverrides({ mdns: true, skill: ['a:novice'], exec: ['a=x', 'a=y'] }), /given twice/)
    assertUsage(() => execOverrides({ mdns: true, skill: ['a:novice'], handlerTimeout: '1s' }), /--handler-timeout applies/)
    assertUsage(() => execOverrides({ mdns: true, skill: ['a:novice'], exec: ['a=x'], handlerTimeout: 'long' }), /--handler-timeout/)
  })
})

describe('exitCodeOf', () => {
  it('maps the final events to exit codes', () => {
    assert.equal(exitCodeOf({ type: 'completed' }), EXIT.OK)
    assert.equal(exitCodeOf({ type: 'rejected' }), EXIT.REJECTED)
    assert.equal(exitCodeOf({ type: 'failed' }), EXIT.FAILURE)
    assert.equal(exitCodeOf({ type: 'cancelled' }), EXIT.FAILURE)
    assert.equal(exitCodeOf({ type: 'offer' }), undefined)
  })
})

const TOKEN = 'tasks-test-token-0123456789'
const PEER = '12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK'

/** A task the node worked on as a member, as `GET /v1/tasks?role=member` lists it, created `ageMs` ago. */
function memberSummary (now: number, ageMs = 5000): Record<string, unknown> {
  return { taskId: 'worked-1', role: 'member', status: 'FAILED', description: 'Summarise', skills: [{ name: 'analytics', minLevel: 'novice', count: 1 }], createdAt: now - ageMs, updatedAt: now - ageMs + 2200, finishedAt: now - ageMs + 2200, durationMs: 2000, attempts: 1, maxAttempts: 1, members: [], announcer: PEER }
}
const MEMBER_CREATED = 1_000_000
const MEMBER_DETAIL = {
  task: {
    taskId: 'worked-1',
    role: 'member',
    status: 'FAILED',
    createdAt: MEMBER_CREATED,
    updatedAt: MEMBER_CREATED + 2200,
    announcer: PEER,
    groupId: 'group-worked-1',
    spec: {
      description: 'Summarise',
      priority: 'normal',
      deadline: MEMBER_CREATED + 60_000,
      announcer: PEER,
      attempt: 1,
      skills: ['analytics'],
      groupId: 'group-worked-1',
      offeredAt: MEMBER_CREATED,
      acceptedAt: MEMBER_CREATED + 100,
      startedAt: MEMBER_CREATED + 200,
      finishedAt: MEMBER_CREATED + 2200,
      durationMs: 2000,
      outcome: 'error',
      reason: 'analytics: HANDLER_CRASHED out of memory',
      parts: [{ skill: 'analytics', ok: false, durationMs: 1900, finishedAt: MEMBER_CREATED + 2100, error: { code: 'HANDLER_CRASHED', message: 'out of memory' } }]
    },
    state: { status: 'FAILED', attempt: 1, maxAttempts: 1, members: [{ peerId: PEER, skills: ['analytics'] }], reason: 'analytics: HANDLER_CRASHED out of memory', history: [] },
    summary: memberSummary(MEMBER_CREATED + 5000),
    outcome: { taskId: 'worked-1', status: 'FAILED', ok: false, attempts: 1, timings: { createdAt: MEMBER_CREATED, finishedAt: MEMBER_CREATED + 2200, totalMs: 2200 } },
    active: false
  },
  audit: []
}

function outcome (status: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { taskId: 'T', status, ok: status === 'COMPLETE', attempts: 1, timings: { createdAt: 1000, finishedAt: 2000, totalMs: 1000 }, ...extra }
}

/** What the fake node streams for a task id: events, and whether it then ends the stream. */
const SCRIPTS: Record<string, { events: Array<Record<string, unknown>>, end: boolean }> = {
  done: {
    end: true,
    events: [
      { type: 'announced', attempt: 1, topics: ['/swarm/swarm/skill/analytics/1'] },
      { type: 'offer', peerId: PEER, skills: ['analytics'], score: 0.9 },
      { type: 'formed', groupId: 'G', members: [{ peerId: PEER, skills: ['analytics'] }], formationMs: 12 },
      { type: 'progress', peerId: PEER, skill: 'analytics', progress: 0.5, message: 'halfway' },
      { type: 'member-result', peerId: PEER, skill: 'analytics', ok: true, durationMs: 30 },
      { type: 'completed', outcome: outcome('COMPLETE', { output: { analytics: { mean: 2 } } }) }
    ]
  },
  rejected: { end: true, events: [{ type: 'rejected', outcome: outcome('REJECTED', { reason: 'no capable agent offered' }) }] },
  failed: { end: true, events: [{ type: 'retry', attempt: 2, delayMs: 100, reason: 'boom' }, { type: 'failed', outcome: outcome('FAILED', { reason: 'boom', errors: [{ skill: 'analytics', peerId: PEER, code: 'HANDLER_EXIT', message: 'exit 1' }] }) }] },
  cancelled: { end: true, events: [{ type: 'cancelled', outcome: outcome('CANCELLED', { reason: 'by the user' }) }] },
  slow: { end: false, events: [{ type: 'announced', attempt: 1, topics: [] }] },
  cut: { end: true, events: [{ type: 'announced', attempt: 1, topics: [] }] }
}

describe('runCli: announce, tasks, task, cancel against a node', () => {
  let server: Server
  let dataDir: string
  let nextTask = 'done'
  const posted: unknown[] = []
  /** Every GET the node was asked, with its query. */
  const asked: string[] = []

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const send = (status: number, value: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' })
        res.end(JSON.stringify(value))
      }
      if (req.headers.authorization !== `Bearer ${TOKEN}`) return send(401, { error: { code: 'API_UNAUTHORIZED', message: 'no' } })
      const url = req.url ?? ''
      if (req.method === 'POST' && url === '/v1/tasks') {
        let body = ''
        req.on('data', (d: Buffer) => { body += d.toString() })
        req.on('end', () => {
          const spec = JSON.parse(body) as { skills: Array<{ name: string }> }
          posted.push(spec)
          if (spec.skills.some(s => s.name === 'fresco')) return send(422, { error: { code: 'NO_CAPABLE_PEERS', message: 'no peer can take this task: skill "fresco": no agent with it is known' } })
          send(201, { taskId: nextTask, status: 'ANNOUNCED' })
        })
        return
      }
      const events = /^\/v1\/tasks\/([^/]+)\/events$/.exec(url)
      if (events !== null) {
        const script = SCRIPTS[events[1] ?? '']
        if (script === undefined) return send(404, { error: { code: 'TASK_NOT_FOUND', message: 'no task' } })
        res.writeHead(200, { 'content-type': 'text/event-stream' })
        res.write(': hello\n\n')
        for (const e of script.events) res.write(`event: ${String(e.type)}\ndata: ${JSON.stringify({ taskId: events[1], at: 1500, ...e })}\n\n`)
        if (script.end) res.end()
        return
      }
      if (url === '/v1/agents') return send(200, { agents: [{ peerId: PEER, name: 'analyst' }] })
      asked.push(url)
      if (url.startsWith('/v1/tasks?') && url.includes('role=member')) return send(200, { tasks: [memberSummary(Date.now())] })
      if (url === '/v1/tasks/worked-1' || url === '/v1/tasks/worked-1?role=member') return send(200, MEMBER_DETAIL)
      if (url.startsWith('/v1/tasks?') && decodeURIComponent(url).includes('status=QUEUED')) {
        return send(200, {
          tasks: [
            { taskId: 'waits', status: 'QUEUED', description: 'Chart', skills: [{ name: 'viz', minLevel: 'novice', count: 1 }], createdAt: Date.now() - 3000, updatedAt: Date.now(), durationMs: 3000, reason: 'waiting for a free agent: every capable agent is busy (2 agents with "viz" known)', attempts: 1, maxAttempts: 1, members: [] },
            { taskId: 'done', status: 'COMPLETE', description: 'Analyze', skills: [{ name: 'analytics', minLevel: 'advanced', count: 1 }], createdAt: Date.now() - 5000, updatedAt: Date.now(), finishedAt: Date.now() - 4000, durationMs: 1000, attempts: 1, maxAttempts: 3, members: [] }
          ]
        })
      }
      if (url.startsWith('/v1/tasks?') || url === '/v1/tasks') {
        return send(200, { tasks: [{ taskId: 'done', status: 'COMPLETE', description: 'Analyze', skills: [{ name: 'analytics', minLevel: 'advanced', count: 1 }], createdAt: Date.now() - 5000, updatedAt: Date.now(), finishedAt: Date.now() - 4000, durationMs: 1000, attempts: 1, maxAttempts: 3, members: [] }] })
      }
      if (url === '/v1/tasks/done/cancel') return send(409, { error: { code: 'TASK_STATE', message: 'task done is already COMPLETE' } })
      send(404, { error: { code: 'NOT_FOUND', message: 'no such endpoint' } })
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
  })

  async function run (...args: string[]): Promise<{ code: number, out: CapturingOutput }> {
    return await runCaptured([...args, '--data-dir', dataDir])
  }

  it('without --wait prints the task id, or {taskId} with --json', async () => {
    nextTask = 'done'
    const text = await run('announce', 'Analyze', '--skill', 'analytics:advanced', '--retries', '1')
    assert.equal(text.code, EXIT.OK, text.out.errors.join('\n'))
    assert.deepEqual(text.out.lines, ['done'])
    assert.deepEqual(posted.at(-1), { description: 'Analyze', skills: [{ name: 'analytics', minLevel: 'advanced', count: 1 }], maxAttempts: 2 })
    const json = await run('announce', 'Analyze', '--skill', 'analytics:advanced', '--json')
    assert.deepEqual(json.out.jsons, [{ taskId: 'done', status: 'ANNOUNCED' }])
  })

  it('--wait prints one line per event with names, then the result, and exits 0', async () => {
    nextTask = 'done'
    const { code, out } = await run('announce', 'Analyze', '--skill', 'analytics:advanced', '--wait')
    assert.equal(code, EXIT.OK, out.errors.join('\n'))
    const text = out.lines.join('\n')
    assert.match(text, /^offer\s+analyst for analytics \(score 0\.90\)$/m)
    assert.match(text, /^group formed\s+in 12ms: analyst \(analytics\)$/m)
    assert.match(text, /^progress\s+analyst analytics 50% halfway$/m)
    assert.match(text, /^member result\s+analyst analytics done in 30ms$/m)
    assert.match(text, /^completed\s+in 1\.0s/m)
    assert.match(text, /^result:\n\{\n {2}"analytics": \{\n {4}"mean": 2\n {2}\}\n\}$/m)
  })

  it('--wait --json prints exactly the events, one JSON object each', async () => {
    nextTask = 'done'
    const { code, out } = await run('announce', 'Analyze', '--skill', 'analytics:advanced', '--wait', '--json')
    assert.equal(code, EXIT.OK)
    assert.deepEqual(out.lines, [])
    assert.deepEqual((out.jsons as Array<{ type: string }>).map(e => e.type), ['announced', 'offer', 'formed', 'progress', 'member-result', 'completed'])
  })

  it('exits 4 on rejected, 1 on failed or cancelled', async () => {
    nextTask = 'rejected'
    const rejected = await run('announce', 'x', '--skill', 'a', '--wait')
    assert.equal(rejected.code, EXIT.REJECTED)
    assert.match(rejected.out.lines.join('\n'), /rejected\s+no capable agent offered/)
    nextTask = 'failed'
    const failed = await run('announce', 'x', '--skill', 'a', '--wait')
    assert.equal(failed.code, EXIT.FAILURE)
    assert.match(failed.out.lines.join('\n'), /retry\s+attempt 2 in 100ms: boom/)
    assert.match(failed.out.lines.join('\n'), /analytics on analyst: HANDLER_EXIT exit 1/)
    nextTask = 'cancelled'
    assert.equal((await run('announce', 'x', '--skill', 'a', '--wait')).code, EXIT.FAILURE)
  })

  it('exits 4 with the node\'s message when nobody can take the task', async () => {
    const { code, out } = await run('announce', 'x', '--skill', 'fresco:expert', '--wait')
    assert.equal(code, EXIT.REJECTED)
    assert.match(out.errors[0] ?? '', /task rejected: no peer can take this task: skill "fresco"/)
  })

  it('exits 5 on --timeout, and 3 when the stream ends before the task', async () => {
    nextTask = 'slow'
    const slow = await run('announce', 'x', '--skill', 'a', '--wait', '--timeout', '200ms')
    assert.equal(slow.code, EXIT.TIMEOUT)
    assert.match(slow.out.errors[0] ?? '', /gave up waiting for task slow after 200ms/)
    nextTask = 'cut'
    const cut = await run('announce', 'x', '--skill', 'a', '--wait', '--json')
    assert.equal(cut.code, EXIT.UNREACHABLE)
    // With --json the failure is the last JSON object, not a line on stderr.
    assert.match(JSON.stringify(cut.out.jsons.at(-1)), /"error":\{"code":"UNREACHABLE","message":"[^"]*closed the event stream/)
    assert.equal((await run('announce', 'x', '--skill', 'a', '--timeout', '1s')).code, EXIT.USAGE)
  })

  it('exits 3 when no node is reachable', async () => {
    const out = capture()
    const code = await runCli(['node', 'swarm-node', 'announce', 'x', '--skill', 'a', '--data-dir', join(dir, 'nothing-here')], out)
    assert.equal(code, EXIT.UNREACHABLE)
  })

  it('tasks prints a table; bad --status and --limit are exit 2', async () => {
    const { code, out } = await run('tasks')
    assert.equal(code, EXIT.OK)
    assert.match(out.lines[0] ?? '', /^ID\s+STATUS\s+DESCRIPTION\s+SKILLS\s+AGE\s+DURATION\n/)
    assert.match(out.lines[0] ?? '', /done\s+COMPLETE\s+Analyze\s+analytics:advanced\s+5\.\ds ago\s+1\.0s/)
    assert.equal((await run('tasks', '--status', 'nope')).code, EXIT.USAGE)
    assert.equal((await run('tasks', '--limit', '0')).code, EXIT.USAGE)
    assert.equal((await run('tasks', '--status', 'complete,failed', '--limit', '5')).code, EXIT.OK)
  })

  it('tasks shows why a queued task waits, in a WHY column', async () => {
    const { code, out } = await run('tasks', '--status', 'queued,complete')
    assert.equal(code, EXIT.OK, out.errors.join('\n'))
    assert.match(out.lines[0] ?? '', /^ID\s+STATUS\s+DESCRIPTION\s+SKILLS\s+AGE\s+DURATION\s+WHY\n/)
    assert.match(out.lines[0] ?? '', /waits\s+QUEUED\s+Chart\s+viz:novice\s+3\.\ds ago\s+3\.\ds…\s+waiting for a free agent: every capable agent is busy \(2 agents with "viz" known\)\n/)
  })

  it('tasks --role member lists the tasks worked on with their announcer; task <id> shows the member\'s timings and parts', async () => {
    const list = await run('tasks', '--role', 'member')
    assert.equal(list.code, EXIT.OK, list.out.errors.join('\n'))
    assert.match(asked.at(-1) ?? '', /^\/v1\/tasks\?role=member$/)
    assert.match(list.out.lines[0] ?? '', /^ID\s+STATUS\s+ANNOUNCER\s+DESCRIPTION\s+SKILLS\s+AGE\s+DURATION\n/)
    assert.match(list.out.lines[0] ?? '', /worked-1\s+FAILED\s+analyst\s+Summarise\s+analytics\s+5\.\ds ago\s+2\.0s/)
    const json = await run('tasks', '--role', 'MEMBER', '--json')
    assert.equal(json.code, EXIT.OK)
    assert.deepEqual((json.out.jsons[0] as Array<{ taskId: string }>).map(t => t.taskId), ['worked-1'])
    assert.equal((await run('tasks', '--role', 'worker')).code, EXIT.USAGE)
    await run('tasks')
    assert.equal(asked.at(-1), '/v1/tasks', 'no role parameter without the flag')

    const one = await run('task', 'worked-1', '--role', 'member')
    assert.equal(one.code, EXIT.OK, one.out.errors.join('\n'))
    assert.equal(asked.at(-1), '/v1/tasks/worked-1?role=member')
    const text = one.out.lines.join('\n')
    assert.match(text, /task worked-1 {2}FAILED \(this node was a group member\)/)
    assert.match(text, /announcer {4}analyst \(/)
    assert.match(text, /timings {6}offered \+0ms, accepted \+100ms, started \+200ms, finished \+2\.2s \(worked 2\.0s\)/)
    assert.match(text, /outcome {6}error: analytics: HANDLER_CRASHED out of memory/)
    assert.match(text, /part {9}analytics FAILED HANDLER_CRASHED out of memory in 1\.9s/)
    assert.doesNotMatch(text, /result:/)
    const detail = await run('task', 'worked-1', '--json')
    assert.equal((detail.out.jsons[0] as { task: { role: string } }).task.role, 'member')
  })

  it('cancel of a finished task is exit 1 with the node\'s message', async () => {
    const { code, out } = await run('cancel', 'done')
    assert.equal(code, EXIT.FAILURE)
    assert.match(out.errors[0] ?? '', /already COMPLETE \(TASK_STATE\)/)
  })
})
