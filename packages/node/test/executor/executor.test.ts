import { afterAll, beforeAll, describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { LIMITS } from '@swarm/protocol'
import type { Json } from '@swarm/protocol'
import { SwarmError } from '../../src/errors.js'
import { silentLogger } from '../../src/logger.js'
import {
  HandlerError,
  builtinHandler,
  createHandler,
  execHandler,
  httpHandler,
  moduleHandler,
  runHandler
} from '../../src/executor/index.js'
import type { HandlerContext, HandlerOutcome, RunHandlerContext, SkillHandler } from '../../src/executor/index.js'

// Compiled to dist/test/executor; the fixtures stay in the source tree.
const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/executor/', import.meta.url))
const EXEC_FIXTURE = join(FIXTURES, 'exec-fixture.mjs')
const MODULE_FIXTURE = join(FIXTURES, 'module-fixture.mjs')
const PEER = '12D3KooWHdRzLbYhJmJmj3y2eQ2HdwRBRvZp4XWfsKsT1iFz4ZG6'

interface Recorded {
  progress: Array<{ fraction: number, message: string | undefined }>
  checkpoints: Json[]
}

/** A run context that records progress and checkpoints. */
function runContext (overrides: Partial<RunHandlerContext> = {}): RunHandlerContext & { recorded: Recorded } {
  const recorded: Recorded = { progress: [], checkpoints: [] }
  return {
    taskId: 'task-0001',
    groupId: 'group-0001',
    skill: 'summarize',
    description: 'Summarize the text',
    members: [{ peerId: PEER, skills: ['summarize'] }],
    deadline: Date.now() + 60_000,
    attempt: 1,
    progress: (fraction, message) => { recorded.progress.push({ fraction, message }) },
    saveCheckpoint: state => { recorded.checkpoints.push(state) },
    log: silentLogger(),
    ...overrides,
    recorded
  }
}

/** A handler context (with a signal) for calling a handler directly. */
function handlerContext (signal: AbortSignal = new AbortController().signal, overrides: Partial<RunHandlerContext> = {}): HandlerContext & { recorded: Recorded } {
  return { ...runContext(overrides), signal }
}

async function rejection (promise: Promise<unknown>): Promise<HandlerError> {
  try {
    await promise
  } catch (err) {
    assert.ok(err instanceof HandlerError, `expected a HandlerError, got ${String(err)}`)
    return err
  }
  assert.fail('expected the handler to fail')
}

function failed (outcome: HandlerOutcome): { code: string, message: string } {
  assert.equal(outcome.ok, false, `expected a failure, got ${JSON.stringify(outcome)}`)
  if (outcome.ok) throw new Error('unreachable')
  return outcome.error
}

function succeeded (outcome: HandlerOutcome): Json {
  assert.equal(outcome.ok, true, `expected success, got ${JSON.stringify(outcome)}`)
  if (!outcome.ok) throw new Error('unreachable')
  return outcome.output
}

/** Whether a process exists and is not a zombie (PID 1 of a container may not reap orphans). */
function isRunning (pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).charAt(0) !== 'Z'
  } catch {
    return existsSync('/proc') ? false : true
  }
}

async function waitFor (check: () => boolean, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms
  while (!check()) {
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}

function readPids (file: string): { pid: number, child?: number } {
  return JSON.parse(readFileSync(file, 'utf8')) as { pid: number, child?: number }
}

function node (...args: string[]): { command: string, args: string[] } {
  return { command: process.execPath, args: [EXEC_FIXTURE, ...args] }
}

const unhandled: unknown[] = []
const onUnhandled = (reason: unknown): void => { unhandled.push(reason) }
let tmp = ''

beforeAll(() => {
  assert.ok(existsSync(EXEC_FIXTURE), `fixture missing: ${EXEC_FIXTURE}`)
  process.on('unhandledRejection', onUnhandled)
  tmp = mkdtempSync(join(tmpdir(), 'swarm-executor-'))
})

afterAll(() => {
  process.off('unhandledRejection', onUnhandled)
  rmSync(tmp, { recursive: true, force: true })
  assert.deepEqual(unhandled, [], 'no unhandled rejections')
})

describe('runHandler', () => {
  it('returns the output and the duration of a successful handler', async () => {
    const outcome = await runHandler(async input => await new Promise(resolve => setTimeout(() => { resolve({ got: input }) }, 30)), { a: 1 }, runContext(), 5_000)
    assert.deepEqual(succeeded(outcome), { got: { a: 1 } })
    assert.ok(outcome.durationMs >= 25 && outcome.durationMs < 2_000, `durationMs ${outcome.durationMs}`)
  })

  it('turns a throwing, a rejecting and a non-Error-throwing handler into HANDLER_CRASHED', async () => {
    const syncThrow: SkillHandler = () => { throw new Error('sync throw') }
    assert.deepEqual(failed(await runHandler(syncThrow, null, runContext(), 1_000)), { code: 'HANDLER_CRASHED', message: 'sync throw' })
    const rejects: SkillHandler = async () => { throw new RangeError('out of range') }
    assert.deepEqual(failed(await runHandler(rejects, null, runContext(), 1_000)), { code: 'HANDLER_CRASHED', message: 'RangeError: out of range' })
    // eslint-disable-next-line @typescript-eslint/only-throw-error
    const throwsObject: SkillHandler = async () => { throw { weird: true } }
    const error = failed(await runHandler(throwsObject, null, runContext(), 1_000))
    assert.equal(error.code, 'HANDLER_CRASHED')
    assert.match(error.message, /weird/)
  })

  it('keeps the code of a HandlerError (or of an error with a handler code) a handler throws', async () => {
    const picky: SkillHandler = async () => { throw new HandlerError('HANDLER_HTTP', 'upstream 502') }
    assert.deepEqual(failed(await runHandler(picky, null, runContext(), 1_000)), { code: 'HANDLER_HTTP', message: 'upstream 502' })
    const ducky: SkillHandler = async () => { throw Object.assign(new Error('gone'), { code: 'HANDLER_NOT_FOUND' }) }
    assert.equal(failed(await runHandler(ducky, null, runContext(), 1_000)).code, 'HANDLER_NOT_FOUND')
  })

  it('fails only the crashing call when several run at once', async () => {
    const crash: SkillHandler = async () => { await new Promise(resolve => setTimeout(resolve, 10)); throw new Error('crash') }
    const fine = builtinHandler({ kind: 'builtin', name: 'echo' })
    const outcomes = await Promise.all([runHandler(crash, 1, runContext(), 1_000), runHandler(fine, 2, runContext(), 1_000), runHandler(fine, 3, runContext(), 1_000)])
    assert.deepEqual(outcomes.map(o => o.ok), [false, true, true])
    assert.deepEqual(outcomes.slice(1).map(succeeded), [2, 3])
  })

  it('refuses outputs that are not JSON, too large or too deep with HANDLER_BAD_OUTPUT', async () => {
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    let deep: Json = 'bottom'
    for (let i = 0; i < LIMITS.maxJsonDepth; i++) deep = [deep]
    const cases: Array<[string, unknown, RegExp]> = [
      ['undefined', undefined, /undefined/],
      ['a function', () => 1, /function/],
      ['a bigint', { n: 1n }, /BigInt/],
      ['a cycle', cyclic, /circular/i],
      ['NaN', Number.NaN, /NaN/],
      ['too large', 'x'.repeat(LIMITS.maxResultBytes + 1), new RegExp(`limit is ${LIMITS.maxResultBytes}`)],
      ['too deep', deep, /deeper than/]
    ]
    for (const [what, value, pattern] of cases) {
      const handler = (async () => value) as SkillHandler
      const error = failed(await runHandler(handler, null, runContext(), 1_000))
      assert.equal(error.code, 'HANDLER_BAD_OUTPUT', what)
      assert.match(error.message, pattern, what)
    }
    // Plain JSON comes out of toJSON-able values such as dates.
    const dated = (async () => ({ at: new Date(0) })) as unknown as SkillHandler
    assert.deepEqual(succeeded(await runHandler(dated, null, runContext(), 1_000)), { at: '1970-01-01T00:00:00.000Z' })
  })

  it('times out with HANDLER_TIMEOUT and aborts the handler signal with that reason', async () => {
    let seen: unknown
    const waits: SkillHandler = async (_input, ctx) => await new Promise((_resolve, reject) => {
      ctx.signal.addEventListener('abort', () => { seen = ctx.signal.reason; reject(new Error('stopped')) })
    })
    const error = failed(await runHandler(waits, null, runContext(), 50))
    assert.equal(error.code, 'HANDLER_TIMEOUT')
    assert.match(error.message, /50 ms/)
    assert.ok(seen instanceof HandlerError && seen.code === 'HANDLER_TIMEOUT')
  })

  it('reports HANDLER_ABORTED when the outer signal aborts, and does not start when already aborted', async () => {
    const outer = new AbortController()
    const running = runHandler(builtinHandler({ kind: 'builtin', name: 'sleep', delayMs: 10_000 }), null, runContext({ signal: outer.signal }), 20_000)
    setTimeout(() => { outer.abort() }, 20)
    const started = Date.now()
    assert.equal(failed(await running).code, 'HANDLER_ABORTED')
    assert.ok(Date.now() - started < 1_000)

    let called = false
    const spy: SkillHandler = async () => { called = true; return null }
    const error = failed(await runHandler(spy, null, runContext({ signal: AbortSignal.abort(new Error('shutting down')) }), 1_000))
    assert.deepEqual(error, { code: 'HANDLER_ABORTED', message: 'handler aborted: shutting down' })
    assert.equal(called, false)
  })

  it('reports a handler that ignores its signal once the grace period is over', async () => {
    const stubborn: SkillHandler = async () => await new Promise(resolve => setTimeout(() => { resolve('late') }, 1_000))
    const started = Date.now()
    const outcome = await runHandler(stubborn, null, runContext(), 30, { settleGraceMs: 50 })
    assert.equal(failed(outcome).code, 'HANDLER_TIMEOUT')
    assert.ok(Date.now() - started < 500, 'did not wait for the handler')
  })

  it('clamps progress, cuts long messages, survives a throwing callback, and ignores calls after the outcome', async () => {
    const ctx = runContext()
    let late: HandlerContext | undefined
    const reporter: SkillHandler = async (_input, hctx) => {
      hctx.progress(-1)
      hctx.progress(0.5, 'm'.repeat(1_000))
      hctx.progress(7)
      hctx.saveCheckpoint({ step: 1 })
      late = hctx
      return 'ok'
    }
    assert.equal(succeeded(await runHandler(reporter, null, ctx, 1_000)), 'ok')
    assert.deepEqual(ctx.recorded.progress.map(p => p.fraction), [0, 0.5, 1])
    assert.equal(ctx.recorded.progress[1]?.message?.length, LIMITS.maxShortTextChars)
    assert.deepEqual(ctx.recorded.checkpoints, [{ step: 1 }])
    late?.progress(0.9)
    assert.equal(ctx.recorded.progress.length, 3)
    assert.equal(late?.signal.aborted, true, 'the signal is aborted once the run is over')

    const throwing = runContext({ progress: () => { throw new Error('callback broke') } })
    const chatty: SkillHandler = async (_input, hctx) => { hctx.progress(0.1); return 'still fine' }
    assert.equal(succeeded(await runHandler(chatty, null, throwing, 1_000)), 'still fine')
  })
})

describe('builtin handlers', () => {
  it('echo returns its input', async () => {
    const input = { text: 'hi', list: [1, 2, null] }
    assert.deepEqual(succeeded(await runHandler(builtinHandler({ kind: 'builtin', name: 'echo' }), input, runContext(), 1_000)), input)
  })

  it('sleep waits delayMs and returns { slept, input }', async () => {
    const ctx = runContext()
    const outcome = await runHandler(builtinHandler({ kind: 'builtin', name: 'sleep', delayMs: 40 }), 'in', ctx, 1_000)
    assert.deepEqual(succeeded(outcome), { slept: 40, input: 'in' })
    assert.ok(outcome.durationMs >= 35)
    assert.deepEqual(ctx.recorded.progress.map(p => p.fraction), [0, 1])
  })

  it('sleep stops on the timeout', async () => {
    const outcome = await runHandler(builtinHandler({ kind: 'builtin', name: 'sleep', delayMs: 5_000 }), null, runContext(), 30)
    assert.equal(failed(outcome).code, 'HANDLER_TIMEOUT')
    assert.ok(outcome.durationMs < 1_000)
  })

  it('fail fails with HANDLER_CRASHED', async () => {
    assert.deepEqual(failed(await runHandler(builtinHandler({ kind: 'builtin', name: 'fail' }), null, runContext(), 1_000)), { code: 'HANDLER_CRASHED', message: 'builtin fail handler' })
  })
})

describe('exec handler', () => {
  it('passes the input on stdin and the arguments verbatim, never through a shell', async () => {
    const marker = join(tmp, 'pwned')
    const keep = join(tmp, 'keep')
    writeFileSync(keep, 'still here')
    const nasty = `$(touch ${marker}); rm -f ${keep}; \`touch ${marker}\` && echo "$HOME" > ${marker} | cat * ~ 'q' "dq" \\ \n`
    const input: Json = { text: nasty, nested: [nasty] }
    const args = [`$(touch ${marker})`, `; rm -f ${keep}`, '*', '"quoted"', "it's", '']
    const handler = execHandler({ kind: 'exec', ...node('echo', ...args), env: { FIXTURE_VAR: '$(touch nope)' }, cwd: tmp })
    const ctx = runContext({ attempt: 2 })
    const output = succeeded(await runHandler(handler, input, ctx, 5_000)) as { stdin: string, input: Json, argv: string[], env: Record<string, string>, cwd: string }
    assert.deepEqual(output.input, input)
    assert.equal(output.stdin, JSON.stringify(input) + '\n')
    assert.deepEqual(output.argv, args)
    assert.equal(existsSync(marker), false, 'no shell ran the input')
    assert.equal(readFileSync(keep, 'utf8'), 'still here')
    assert.equal(output.cwd, tmp)
    assert.equal(output.env.FIXTURE_VAR, '$(touch nope)')
    assert.equal(output.env.SWARM_TASK_ID, 'task-0001')
    assert.equal(output.env.SWARM_GROUP_ID, 'group-0001')
    assert.equal(output.env.SWARM_SKILL, 'summarize')
    assert.equal(output.env.SWARM_ATTEMPT, '2')
    assert.equal(output.env.SWARM_DEADLINE, String(ctx.deadline))
    assert.equal(output.env.SWARM_CHECKPOINT, undefined)
  })

  it('gives the program an allow-listed environment: never the node\'s key, only the variables its config names', async () => {
    const saved = { ...process.env }
    process.env.SWARM_PEER_KEY = 'the-node-private-key'
    process.env.SWARM_API_TOKEN = 'the-api-token'
    process.env.FIXTURE_SECRET = 'cloud-credentials'
    process.env.FIXTURE_PASSED = 'wanted'
    try {
      const handler = execHandler({ kind: 'exec', ...node('echo'), passEnv: ['FIXTURE_PASSED', 'SWARM_PEER_KEY'] })
      const output = await handler({}, handlerContext()) as { env: Record<string, string> }
      assert.equal(output.env.FIXTURE_PASSED, 'wanted')
      assert.equal(output.env.FIXTURE_SECRET, undefined)
      assert.equal(output.env.SWARM_PEER_KEY, undefined, 'the key never reaches a handler, even when named')
      assert.equal(output.env.SWARM_API_TOKEN, undefined)
      assert.equal(output.env.SWARM_SKILL, 'summarize')
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) Reflect.deleteProperty(process.env, key)
      Object.assign(process.env, saved)
    }
  })

  it('passes a checkpoint to resume from in SWARM_CHECKPOINT', async () => {
    const handler = execHandler({ kind: 'exec', ...node('echo') })
    const output = await handler({}, handlerContext(undefined, { checkpoint: { page: 7 } })) as { env: Record<string, string> }
    assert.equal(output.env.SWARM_CHECKPOINT, '{"page":7}')
  })

  // Debian ships python3 on this project's machines and in CI; a machine without it fails here, saying so.
  it('runs a python3 program', async () => {
    assert.equal(spawnSync('python3', ['--version']).status, 0, 'python3 is not installed')
    const script = 'import sys, json; d = json.load(sys.stdin); print(json.dumps({"words": len(d["text"].split())}))'
    const handler = execHandler({ kind: 'exec', command: 'python3', args: ['-c', script] })
    assert.deepEqual(succeeded(await runHandler(handler, { text: 'one two; $(reboot)' }, runContext(), 5_000)), { words: 3 })
  })

  it('turns stderr progress lines into ctx.progress and checkpoint lines into ctx.saveCheckpoint', async () => {
    const ctx = runContext()
    assert.deepEqual(succeeded(await runHandler(execHandler({ kind: 'exec', ...node('progress') }), null, ctx, 5_000)), { done: true })
    assert.deepEqual(ctx.recorded.progress, [
      { fraction: 0.25, message: 'a quarter' },
      { fraction: 0.5, message: undefined },
      { fraction: 1, message: 'done' }
    ])
    assert.deepEqual(ctx.recorded.checkpoints, [{ step: 3 }])
  })

  it('fails with HANDLER_EXIT, the exit code and the end of stderr on a non-zero exit', async () => {
    const error = failed(await runHandler(execHandler({ kind: 'exec', ...node('exit', '3') }), null, runContext(), 5_000))
    assert.equal(error.code, 'HANDLER_EXIT')
    assert.match(error.message, /exited with code 3/)
    assert.match(error.message, /line one\nsomething broke: bad input/)
    const killed = failed(await runHandler(execHandler({ kind: 'exec', ...node('self-kill') }), null, runContext(), 5_000))
    assert.equal(killed.code, 'HANDLER_EXIT')
    assert.match(killed.message, /signal SIGKILL/)
  })

  it('fails with HANDLER_BAD_OUTPUT when stdout is not JSON or empty', async () => {
    const notJson = failed(await runHandler(execHandler({ kind: 'exec', ...node('not-json') }), null, runContext(), 5_000))
    assert.equal(notJson.code, 'HANDLER_BAD_OUTPUT')
    assert.match(notJson.message, /not JSON.*hello, not JSON/)
    const empty = failed(await runHandler(execHandler({ kind: 'exec', ...node('empty') }), null, runContext(), 5_000))
    assert.equal(empty.code, 'HANDLER_BAD_OUTPUT')
    assert.match(empty.message, /must print its result as JSON on stdout/)
  })

  it('stops a program that prints more than maxResultBytes with HANDLER_BAD_OUTPUT', async () => {
    const pidFile = join(tmp, 'big.pid')
    const outcome = await runHandler(execHandler({ kind: 'exec', ...node('big', pidFile) }), null, runContext(), 10_000)
    const error = failed(outcome)
    assert.equal(error.code, 'HANDLER_BAD_OUTPUT')
    assert.match(error.message, new RegExp(`more than ${LIMITS.maxResultBytes} bytes`))
    const pid = Number(readFileSync(pidFile, 'utf8'))
    assert.throws(() => process.kill(pid, 0), 'the program is gone')
  })

  it('fails with HANDLER_NOT_FOUND naming a missing command or working directory', async () => {
    const missing = failed(await runHandler(execHandler({ kind: 'exec', command: 'swarm-no-such-program-xyz', args: ['a'] }), null, runContext(), 5_000))
    assert.equal(missing.code, 'HANDLER_NOT_FOUND')
    assert.match(missing.message, /command not found: "swarm-no-such-program-xyz"/)
    const spaced = failed(await runHandler(execHandler({ kind: 'exec', command: 'python3 summarize.py' }), null, runContext(), 5_000))
    assert.match(spaced.message, /without a shell/)
    const noDir = join(tmp, 'no-such-dir')
    const badCwd = failed(await runHandler(execHandler({ kind: 'exec', ...node('echo'), cwd: noDir }), null, runContext(), 5_000))
    assert.equal(badCwd.code, 'HANDLER_NOT_FOUND')
    assert.match(badCwd.message, new RegExp(`working directory ${noDir}`))
  })

  it('copes with a program that does not read its (large) input', async () => {
    const input = { blob: 'y'.repeat(2 * 1024 * 1024) }
    assert.deepEqual(succeeded(await runHandler(execHandler({ kind: 'exec', ...node('no-read') }), input, runContext(), 5_000)), { ok: true })
  })

  it('kills the program and what it started on its own timeout (HANDLER_TIMEOUT)', async () => {
    const pidFile = join(tmp, 'timeout.pid')
    const handler = execHandler({ kind: 'exec', ...node('sleep', pidFile), timeoutMs: 700 })
    const error = await rejection(handler(null, handlerContext()))
    assert.equal(error.code, 'HANDLER_TIMEOUT')
    assert.match(error.message, /timed out after 700 ms/)
    const { pid, child } = readPids(pidFile)
    assert.throws(() => process.kill(pid, 0), 'the program is gone')
    assert.ok(child !== undefined)
    await waitFor(() => !isRunning(child), 2_000, 'the grandchild to be gone')
  })

  it('kills the program on runHandler\'s timeout and on abort', async () => {
    const timeoutFile = join(tmp, 'run-timeout.pid')
    const timedOut = await runHandler(execHandler({ kind: 'exec', ...node('sleep', timeoutFile) }), null, runContext(), 700)
    assert.equal(failed(timedOut).code, 'HANDLER_TIMEOUT')
    assert.throws(() => process.kill(readPids(timeoutFile).pid, 0))

    const abortFile = join(tmp, 'abort.pid')
    const outer = new AbortController()
    const running = runHandler(execHandler({ kind: 'exec', ...node('sleep', abortFile) }), null, runContext({ signal: outer.signal }), 10_000)
    await waitFor(() => existsSync(abortFile), 5_000, 'the program to start')
    outer.abort()
    assert.equal(failed(await running).code, 'HANDLER_ABORTED')
    const { pid, child } = readPids(abortFile)
    assert.throws(() => process.kill(pid, 0), 'the program is gone')
    assert.ok(child !== undefined)
    await waitFor(() => !isRunning(child), 2_000, 'the grandchild to be gone')
  })

  it('sends SIGKILL to a program that ignores SIGTERM', async () => {
    const pidFile = join(tmp, 'stubborn.pid')
    const controller = new AbortController()
    const running = rejection(execHandler({ kind: 'exec', ...node('stubborn', pidFile) }, { killGraceMs: 300 })(null, handlerContext(controller.signal)))
    await waitFor(() => existsSync(pidFile), 5_000, 'the program to start')
    const started = Date.now()
    controller.abort()
    const error = await running
    assert.equal(error.code, 'HANDLER_ABORTED')
    assert.ok(Date.now() - started >= 250, 'SIGTERM was ignored, SIGKILL came after the grace delay')
    assert.throws(() => process.kill(readPids(pidFile).pid, 0))
  })
})

describe('http handler', () => {
  let server: Server
  let base = ''
  const requests: Array<{ headers: IncomingMessage['headers'], body: unknown }> = []

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = []
      req.on('data', (chunk: Buffer) => { chunks.push(chunk) })
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        requests.push({ headers: req.headers, body: JSON.parse(text) })
        switch (new URL(req.url ?? '/', 'http://localhost').pathname) {
          case '/ok':
            res.setHeader('content-type', 'application/json')
            res.end(JSON.stringify({ echoed: (JSON.parse(text) as { input: Json }).input }))
            break
          case '/error':
            res.statusCode = 503
            res.end('backend overloaded, try later')
            break
          case '/text':
            res.end('<html>not json</html>')
            break
          case '/big':
            res.setHeader('content-type', 'application/json')
            res.end(JSON.stringify('z'.repeat(LIMITS.maxResultBytes)))
            break
          case '/big-chunked': {
            res.setHeader('content-type', 'application/json')
            const block = 'z'.repeat(64 * 1024)
            res.write('"')
            for (let i = 0; i < 10; i++) res.write(block)
            res.end('"')
            break
          }
          case '/hang':
            break
          default:
            res.statusCode = 404
            res.end()
        }
      })
    })
    await new Promise<void>(resolve => { server.listen(0, '127.0.0.1', resolve) })
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })

  afterAll(async () => {
    server.closeAllConnections()
    await new Promise<void>(resolve => { server.close(() => { resolve() }) })
  })

  it('POSTs the task as JSON with the configured headers and returns the JSON answer', async () => {
    requests.length = 0
    const handler = httpHandler({ kind: 'http', url: `${base}/ok?key=secret`, headers: { 'x-api-key': 'k1' } })
    const ctx = runContext({ attempt: 3 })
    assert.deepEqual(succeeded(await runHandler(handler, { q: 'hello' }, ctx, 5_000)), { echoed: { q: 'hello' } })
    const request = requests[0]
    assert.ok(request !== undefined)
    assert.deepEqual(request.body, { taskId: 'task-0001', groupId: 'group-0001', skill: 'summarize', description: 'Summarize the text', attempt: 3, input: { q: 'hello' } })
    assert.equal(request.headers['x-api-key'], 'k1')
    assert.equal(request.headers['content-type'], 'application/json')
  })

  it('fails with HANDLER_HTTP, the status and the start of the body on a non-2xx answer', async () => {
    const error = failed(await runHandler(httpHandler({ kind: 'http', url: `${base}/error?token=hidden` }), null, runContext(), 5_000))
    assert.equal(error.code, 'HANDLER_HTTP')
    assert.match(error.message, /503/)
    assert.match(error.message, /backend overloaded, try later/)
    assert.doesNotMatch(error.message, /hidden/, 'the query string stays out of messages')
  })

  it('fails with HANDLER_BAD_OUTPUT on a non-JSON or too large answer', async () => {
    const text = failed(await runHandler(httpHandler({ kind: 'http', url: `${base}/text` }), null, runContext(), 5_000))
    assert.equal(text.code, 'HANDLER_BAD_OUTPUT')
    assert.match(text.message, /not JSON/)
    for (const path of ['/big', '/big-chunked']) {
      const big = failed(await runHandler(httpHandler({ kind: 'http', url: `${base}${path}` }), null, runContext(), 5_000))
      assert.equal(big.code, 'HANDLER_BAD_OUTPUT', path)
      assert.match(big.message, new RegExp(`${LIMITS.maxResultBytes}`), path)
    }
  })

  it('stops on abort, on its own timeout and on runHandler\'s timeout', async () => {
    const outer = new AbortController()
    const running = runHandler(httpHandler({ kind: 'http', url: `${base}/hang` }), null, runContext({ signal: outer.signal }), 5_000)
    setTimeout(() => { outer.abort() }, 50)
    assert.equal(failed(await running).code, 'HANDLER_ABORTED')
    const own = await rejection(httpHandler({ kind: 'http', url: `${base}/hang`, timeoutMs: 100 })(null, handlerContext()))
    assert.equal(own.code, 'HANDLER_TIMEOUT')
    assert.equal(failed(await runHandler(httpHandler({ kind: 'http', url: `${base}/hang` }), null, runContext(), 100)).code, 'HANDLER_TIMEOUT')
  })

  it('fails with HANDLER_HTTP when nothing listens at the URL', async () => {
    const closed = createServer()
    await new Promise<void>(resolve => { closed.listen(0, '127.0.0.1', resolve) })
    const port = (closed.address() as AddressInfo).port
    await new Promise<void>(resolve => { closed.close(() => { resolve() }) })
    const error = failed(await runHandler(httpHandler({ kind: 'http', url: `http://127.0.0.1:${port}/x` }), null, runContext(), 5_000))
    assert.equal(error.code, 'HANDLER_HTTP')
    assert.match(error.message, /ECONNREFUSED/)
  })
})

describe('module handler', () => {
  const run = async (exportName: string | undefined, input: Json = null, ctx: RunHandlerContext = runContext(), timeoutMs = 5_000): Promise<HandlerOutcome> =>
    await runHandler(moduleHandler({ kind: 'module', path: MODULE_FIXTURE, ...(exportName === undefined ? {} : { export: exportName }) }), input, ctx, timeoutMs)

  it('calls the default export, or a named one, sync or async', async () => {
    assert.deepEqual(succeeded(await run(undefined, { n: 21 }, runContext({ attempt: 2 }))), { doubled: 42, skill: 'summarize', attempt: 2 })
    assert.deepEqual(succeeded(await run('sync', 'x')), ['x', 'sync'])
  })

  it('imports the module once and reuses it', async () => {
    const handler = moduleHandler({ kind: 'module', path: MODULE_FIXTURE, export: 'sync' })
    const outcomes = await Promise.all([1, 2, 3].map(async n => await runHandler(handler, n, runContext(), 5_000)))
    assert.deepEqual(outcomes.map(succeeded), [[1, 'sync'], [2, 'sync'], [3, 'sync']])
  })

  it('gives the function the context: progress, checkpoints and the checkpoint to resume from', async () => {
    const ctx = runContext({ checkpoint: { at: 'start' } })
    assert.deepEqual(succeeded(await run('reportsProgress', null, ctx)), { resumedFrom: { at: 'start' } })
    assert.deepEqual(ctx.recorded.progress, [{ fraction: 0.5, message: 'half way' }])
    assert.deepEqual(ctx.recorded.checkpoints, [{ at: 'half' }])
  })

  it('turns what the function throws into HANDLER_CRASHED, or the handler code it chose', async () => {
    assert.deepEqual(failed(await run('throws')), { code: 'HANDLER_CRASHED', message: 'TypeError: boom from module' })
    assert.deepEqual(failed(await run('throwsSync')), { code: 'HANDLER_CRASHED', message: 'sync boom' })
    assert.equal(failed(await run('throwsString')).code, 'HANDLER_CRASHED')
    assert.deepEqual(failed(await run('picksCode')), { code: 'HANDLER_HTTP', message: 'upstream said no' })
  })

  it('fails with HANDLER_BAD_OUTPUT when the function returns nothing or no JSON', async () => {
    assert.equal(failed(await run('returnsUndefined')).code, 'HANDLER_BAD_OUTPUT')
    assert.equal(failed(await run('returnsBigInt')).code, 'HANDLER_BAD_OUTPUT')
  })

  it('fails with HANDLER_NOT_FOUND naming the file and the export', async () => {
    const missing = failed(await run('nope'))
    assert.equal(missing.code, 'HANDLER_NOT_FOUND')
    assert.ok(missing.message.includes(MODULE_FIXTURE), missing.message)
    assert.match(missing.message, /export "nope" does not exist/)
    assert.match(missing.message, /reportsProgress/)
    const notFn = failed(await run('notAFunction'))
    assert.equal(notFn.code, 'HANDLER_NOT_FOUND')
    assert.match(notFn.message, /export "notAFunction" is a number, not a function/)
    const noFile = join(tmp, 'missing.mjs')
    const gone = failed(await runHandler(moduleHandler({ kind: 'module', path: noFile }), null, runContext(), 5_000))
    assert.equal(gone.code, 'HANDLER_NOT_FOUND')
    assert.ok(gone.message.includes(noFile), gone.message)
  })

  it('fails with HANDLER_CRASHED when the module throws while loading', async () => {
    const error = failed(await runHandler(moduleHandler({ kind: 'module', path: join(FIXTURES, 'module-throws-on-load.mjs') }), null, runContext(), 5_000))
    assert.equal(error.code, 'HANDLER_CRASHED')
    assert.match(error.message, /broken at load time/)
  })

  it('times out a function that waits, with the timeout as the abort reason', async () => {
    assert.equal(failed(await run('waitsForAbort', null, runContext(), 50)).code, 'HANDLER_TIMEOUT')
  })
})

describe('createHandler', () => {
  it('builds the handler of each kind', async () => {
    const handlers: Array<[SkillHandler, Json]> = [
      [createHandler({ kind: 'builtin', name: 'echo', delayMs: 0, timeoutMs: 1_000 }), 'e'],
      [createHandler({ kind: 'module', path: MODULE_FIXTURE, export: 'sync', timeoutMs: 1_000 }), ['e', 'sync']],
      [createHandler({ kind: 'exec', command: process.execPath, args: ['-e', 'process.stdin.pipe(process.stdout)'], env: {}, passEnv: [], timeoutMs: 5_000 }), 'e']
    ]
    for (const [handler, expected] of handlers) {
      assert.deepEqual(succeeded(await runHandler(handler, 'e', runContext(), 5_000)), expected)
    }
  })

  it('refuses an invalid handler configuration with CONFIG_INVALID', () => {
    assert.throws(() => execHandler({ kind: 'exec', command: '' }), (err: unknown) => err instanceof SwarmError && err.code === 'CONFIG_INVALID' && /command/.test(err.message))
    assert.throws(() => httpHandler({ kind: 'http', url: 'ftp://example.com' }), (err: unknown) => err instanceof SwarmError && err.code === 'CONFIG_INVALID')
  })
})
