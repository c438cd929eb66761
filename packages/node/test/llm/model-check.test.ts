import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { unreachable } from '../../src/llm/errors.js'
import { checkModels } from '../../src/llm/model-check.js'
import { resolveLlmSettings } from '../../src/llm/settings.js'
import type { LlmClient } from '../../src/llm/client.js'

const client = (models: string[] | Error, asked: string[]): LlmClient => ({
  chat: async () => { throw new Error('not used') },
  models: async () => {
    asked.push('models')
    if (models instanceof Error) throw models
    return models
  }
})

describe('checkModels', () => {
  it('asks each endpoint once and names the skills whose model it does not list (a tag-less name is :latest)', async () => {
    const asked: string[] = []
    const at = (model: string, skill: string): { skill: string, settings: ReturnType<typeof resolveLlmSettings> } => ({ skill, settings: resolveLlmSettings([{ model, baseUrl: 'http://127.0.0.1:11434/v1' }], skill) })
    const problems = await checkModels([at('qwen2.5-coder', 'coder'), at('llama3:8b', 'reviewer'), at('mistral', 'tester')], () => client(['qwen2.5-coder:latest', 'llama3:8b'], asked))
    assert.equal(asked.length, 1)
    assert.deepEqual(problems.map(p => [p.skill, p.code]), [['tester', 'LLM_MODEL_NOT_FOUND']])
    assert.match(problems[0]?.message ?? '', /does not list "mistral" \(it has qwen2\.5-coder:latest, llama3:8b\)/)
  })

  it('names every skill of an endpoint that cannot be reached', async () => {
    const settings = resolveLlmSettings([{ model: 'm', baseUrl: 'http://127.0.0.1:9/v1' }], 's')
    const problems = await checkModels([{ skill: 'a', settings }, { skill: 'b', settings }], () => client(unreachable('http://127.0.0.1:9/v1', new Error('ECONNREFUSED')), []))
    assert.deepEqual(problems.map(p => [p.skill, p.code]), [['a', 'LLM_UNREACHABLE'], ['b', 'LLM_UNREACHABLE']])
  })
})
