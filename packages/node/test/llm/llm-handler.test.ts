/**
 * The llm handler's logic over a fake model client: what it sends, the result it returns,
 * progress while the answer streams, retries with backoff, and the failures it names.
 */
import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { silentLogger } from '../../src/logger.js'
import { EndpointSlots } from '../../src/llm/endpoint-slots.js'
import { LlmError } from '../../src/llm/errors.js'
import { llmHandler } from '../../src/llm/llm-handler.js'
import { resolveLlmSettings } from '../../src/llm/settings.js'
import type { ChatOptions, ChatRequest, ChatResult, LlmClient } from '../../src/llm/client.js'
import type { LlmCall } from '../../src/llm/llm-handler.js'
import type { LlmSettings } from '../../src/llm/settings.js'
import type { HandlerContext } from '../../src/executor/types.js'

type Step = ((request: ChatRequest, options: ChatOptions) => Promise<ChatResult>)

/** A client that plays `steps` in turn (the last one again once they run out). */
function fakeClient (...steps: Step[]): LlmClient & { requests: ChatRequest[] } {
  const requests: ChatRequest[] = []
  return {
    requests,
    chat: async (request, options) => {
      requests.push(request)
      const step = steps[Math.min(requests.length - 1, steps.length - 1)] as Step
      return await step(request, options)
    },
    models: async () => ['m']
  }
}

const answer = (text: string, deltas = [text]): Step => async (_request, options) => {
  for (const d of deltas) options.onDelta(d)
  return { text, model: 'm-served', finishReason: 'stop', usage: { promptTokens: 12, completionTokens: 5, totalTokens: 17 }, firstTokenMs: 3 }
}
const failing = (err: LlmError): Step => async () => { throw err }

function context (over: Partial<HandlerContext> = {}): HandlerContext & { updates: Array<[number, string | undefined]> } {
  const updates: Array<[number, string | undefined]> = []
  return {
    taskId: 'task-1',
    groupId: 'group-1',
    skill: 'coder',
    description: 'Write a parser',
    members: [],
    deadline: Date.now() + 60_000,
    attempt: 1,
    signal: new AbortController().signal,
    progress: (fraction, message) => { updates.push([fraction, message]) },
    saveCheckpoint: () => {},
    log: silentLogger(),
    updates,
    ...over
  }
}

function handler (client: LlmClient, settings: LlmSettings = {}, env: Record<string, string> = {}, calls: LlmCall[] = []): ReturnType<typeof llmHandler> {
  return llmHandler(resolveLlmSettings([{ model: 'm', retries: 2 }, settings], 'coder'), { slots: new EndpointSlots(), env, clientFor: () => client, onCall: call => { calls.push(call) } })
}

describe('llm handler', () => {
  it('sends the settings and the prompt, and returns text, model, usage, latency and finish reason', async () => {
    const client = fakeClient(answer('def parse(): ...'))
    const calls: LlmCall[] = []
    const out = await handler(client, { temperature: 0.3, maxTokens: 256, topP: 0.9, system: 'You write code.' }, {}, calls)(
      { grammar: 'json' },
      context({ blackboard: () => ({ findings: [{ id: 'f1', kind: 'observation', content: 'use recursion', confidence: 0.9, author: 'p', at: 1 }], hypotheses: [], actions: [] }) as never })
    )
    const request = client.requests[0]
    assert.deepEqual([request?.model, request?.temperature, request?.maxTokens, request?.topP, request?.json], ['m', 0.3, 256, 0.9, false])
    assert.equal(request?.messages[0]?.content, 'You write code.')
    assert.match(request?.messages[1]?.content ?? '', /Write a parser[\s\S]*"grammar": "json"[\s\S]*use recursion/)
    assert.ok(typeof out === 'object' && out !== null && !Array.isArray(out))
    assert.deepEqual({ ...out, latencyMs: 0 }, { text: 'def parse(): ...', model: 'm-served', usage: { promptTokens: 12, completionTokens: 5, totalTokens: 17 }, latencyMs: 0, finishReason: 'stop', firstTokenMs: 3 })
    assert.equal(calls.length, 1)
    assert.deepEqual({ ...calls[0], latencyMs: 0 }, { skill: 'coder', model: 'm-served', ok: true, promptTokens: 12, completionTokens: 5, latencyMs: 0, firstTokenMs: 3 })
  })

  it('reports the answer growing as progress while it streams', async () => {
    const ctx = context()
    await handler(fakeClient(answer('Hello world', ['Hello', ' world'])))(null, ctx)
    assert.deepEqual(ctx.updates.map(u => u[1]), ['Hello'], 'the first piece at once, the next ones at most every 250 ms')
  })

  it('returns the parsed JSON beside the text when the skill asks for JSON, and fails LLM_BAD_JSON otherwise', async () => {
    const out = await handler(fakeClient(answer('```json\n{"score": 4}\n```')), { output: 'json' })(null, context())
    assert.deepEqual((out as { json?: unknown }).json, { score: 4 })
    await assert.rejects(handler(fakeClient(answer('four')), { output: 'json' })(null, context()), (err: unknown) => err instanceof LlmError && err.code === 'LLM_BAD_JSON')
  })

  it('retries a retryable failure with backoff, at most `retries` times', async () => {
    const busy = new LlmError('LLM_RATE_LIMITED', 'slow down', { retryable: true, status: 429 })
    const client = fakeClient(failing(busy), answer('ok'))
    assert.equal(((await handler(client)(null, context())) as { text: string }).text, 'ok')
    assert.equal(client.requests.length, 2)

    const always = fakeClient(failing(busy))
    const calls: LlmCall[] = []
    await assert.rejects(handler(always, { retries: 1 }, {}, calls)(null, context()), (err: unknown) => err === busy)
    assert.equal(always.requests.length, 2)
    assert.deepEqual(calls.map(c => [c.ok, c.code]), [[false, 'LLM_RATE_LIMITED']])
  })

  it('does not retry what another try will not fix', async () => {
    const client = fakeClient(failing(new LlmError('LLM_MODEL_NOT_FOUND', 'no such model')))
    await assert.rejects(handler(client)(null, context()), (err: unknown) => err instanceof LlmError && err.code === 'LLM_MODEL_NOT_FOUND')
    assert.equal(client.requests.length, 1)
  })

  it('fails LLM_EMPTY on an empty answer (after its retries)', async () => {
    const client = fakeClient(answer('  '))
    await assert.rejects(handler(client, { retries: 0 })(null, context()), (err: unknown) => err instanceof LlmError && err.code === 'LLM_EMPTY')
  })

  it('fails LLM_NO_KEY, naming the variable, when the key it needs is not set', async () => {
    const client = fakeClient(answer('ok'))
    await assert.rejects(handler(client, { apiKeyEnv: 'MY_LLM_KEY' })(null, context()), (err: unknown) => err instanceof LlmError && err.code === 'LLM_NO_KEY' && err.message.includes('MY_LLM_KEY'))
    assert.equal(client.requests.length, 0)
    assert.equal(((await handler(client, { apiKeyEnv: 'MY_LLM_KEY' }, { MY_LLM_KEY: 'sk-test' })(null, context())) as { text: string }).text, 'ok')
  })

  it('with vote: model, decides its member\'s votes by asking the model: the verification over the results, a proposal over its action', async () => {
    const deciders: Record<string, (view: never) => Promise<unknown>> = {}
    const client = fakeClient(answer('reviewed'), answer('{"vote": "reject", "confidence": 0.6, "reason": "no tests"}'), answer('sure, why not'))
    await handler(client, { vote: 'model' })(null, context({
      onVerify: decide => { deciders.verify = decide as never },
      onProposal: decide => { deciders.proposal = decide as never }
    }))
    const verification = await deciders.verify?.({ params: { kind: 'verification', results: { coder: [{ text: 'function f() {}' }] } } } as never)
    assert.deepEqual(verification, { choice: 'no', confidence: 0.6, reason: 'no tests' })
    assert.match(client.requests[1]?.messages[1]?.content ?? '', /votes on whether its result is accepted[\s\S]*function f\(\) \{\}/)
    assert.equal(client.requests[1]?.json, true)
    const proposal = await deciders.proposal?.({ action: 'ship it', params: { to: 'prod' } } as never) as { choice: string, reason: string }
    assert.equal(proposal.choice, 'abstain', 'an answer that is not a vote')
    assert.match(proposal.reason, /not a vote/)
    assert.match(client.requests[2]?.messages[1]?.content ?? '', /A member of the group proposes: ship it[\s\S]*"to": "prod"/)
  })

  it('with vote: result (the default), leaves the votes to the member', async () => {
    let registered = false
    await handler(fakeClient(answer('ok')))(null, context({ onVerify: () => { registered = true }, onProposal: () => { registered = true } }))
    assert.equal(registered, false)
  })

  it('with findings, asks for them and posts each FINDING: line of the answer', async () => {
    const posted: unknown[] = []
    const client = fakeClient(answer('Done.\nFINDING: the input has duplicates'))
    await handler(client, { findings: true })(null, context({ postFinding: f => { posted.push(f); return 'f1' } }))
    assert.match(client.requests[0]?.messages[1]?.content ?? '', /starting with "FINDING: "/)
    assert.deepEqual(posted, [{ kind: 'observation', content: 'the input has duplicates', confidence: 0.7 }])
  })

  it('stops retrying once its part is aborted', async () => {
    const controller = new AbortController()
    const client = fakeClient(async () => {
      controller.abort(new Error('cancelled'))
      throw new LlmError('LLM_HTTP_ERROR', 'HTTP 503', { retryable: true, status: 503 })
    })
    await assert.rejects(handler(client)(null, context({ signal: controller.signal })))
    assert.equal(client.requests.length, 1)
  })
})
