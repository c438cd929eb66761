/**
 * Opt-in: a two-role task against a real model server (an Ollama or LM Studio on the machine).
 *   SWARM_LLM_URL=http://127.0.0.1:11434/v1 SWARM_LLM_MODEL=qwen2.5-coder:7b npm run test:llm
 * SWARM_LLM_API=ollama (with Ollama's root URL) uses Ollama's own API; SWARM_LLM_KEY_ENV names
 * the variable that holds an API key. Not part of `npm test`: no model runs on the CI machines.
 */
import assert from 'node:assert/strict'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { byName, startNegotiationSwarm } from '../helpers/negotiation.js'
import type { TestSwarm } from '../helpers/nodes.js'

const URL = process.env.SWARM_LLM_URL
const MODEL = process.env.SWARM_LLM_MODEL
const API = process.env.SWARM_LLM_API === 'ollama' ? 'ollama' : 'openai'
const KEY_ENV = process.env.SWARM_LLM_KEY_ENV

describe(`a real model server (${URL ?? 'SWARM_LLM_URL not set'})`, () => {
  let swarm: TestSwarm

  beforeAll(async () => {
    if (URL === undefined || MODEL === undefined) throw new Error('set SWARM_LLM_URL (e.g. http://127.0.0.1:11434/v1) and SWARM_LLM_MODEL (e.g. qwen2.5-coder:7b) to run the tests against a real model server')
    const llm = { baseUrl: URL, model: MODEL, api: API, timeoutMs: 300_000, ...(KEY_ENV !== undefined ? { apiKeyEnv: KEY_ENV } : {}) } as const
    swarm = await startNegotiationSwarm([
      { name: 'lead' },
      { name: 'team', llm, skills: [{ name: 'coder', level: 'expert', handler: { kind: 'llm' } }, { name: 'reviewer', level: 'expert', handler: { kind: 'llm' } }] }
    ])
  }, 120_000)

  afterAll(async () => { await swarm?.stop() })

  it('the model server lists the model', async () => {
    assert.deepEqual(await byName(swarm, 'team').checkModels(), [])
  })

  it('a coder and a reviewer answer, with usage', async () => {
    const handle = await byName(swarm, 'lead').announce({ description: 'Write a JavaScript function add(a, b) that returns the sum of its arguments', skills: [{ name: 'coder' }, { name: 'reviewer' }], deadlineMs: 600_000, maxAttempts: 1 })
    const outcome = await handle.result()
    assert.equal(outcome.status, 'COMPLETE', JSON.stringify(outcome.errors))
    const output = outcome.output as Record<string, { text: string, usage: { totalTokens: number } }>
    for (const skill of ['coder', 'reviewer']) {
      assert.ok((output[skill]?.text ?? '').trim().length > 0, `${skill} answered`)
      assert.ok((output[skill]?.usage.totalTokens ?? 0) > 0, `${skill} has usage`)
    }
  }, 900_000)
})
