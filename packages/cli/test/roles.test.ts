/**
 * LLM roles on the command line (issue 15): `--role NAME[:level]` declares a skill served by a
 * model with the role's preset, `--llm-url`, `--llm-model` and `--llm-api` set the config's llm
 * defaults, and `swarm-node roles` lists the presets.
 */
import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { ROLE_NAMES, ROLE_PRESETS, parseConfig } from '@swarm/node'
import { startOverrides } from '../src/commands/start.js'
import { assertUsage, runCaptured } from './helpers.js'

describe('start --role', () => {
  it('declares a skill per role, an llm handler with its preset, at the level given (default advanced)', () => {
    const overrides = startOverrides({ mdns: true, role: ['coder:expert', 'reviewer'], llmUrl: 'http://127.0.0.1:1234/v1', llmModel: 'qwen2.5-coder:7b', llmApi: 'openai' })
    assert.deepEqual(overrides.skills, [
      { name: 'coder', level: 'expert', description: ROLE_PRESETS.coder.description, handler: { kind: 'llm', role: 'coder' } },
      { name: 'reviewer', level: 'advanced', description: ROLE_PRESETS.reviewer.description, handler: { kind: 'llm', role: 'reviewer' } }
    ])
    assert.deepEqual(overrides.llm, { baseUrl: 'http://127.0.0.1:1234/v1', model: 'qwen2.5-coder:7b', api: 'openai' })
    // It is a valid configuration.
    const config = parseConfig(overrides)
    assert.equal(config.skills[0]?.handler?.kind, 'llm')
    assert.equal(config.llm.model, 'qwen2.5-coder:7b')
  })

  it('refuses an unknown role, a bad level, a skill given twice and an unknown API, saying what to use', () => {
    assertUsage(() => startOverrides({ mdns: true, role: ['poet'] }), /--role poet/, /architect, clarifier, coder/, /swarm-node roles/)
    assertUsage(() => startOverrides({ mdns: true, role: ['coder:guru'] }), /--role coder:guru/)
    assertUsage(() => startOverrides({ mdns: true, role: ['coder'], skill: ['coder:expert'] }), /declares the skill "coder"/)
    assertUsage(() => startOverrides({ mdns: true, llmApi: 'anthropic' }), /--llm-api anthropic: use openai or ollama/)
  })
})

describe('swarm-node roles', () => {
  it('lists the nine presets with their sampling settings', async () => {
    const { code, out } = await runCaptured(['roles'])
    assert.equal(code, 0)
    const text = out.lines.join('\n')
    for (const name of ROLE_NAMES) assert.match(text, new RegExp(`^${name} +${ROLE_PRESETS[name].temperature} `, 'm'))
  })

  it('gives the whole presets as JSON, system prompts included', async () => {
    const { code, out } = await runCaptured(['roles', '--json'])
    assert.equal(code, 0)
    const roles = out.jsons[0] as Array<{ name: string, system: string, temperature: number }>
    assert.deepEqual(roles.map(r => r.name), [...ROLE_NAMES])
    assert.ok(roles.every(r => r.system.length > 50))
    const code03 = roles.find(r => r.name === 'coder')?.temperature ?? 0
    const review = roles.find(r => r.name === 'reviewer')?.temperature ?? 0
    assert.ok(code03 >= 0.3 && code03 <= 0.5 && review >= 0.7 && review <= 0.9, 'lower temperature for code, higher for review')
  })
})
