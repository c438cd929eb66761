/**
 * Handoff in the executor: `ctx.handoff(reason, state)` (a function or module handler) and a
 * `handoff <json>` stderr line (an exec handler) end the run with a handoff outcome; malformed
 * handoff lines are ignored.
 */
import { afterAll, describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Json } from '@swarm/protocol'
import { silentLogger } from '../../src/logger.js'
import { HANDED_OFF, execHandler, isHandoff, moduleHandler, runHandler } from '../../src/executor/index.js'
import { parseHandoffLine } from '../../src/executor/exec-streams.js'
import type { HandlerOutcome, HandoffRequest, RunHandlerContext, SkillHandler } from '../../src/executor/index.js'

// Compiled to dist/test/executor; the fixtures stay in the source tree.
const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/executor/', import.meta.url))
const EXEC_FIXTURE = join(FIXTURES, 'handoff-fixture.mjs')
const MODULE_FIXTURE = join(FIXTURES, 'handoff-module.mjs')
const PEER = '12D3KooWHdRzLbYhJmJmj3y2eQ2HdwRBRvZp4XWfsKsT1iFz4ZG6'

const tmp = mkdtempSync(join(tmpdir(), 'swarm-handoff-'))
afterAll(() => { rmSync(tmp, { recursive: true, force: true }) })

function runContext (checkpoints: Json[] = [], overrides: Partial<RunHandlerContext> = {}): RunHandlerContext {
  return {
    taskId: 'task-0001',
    groupId: 'group-0001',
    skill: 'summarize',
    description: 'Summarize the text',
    members: [{ peerId: PEER, skills: ['summarize'] }],
    deadline: Date.now() + 60_000,
    attempt: 1,
    progress: () => {},
    saveCheckpoint: state => { checkpoints.push(state) },
    log: silentLogger(),
    ...overrides
  }
}

function handedOff (outcome: HandlerOutcome): HandoffRequest {
  assert.ok(isHandoff(outcome), `expected a handoff, got ${JSON.stringify(outcome)}`)
  assert.equal(outcome.ok, false)
  assert.equal(outcome.error.code, HANDED_OFF)
  return outcome.handoff
}

function isAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('ctx.handoff in runHandler', () => {
  it('ends the run with the handoff: reason and state', async () => {
    let after = false
    const handler: SkillHandler = async (_input, ctx) => {
      ctx.handoff?.('needs a specialist', { step: 3 })
      after = true
      return 'not reached'
    }
    const outcome = await runHandler(handler, null, runContext(), 5_000)
    assert.deepEqual(handedOff(outcome), { reason: 'needs a specialist', state: { step: 3 } })
    assert.match(outcome.ok ? '' : outcome.error.message, /needs a specialist/)
    assert.equal(after, false, 'ctx.handoff does not return')
  })

  it('keeps the handoff when the handler catches what ctx.handoff threw and returns a result', async () => {
    const handler: SkillHandler = async (_input, ctx) => {
      try {
        ctx.handoff?.('overloaded')
      } catch { /* swallowed by a careless handler */ }
      return { done: true }
    }
    assert.deepEqual(handedOff(await runHandler(handler, null, runContext(), 5_000)), { reason: 'overloaded' })
  })

  it('gives an empty reason a default and cuts a long one to a short text', async () => {
    const empty = await runHandler(async (_i, ctx) => ctx.handoff?.('  ') ?? null, null, runContext(), 5_000)
    assert.equal(handedOff(empty).reason, 'handed off')
    const long = await runHandler(async (_i, ctx) => ctx.handoff?.('x'.repeat(10_000)) ?? null, null, runContext(), 5_000)
    assert.ok(handedOff(long).reason.length < 10_000)
  })

  it('reports a timeout, not a handoff, when the handler asks only after its time is up', async () => {
    const handler: SkillHandler = async (_input, ctx) => {
      await new Promise(resolve => { ctx.signal.addEventListener('abort', resolve, { once: true }) })
      ctx.handoff?.('too late')
      return null
    }
    const outcome = await runHandler(handler, null, runContext(), 20, { settleGraceMs: 1_000 })
    assert.equal(isHandoff(outcome), false)
    assert.equal(outcome.ok ? '' : outcome.error.code, 'HANDLER_TIMEOUT')
  })

  it('works for a module handler: the function calls ctx.handoff', async () => {
    const checkpoints: Json[] = []
    const outcome = await runHandler(moduleHandler({ kind: 'module', path: MODULE_FIXTURE, export: 'handOff' }), { text: 'hi' }, runContext(checkpoints), 5_000)
    assert.deepEqual(handedOff(outcome), { reason: 'needs a specialist', state: { step: 3, input: { text: 'hi' } } })
    assert.deepEqual(checkpoints, [{ step: 1 }])
  })
})

describe('exec handler: a `handoff <json>` stderr line', () => {
  const exec = (mode: string, ...args: string[]): SkillHandler => execHandler({ kind: 'exec', command: process.execPath, args: [EXEC_FIXTURE, mode, ...args], timeoutMs: 20_000 })

  it('ends the run with that handoff, whatever the program prints on stdout afterwards', async () => {
    const checkpoints: Json[] = []
    const outcome = await runHandler(exec('handoff-exit'), { n: 7 }, runContext(checkpoints), 20_000)
    assert.deepEqual(handedOff(outcome), { reason: 'needs a specialist', state: { step: 2, input: { n: 7 } } })
    assert.deepEqual(checkpoints, [{ step: 1 }], 'the checkpoint line before it still counts')
  })

  it('stops a program that goes on running after its handoff line', async () => {
    const pidFile = join(tmp, 'handoff-wait.pid')
    const outcome = await runHandler(exec('handoff-wait', pidFile), null, runContext(), 20_000)
    assert.deepEqual(handedOff(outcome), { reason: 'overloaded' })
    const pid = Number(readFileSync(pidFile, 'utf8'))
    assert.equal(isAlive(pid), false, 'the program was stopped')
  })

  it('logs and ignores malformed handoff lines: the run ends with the program\'s result', async () => {
    const outcome = await runHandler(exec('handoff-malformed'), null, runContext(), 20_000)
    assert.equal(isHandoff(outcome), false)
    assert.deepEqual(outcome.ok ? outcome.output : outcome.error, { done: true })
  })

  it('parses handoff lines with zod (parseHandoffLine)', () => {
    const warnings: string[] = []
    const log = { ...silentLogger(), warn: (msg: string) => { warnings.push(msg) } }
    assert.equal(parseHandoffLine('progress 0.5', { log }), undefined)
    assert.deepEqual(parseHandoffLine('handoff {"reason":"shutting down","state":[1,2]}', { log }), { reason: 'shutting down', state: [1, 2] })
    assert.deepEqual(parseHandoffLine('handoff {"reason":" busy "}', { log }), { reason: 'busy' })
    assert.equal(parseHandoffLine('handoff nope', { log }), null)
    assert.equal(parseHandoffLine('handoff {"reason":3}', { log }), null)
    assert.equal(warnings.length, 2)
  })
})
