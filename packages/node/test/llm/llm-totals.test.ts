import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { LlmTotals } from '../../src/llm/llm-totals.js'

describe('LlmTotals', () => {
  it('adds up calls, failures, tokens and time, in all and per skill with its models', () => {
    const totals = new LlmTotals()
    totals.add({ skill: 'coder', model: 'a', ok: true, promptTokens: 10, completionTokens: 20, latencyMs: 100 })
    totals.add({ skill: 'coder', model: 'b', ok: false, code: 'LLM_TIMEOUT', promptTokens: 0, completionTokens: 0, latencyMs: 300 })
    totals.add({ skill: 'reviewer', model: 'a', ok: true, promptTokens: 5, completionTokens: 1, latencyMs: 50 })
    assert.deepEqual(totals.view(), {
      requests: 3,
      failures: 1,
      promptTokens: 15,
      completionTokens: 21,
      meanLatencyMs: 150,
      bySkill: {
        coder: { requests: 2, failures: 1, promptTokens: 10, completionTokens: 20, meanLatencyMs: 200, models: ['a', 'b'] },
        reviewer: { requests: 1, failures: 0, promptTokens: 5, completionTokens: 1, meanLatencyMs: 50, models: ['a'] }
      }
    })
    assert.deepEqual(new LlmTotals().view(), { requests: 0, failures: 0, promptTokens: 0, completionTokens: 0, meanLatencyMs: 0, bySkill: {} })
  })
})
