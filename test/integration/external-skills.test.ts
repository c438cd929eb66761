/**
 * Skills served from outside the swarm, over TCP with real nodes: node B's skill `add` is a tool
 * of an MCP server built with the SDK (started over stdio by the `mcp` handler), its skill
 * `remote-echo` a remote A2A agent built with the SDK (reached by the `a2a` handler). Node A
 * announces tasks for them: the results are the tool's structured result and the agent's
 * artifact. The `a2a` handler alone: a blocking (non-streaming) agent, a failure, a cancel, a token.
 */
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { HandlerConfigSchema, HandlerError, createHandler, silentLogger } from '@swarm/node'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { startTestA2aAgent } from '../helpers/a2a-agent.js'
import { byName, startNegotiationSwarm } from '../helpers/negotiation.js'
import type { TestA2aAgent } from '../helpers/a2a-agent.js'
import type { TestSwarm } from '../helpers/nodes.js'
import type { HandlerContext, SkillHandler } from '@swarm/node'

const MCP_SERVER = fileURLToPath(new URL('../../../packages/node/test/fixtures/executor/mcp-server.mjs', import.meta.url))

function context (signal: AbortSignal = new AbortController().signal, progress: HandlerContext['progress'] = () => {}): HandlerContext {
  return { taskId: 'task-a2a', groupId: 'group-a2a', skill: 'remote-echo', description: 'echo this', members: [], deadline: Date.now() + 60_000, attempt: 1, signal, progress, saveCheckpoint: () => {}, log: silentLogger() }
}

/** The `a2a` handler of a configuration as a skill would write it. */
function a2aHandler (config: Record<string, unknown>): SkillHandler {
  return createHandler(HandlerConfigSchema.parse(config))
}

async function failure (promise: Promise<unknown>): Promise<HandlerError> {
  try {
    await promise
  } catch (err) {
    assert.ok(err instanceof HandlerError, `expected a HandlerError, got ${String(err)}`)
    return err
  }
  assert.fail('expected the handler to fail')
}

describe('skills served by an MCP tool and an A2A agent, announced in the swarm', () => {
  let swarm: TestSwarm
  let agent: TestA2aAgent

  beforeAll(async () => {
    agent = await startTestA2aAgent({ streaming: true })
    swarm = await startNegotiationSwarm([
      { name: 'a', negotiation: { earlyCloseMinScore: 1 } },
      {
        name: 'b',
        skills: [
          { name: 'add', level: 'expert', handler: { kind: 'mcp', tool: 'add', command: process.execPath, args: [MCP_SERVER] } },
          { name: 'remote-echo', level: 'expert', handler: { kind: 'a2a', card: agent.cardUrl, skill: 'echo' } }
        ]
      }
    ])
  })

  afterAll(async () => {
    await swarm.stop()
    await agent.stop()
  })

  it('a task for the MCP-served skill gets the tool\'s structured result', async () => {
    const task = await byName(swarm, 'a').announce({ description: 'add 2 and 40', skills: [{ name: 'add' }], input: { a: 2, b: 40 }, bidWindowMs: 300, deadlineMs: 60_000 })
    const outcome = await task.result()
    assert.equal(outcome.status, 'COMPLETE', outcome.reason)
    assert.deepEqual(outcome.output, { add: { sum: 42 } })
  })

  it('a task for the A2A-served skill gets the remote agent\'s artifact', async () => {
    const task = await byName(swarm, 'a').announce({ description: 'echo the order', skills: [{ name: 'remote-echo' }], input: { order: [3, 1, 2] }, bidWindowMs: 300, deadlineMs: 60_000 })
    const outcome = await task.result()
    assert.equal(outcome.status, 'COMPLETE', outcome.reason)
    assert.deepEqual(outcome.output, { 'remote-echo': { order: [3, 1, 2] } })
  })
})

describe('the a2a handler against an SDK-built agent', () => {
  let blocking: TestA2aAgent
  let streaming: TestA2aAgent
  let guarded: TestA2aAgent

  beforeAll(async () => {
    blocking = await startTestA2aAgent({ streaming: false })
    streaming = await startTestA2aAgent({ streaming: true })
    guarded = await startTestA2aAgent({ streaming: false, token: 's3cret' })
  })
  afterAll(async () => {
    await Promise.all([blocking.stop(), streaming.stop(), guarded.stop()])
  })

  it('sends the input to a non-streaming agent and returns its artifact', async () => {
    assert.deepEqual(await a2aHandler({ kind: 'a2a', card: blocking.cardUrl })({ x: 1 }, context()), { x: 1 })
  })

  it('forwards a streaming agent\'s status messages as progress', async () => {
    const said: Array<string | undefined> = []
    const output = await a2aHandler({ kind: 'a2a', card: streaming.cardUrl, skill: 'echo' })({ y: 2 }, context(undefined, (_f, message) => { said.push(message) }))
    assert.deepEqual(output, { y: 2 })
    assert.ok(said.includes('echoing'), JSON.stringify(said))
  })

  it('fails with the remote agent\'s status message when it fails the task', async () => {
    for (const agent of [blocking, streaming]) {
      const err = await failure(a2aHandler({ kind: 'a2a', card: agent.cardUrl, skill: 'fail' })({}, context()))
      assert.equal(err.code, 'HANDLER_REMOTE_FAILED')
      assert.match(err.message, /ended the task failed: the echo chamber collapsed/)
    }
  })

  it('cancels the remote task when the part is stopped (streaming agent)', async () => {
    const stop = new AbortController()
    const running = a2aHandler({ kind: 'a2a', card: streaming.cardUrl, skill: 'slow' })({}, context(stop.signal, () => { stop.abort(new HandlerError('HANDLER_ABORTED', 'the task was cancelled')) }))
    const err = await failure(running)
    assert.equal(err.code, 'HANDLER_ABORTED')
    // The agent heard the cancel (its slow task ends).
    for (let i = 0; i < 100 && streaming.cancelled.length === 0; i++) await new Promise(resolve => setTimeout(resolve, 20))
    assert.equal(streaming.cancelled.length, 1)
  })

  it('cancels the remote task of an agent that does not stream, too', async () => {
    const stop = new AbortController()
    const started = blocking.nextStarted()
    const running = a2aHandler({ kind: 'a2a', card: blocking.cardUrl, skill: 'slow' })({}, context(stop.signal))
    // Stop the part once the agent works on it (the handler knows its id from the immediate answer).
    const taskId = await started
    stop.abort(new HandlerError('HANDLER_ABORTED', 'the task was cancelled'))
    const err = await failure(running)
    assert.equal(err.code, 'HANDLER_ABORTED')
    for (let i = 0; i < 100 && blocking.cancelled.length === 0; i++) await new Promise(resolve => setTimeout(resolve, 20))
    assert.deepEqual(blocking.cancelled, [taskId])
  })

  it('sends the bearer token named by tokenEnv, and says when the variable is not set', async () => {
    process.env.SWARM_TEST_A2A_TOKEN = 's3cret'
    try {
      assert.deepEqual(await a2aHandler({ kind: 'a2a', card: guarded.cardUrl, tokenEnv: 'SWARM_TEST_A2A_TOKEN' })({ z: 3 }, context()), { z: 3 })
      const refused = await failure(a2aHandler({ kind: 'a2a', card: guarded.cardUrl })({ z: 3 }, context()))
      assert.equal(refused.code, 'HANDLER_HTTP')
    } finally {
      delete process.env.SWARM_TEST_A2A_TOKEN
    }
    const unset = await failure(a2aHandler({ kind: 'a2a', card: guarded.cardUrl, tokenEnv: 'SWARM_TEST_A2A_TOKEN' })({}, context()))
    assert.match(unset.message, /the environment variable SWARM_TEST_A2A_TOKEN .* is not set on this node/)
  })

  it('says the agent cannot be reached when nothing answers at its card URL', async () => {
    const err = await failure(a2aHandler({ kind: 'a2a', card: 'http://127.0.0.1:9/.well-known/agent-card.json' })({}, context()))
    assert.equal(err.code, 'HANDLER_HTTP')
    assert.match(err.message, /cannot reach the A2A agent http:\/\/127\.0\.0\.1:9/)
  })
})
