import assert from 'node:assert/strict'
import { describe, it } from 'vitest'
import { agentSkill, buildAgentCard, swarmSkills } from '../../src/a2a/card.js'
import { ad, agent } from './fixtures.js'

const AGENTS = [
  agent('a', [ad('echo', 'novice', { tags: ['util'] }), ad('sum', 'advanced', { description: 'adds numbers', examples: ['1+2'] })]),
  agent('b', [ad('echo', 'expert', { id: 'echo-v2', description: 'returns its input', tags: ['util', 'test'] })])
]

describe('A2A card: the node as a gateway to the swarm', () => {
  it('lists every skill of the directory once, with the best level and the merged tags and examples', () => {
    const skills = swarmSkills(AGENTS)
    assert.deepEqual(skills.map(s => [s.name, s.level, s.agents]), [['echo', 'expert', 2], ['sum', 'advanced', 1]])
    const echo = skills[0]
    assert.ok(echo)
    assert.deepEqual(echo.ids, ['echo-v2'])
    assert.equal(echo.description, 'returns its input')
    assert.deepEqual(echo.tags, ['util', 'test'])
    const entry = agentSkill(echo)
    assert.equal(entry.id, 'echo')
    assert.match(entry.description, /returns its input \(best level expert, 2 agents\)/)
    assert.ok(entry.tags.includes('level:expert'))
  })

  it('advertises the URL it listens on, v1.0 and v0.3 JSON-RPC, streaming and bearer auth', () => {
    const card = buildAgentCard({ name: 'gw', peerId: '12D3', version: '0.1.0', url: 'http://127.0.0.1:7600/', auth: 'token', agents: AGENTS })
    assert.equal(card.name, 'gw')
    assert.deepEqual(card.supportedInterfaces.map(i => [i.url, i.protocolBinding, i.protocolVersion]), [['http://127.0.0.1:7600/', 'JSONRPC', '1.0'], ['http://127.0.0.1:7600/', 'JSONRPC', '0.3']])
    assert.equal(card.capabilities?.streaming, true)
    assert.deepEqual(Object.keys(card.securitySchemes), ['bearer'])
    assert.equal(card.securityRequirements.length, 1)
    assert.deepEqual(card.skills.map(s => s.id), ['echo', 'sum'])
    assert.deepEqual(card.skills[1]?.examples, ['1+2'])
  })

  it('declares no security scheme when auth is none', () => {
    const card = buildAgentCard({ name: 'gw', peerId: '12D3', version: '0.1.0', url: 'http://127.0.0.1:7600/', auth: 'none', agents: [] })
    assert.deepEqual(card.securitySchemes, {})
    assert.deepEqual(card.securityRequirements, [])
    assert.deepEqual(card.skills, [])
  })
})
