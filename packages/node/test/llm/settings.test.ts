import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { LLM_DEFAULTS, LlmHandlerSchema, endpointKey, resolveLlmSettings } from '../../src/llm/settings.js'
import { SwarmError } from '../../src/errors.js'

describe('resolveLlmSettings', () => {
  it('merges the layers field by field, the later winning, and fills in the defaults', () => {
    const s = resolveLlmSettings([{ model: 'qwen2.5-coder:7b', temperature: 0.7, maxConcurrent: 2 }, undefined, { temperature: 0.3, system: 'You write code.' }], 'coder')
    assert.deepEqual(s, {
      api: 'openai',
      baseUrl: LLM_DEFAULTS.baseUrl,
      model: 'qwen2.5-coder:7b',
      temperature: 0.3,
      system: 'You write code.',
      timeoutMs: LLM_DEFAULTS.timeoutMs,
      maxConcurrent: 2,
      output: 'text',
      retries: LLM_DEFAULTS.retries,
      vote: 'result',
      findings: false
    })
  })

  it('takes Ollama\'s root as the default server of the ollama API, and drops a trailing slash', () => {
    assert.equal(resolveLlmSettings([{ model: 'm', api: 'ollama' }], 's').baseUrl, 'http://127.0.0.1:11434')
    assert.equal(resolveLlmSettings([{ model: 'm', baseUrl: 'http://127.0.0.1:1234/v1/' }], 's').baseUrl, 'http://127.0.0.1:1234/v1')
  })

  it('says where to name the model when no layer does', () => {
    assert.throws(() => resolveLlmSettings([{ temperature: 0.5 }], 'reviewer'), (err: unknown) => err instanceof SwarmError && err.code === 'CONFIG_INVALID' && /skill "reviewer".*llm\.model/.test(err.message))
  })

  it('keys endpoints by API and server', () => {
    const a = resolveLlmSettings([{ model: 'a' }], 's')
    const b = resolveLlmSettings([{ model: 'b' }], 's')
    const c = resolveLlmSettings([{ model: 'a', api: 'ollama' }], 's')
    assert.equal(endpointKey(a), endpointKey(b), 'two models of one server share its slots')
    assert.notEqual(endpointKey(a), endpointKey(c))
  })
})

describe('LlmHandlerSchema', () => {
  it('refuses a key in the config: only the name of its variable', () => {
    assert.equal(LlmHandlerSchema.safeParse({ kind: 'llm', apiKey: 'sk-123' }).success, false)
    assert.equal(LlmHandlerSchema.safeParse({ kind: 'llm', apiKeyEnv: 'OPENAI_API_KEY' }).success, true)
    assert.equal(LlmHandlerSchema.safeParse({ kind: 'llm', apiKeyEnv: 'not a name' }).success, false)
  })

  it('bounds the sampling settings', () => {
    assert.equal(LlmHandlerSchema.safeParse({ kind: 'llm', temperature: 3 }).success, false)
    assert.equal(LlmHandlerSchema.safeParse({ kind: 'llm', topP: 1.5 }).success, false)
    assert.equal(LlmHandlerSchema.safeParse({ kind: 'llm', maxConcurrent: 0 }).success, false)
    assert.equal(LlmHandlerSchema.safeParse({ kind: 'llm', baseUrl: 'ftp://x' }).success, false)
  })
})

describe('llmSettingsOf (the layers of a skill)', () => {
  it('starts from the role preset (the handler\'s role, else the skill\'s name), then the config\'s role overrides, then the skill\'s own', async () => {
    const { llmSettingsOf } = await import('../../src/executor/create-handler.js')
    const { ROLE_PRESETS } = await import('../../src/llm/roles.js')
    const defaults = { model: 'general', temperature: 0.1, roles: { reviewer: { model: 'reviewer-13b' } } }
    const coder = llmSettingsOf('coder', { kind: 'llm' }, defaults)
    assert.deepEqual([coder.model, coder.temperature, coder.system], ['general', ROLE_PRESETS.coder.temperature, ROLE_PRESETS.coder.system], 'the preset wins over the llm defaults')
    const reviewer = llmSettingsOf('code-review', { kind: 'llm', role: 'reviewer', temperature: 0.75 }, defaults)
    assert.deepEqual([reviewer.model, reviewer.temperature, reviewer.maxTokens], ['reviewer-13b', 0.75, ROLE_PRESETS.reviewer.maxTokens], 'a model per role; the skill\'s own setting last')
    const plain = llmSettingsOf('summarize', { kind: 'llm' }, defaults)
    assert.deepEqual([plain.model, plain.temperature, plain.system], ['general', 0.1, LLM_DEFAULTS.system], 'no role: the defaults alone')
  })
})
