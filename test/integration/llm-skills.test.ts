/**
 * Skills served by models (issue 15), over TCP with real nodes, the official `openai` and
 * `ollama` clients, and a local server that speaks their wire protocols (helpers/llm-server.ts):
 * a coder on one "model" through the OpenAI API and a reviewer on another through Ollama's
 * return both texts with their usage; what the clients sent is what the skills say; the answer
 * streams in as progress; the failures a user meets each fail that member's part with a code;
 * `maxConcurrent` holds however much capacity the agent has.
 */
import assert from 'node:assert/strict'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { startLlmServer } from '../helpers/llm-server.js'
import { byName, startNegotiationSwarm } from '../helpers/negotiation.js'
import type { LlmTestServer } from '../helpers/llm-server.js'
import type { TestSwarm } from '../helpers/nodes.js'
import type { NodeConfigInput, SwarmNode, TaskSpecInput } from '@swarm/node'

type SkillInput = NonNullable<NodeConfigInput['skills']>[number]

/** The port of a server that was started and closed again: nothing listens there. */
async function closedPort (): Promise<string> {
  const server = await startLlmServer()
  await server.close()
  return server.openaiUrl
}

describe('llm skills', () => {
  let server: LlmTestServer
  let swarm: TestSwarm
  let lead: SwarmNode
  let deadUrl: string
  const votes: string[] = []

  beforeAll(async () => {
    server = await startLlmServer({
      'coder-model': { answer: r => `function solve() { /* ${r.messages[1]?.content.split('\n')[2] ?? ''} */ }`, pieceChars: 6, pieceDelayMs: 60 },
      'reviewer-model': { answer: 'approve: the code does what the task asks' },
      'busy-model': { answer: 'done', pieceDelayMs: 100 },
      'slow-model': { answer: 'x'.repeat(200), pieceDelayMs: 400 },
      'steady-model': { answer: 'y'.repeat(160), pieceDelayMs: 250 },
      // A reviewer: its part posts a finding; its first verification vote rejects, the next approves.
      'judge-model': {
        answer: r => {
          const asked = r.messages[1]?.content ?? ''
          if (asked.includes('A member of the group proposes')) return '{"vote": "approve", "confidence": 0.75, "reason": "plan X is the simpler one"}'
          if (!asked.includes('votes on whether its result is accepted')) return 'Reviewed.\nFINDING: the function is not named after what it does'
          votes.push(asked)
          return votes.length === 1
            ? '{"vote": "reject", "confidence": 0.8, "reason": "it does not handle negative numbers"}'
            : '{"vote": "approve", "confidence": 0.9, "reason": "it does what the task asks"}'
        }
      }
    })
    deadUrl = await closedPort()
    const llm = (name: string, handler: Record<string, unknown>): SkillInput => ({ name, level: 'expert', handler: { kind: 'llm', timeoutMs: 20_000, ...handler } })
    swarm = await startNegotiationSwarm([
      { name: 'lead' },
      {
        name: 'team',
        capacity: 4,
        llm: { baseUrl: server.openaiUrl, retries: 2 },
        skills: [
          llm('coder', { model: 'coder-model', temperature: 0.3, maxTokens: 300, topP: 0.9, system: 'You write code.' }),
          llm('reviewer', { api: 'ollama', baseUrl: server.url, model: 'reviewer-model', temperature: 0.8, system: 'You review code.' }),
          llm('ghost', { model: 'no-such-model' }),
          llm('offline', { baseUrl: deadUrl, model: 'coder-model', retries: 0 }),
          llm('keyed', { model: 'coder-model', apiKeyEnv: 'SWARM_TEST_UNSET_LLM_KEY' }),
          llm('busy', { model: 'busy-model', maxConcurrent: 1 }),
          llm('judge', { role: 'reviewer', model: 'judge-model' }),
          llm('slow', { model: 'slow-model', timeoutMs: 1_500, retries: 0 }),
          // On another endpoint than the judge's, whose one slot its vote needs while this part runs.
          llm('steady', { api: 'ollama', baseUrl: server.url, model: 'steady-model' })
        ]
      }
    ])
    lead = byName(swarm, 'lead')
  })

  afterAll(async () => {
    await swarm?.stop()
    await server?.close()
  })

  const task = (description: string, skills: string[], input?: unknown): TaskSpecInput => ({ description, skills: skills.map(name => ({ name })), deadlineMs: 30_000, maxAttempts: 1, ...(input !== undefined ? { input } : {}) }) as TaskSpecInput

  it('a coder (OpenAI API) and a reviewer (Ollama API) on different models both answer, with usage, as the skills configure them', async () => {
    const before = server.requests.length
    const handle = await lead.announce(task('Sum two numbers', ['coder', 'reviewer'], { a: 2, b: 3 }))
    const progress: string[] = []
    const watching = (async () => {
      for await (const event of handle.events()) {
        if (event.type === 'progress' && event.skill === 'coder' && event.message !== undefined) progress.push(event.message)
      }
    })()
    const outcome = await handle.result()
    await watching
    assert.equal(outcome.status, 'COMPLETE', JSON.stringify(outcome.errors))
    const output = outcome.output as Record<string, { text: string, model: string, usage: { promptTokens: number, completionTokens: number, totalTokens: number }, latencyMs: number, finishReason: string }>
    assert.match(output.coder?.text ?? '', /^function solve\(\)/)
    assert.equal(output.coder?.model, 'coder-model')
    assert.equal(output.reviewer?.text, 'approve: the code does what the task asks')
    for (const skill of ['coder', 'reviewer'] as const) {
      const usage = output[skill]?.usage
      assert.ok(usage !== undefined && usage.promptTokens > 0 && usage.completionTokens > 0 && usage.totalTokens === usage.promptTokens + usage.completionTokens, JSON.stringify(usage))
      assert.equal(output[skill]?.finishReason, 'stop')
      assert.ok((output[skill]?.latencyMs ?? -1) >= 0)
    }
    // What the real clients sent.
    const sent = server.requests.slice(before)
    const openai = sent.find(r => r.api === 'openai')
    const ollama = sent.find(r => r.api === 'ollama')
    assert.deepEqual([openai?.model, openai?.temperature, openai?.maxTokens, openai?.topP, openai?.stream], ['coder-model', 0.3, 300, 0.9, true])
    assert.equal(openai?.messages[0]?.content, 'You write code.')
    assert.match(openai?.messages[1]?.content ?? '', /Task: Sum two numbers[\s\S]*"a": 2/)
    assert.deepEqual([ollama?.model, ollama?.temperature, ollama?.stream], ['reviewer-model', 0.8, true])
    assert.equal(ollama?.messages[0]?.content, 'You review code.')
    // The coder's answer arrived in pieces: the announcer saw it grow.
    assert.ok(progress.length >= 2, `progress updates: ${JSON.stringify(progress)}`)
    assert.ok((progress.at(-1)?.length ?? 0) > (progress[0]?.length ?? 0), 'the text grows')
  })

  /** The code of the one failed part of a task for `skill`. */
  const failure = async (skill: string): Promise<{ code: string, message: string }> => {
    const outcome = await (await lead.announce(task(`use ${skill}`, [skill]))).result()
    assert.equal(outcome.ok, false, JSON.stringify(outcome).slice(0, 1500))
    const error = outcome.errors?.find(e => e.skill === skill)
    assert.ok(error !== undefined, JSON.stringify(outcome))
    return error
  }

  it('a model the server does not have: LLM_MODEL_NOT_FOUND, naming it', async () => {
    const error = await failure('ghost')
    assert.equal(error.code, 'LLM_MODEL_NOT_FOUND')
    assert.match(error.message, /no-such-model/)
  })

  it('a server that does not listen: LLM_UNREACHABLE, saying where and what to start', async () => {
    const error = await failure('offline')
    assert.equal(error.code, 'LLM_UNREACHABLE')
    assert.ok(error.message.includes(deadUrl) && /Ollama|LM Studio/.test(error.message), error.message)
  })

  it('a key variable that is not set: LLM_NO_KEY, naming it, and no request sent', async () => {
    const before = server.requests.length
    const error = await failure('keyed')
    assert.equal(error.code, 'LLM_NO_KEY')
    assert.match(error.message, /SWARM_TEST_UNSET_LLM_KEY/)
    assert.equal(server.requests.length, before)
  })

  it('a model slower than the skill\'s time: LLM_TIMEOUT, saying what to change', async () => {
    const error = await failure('slow')
    assert.equal(error.code, 'LLM_TIMEOUT')
    assert.match(error.message, /slow-model.*did not finish within \d+ ms: raise llm\.timeoutMs/)
  })

  it('a 5xx then a 429 are retried with backoff; a context too long and another 4xx are not', async () => {
    server.failures.push({ status: 503, message: 'loading model' }, { status: 429, message: 'too many requests' })
    const outcome = await (await lead.announce(task('retried', ['coder']))).result()
    assert.equal(outcome.status, 'COMPLETE', JSON.stringify(outcome.errors))

    server.failures.push({ status: 400, message: 'This model\'s maximum context length is 4096 tokens' })
    assert.equal((await failure('coder')).code, 'LLM_CONTEXT_TOO_LONG')
    server.failures.push({ status: 400, message: 'bad temperature' })
    const http = await failure('coder')
    assert.equal(http.code, 'LLM_HTTP_ERROR')
    assert.match(http.message, /HTTP 400: bad temperature/)
  })

  it('a reviewer votes by its model: its reject makes --verify reject and retry, its approve verifies; its findings reach the blackboard', async () => {
    const handle = await lead.announce({ description: 'Sum two numbers', skills: [{ name: 'coder' }, { name: 'judge' }], deadlineMs: 60_000, maxAttempts: 2, verify: 'majority' })
    const outcome = await handle.result()
    assert.equal(outcome.status, 'VERIFIED', JSON.stringify(outcome))
    assert.equal(outcome.attempts, 2, 'the first attempt was rejected by the reviewer\'s model, the second approved')
    assert.equal(votes.length, 2)
    // The model judged the coder's answer: the group's results were in its prompt.
    assert.match(votes[0] ?? '', /function solve\(\)/)
    assert.match(votes[0] ?? '', /Task: Sum two numbers/)
    const board = lead.groups.blackboard(outcome.taskId)
    assert.ok(board?.findings.some(f => f.content === 'the function is not named after what it does'), JSON.stringify(board?.findings))
  })

  it('a reviewer votes by its model on a proposal opened while its group works', async () => {
    // The reviewer's part ends at once; the steady part keeps the group at work for about 5 s.
    const handle = await lead.announce({ description: 'Pick a plan', skills: [{ name: 'judge' }, { name: 'steady' }], deadlineMs: 60_000, maxAttempts: 1 })
    for await (const event of handle.events()) {
      if (event.type === 'member-result' && event.skill === 'judge') break
    }
    const opened = await lead.groups.propose(handle.id, { action: 'use plan X', quorum: 'majority', timeoutMs: 20_000 })
    const decided = await lead.groups.decision(opened.proposalId)
    const vote = decided.votes.find(v => v.reason === 'plan X is the simpler one')
    assert.ok(vote !== undefined, JSON.stringify(decided.votes))
    assert.deepEqual([vote.choice, vote.confidence], ['yes', 0.75])
    assert.equal(decided.outcome, 'approved')
    assert.equal((await handle.result()).status, 'COMPLETE')
  })

  it('sends one request at a time to an endpoint with maxConcurrent 1, though the agent takes four tasks', async () => {
    server.inFlight.max = 0
    const outcomes = await Promise.all(Array.from({ length: 4 }, async (_v, i) => await (await lead.announce(task(`busy ${i}`, ['busy']))).result()))
    assert.deepEqual(outcomes.map(o => o.status), ['COMPLETE', 'COMPLETE', 'COMPLETE', 'COMPLETE'])
    assert.equal(server.inFlight.max, 1)
  })
})
