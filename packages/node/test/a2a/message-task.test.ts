import assert from 'node:assert/strict'
import { A2AError } from '@a2a-js/sdk/errors'
import { describe, it } from 'vitest'
import { swarmSkills } from '../../src/a2a/card.js'
import { messageToSpec } from '../../src/a2a/message-task.js'
import { ad, agent } from './fixtures.js'
import type { Part } from '@a2a-js/sdk'

const KNOWN = swarmSkills([agent('a', [ad('echo', 'expert', { id: 'echo-v2' }), ad('sum', 'novice')])])

const text = (value: string): Part => ({ content: { $case: 'text', value }, metadata: undefined, filename: '', mediaType: 'text/plain' })
const data = (value: unknown): Part => ({ content: { $case: 'data', value }, metadata: undefined, filename: '', mediaType: 'application/json' })

function rejects (fn: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(fn, (err: Error) => {
    assert.ok(err instanceof A2AError, 'an A2A error')
    assert.equal(err.name, 'RequestMalformedError')
    for (const p of patterns) assert.match(err.message, p)
    return true
  })
}

describe('A2A message → swarm task spec', () => {
  it('joins the text parts into the description and takes one data part as the input', () => {
    const spec = messageToSpec({ parts: [text('summarize'), data({ rows: [1, 2] }), text('  quickly ')], metadata: { skills: ['echo:advanced', 'sum:novice'] } }, KNOWN)
    assert.equal(spec.description, 'summarize\nquickly')
    assert.deepEqual(spec.input, { rows: [1, 2] })
    assert.deepEqual(spec.skills, [{ name: 'echo', minLevel: 'advanced', count: 1 }, { name: 'sum', minLevel: 'novice', count: 1 }])
  })

  it('takes several data parts as an array, and names the skills when there is no text', () => {
    const spec = messageToSpec({ parts: [data(1), data('two')], metadata: { skills: ['echo:novice'] } }, KNOWN)
    assert.deepEqual(spec.input, [1, 'two'])
    assert.equal(spec.description, 'A2A request for echo')
  })

  it('resolves metadata.skillId by the card\'s skill id or an agent\'s own id, and reads the request\'s metadata too', () => {
    assert.deepEqual(messageToSpec({ parts: [text('x')], metadata: { skillId: 'sum' } }, KNOWN).skills, [{ name: 'sum', minLevel: 'novice', count: 1 }])
    assert.deepEqual(messageToSpec({ parts: [text('x')], metadata: undefined }, KNOWN, { skillId: 'echo-v2', deadlineMs: 5000 }).skills.map(s => s.name), ['echo'])
    assert.equal(messageToSpec({ parts: [text('x')], metadata: undefined }, KNOWN, { skillId: 'echo-v2', deadlineMs: 5000 }).deadlineMs, 5000)
  })

  it('without skills, answers InvalidParams listing the skills the node knows', () => {
    rejects(() => messageToSpec({ parts: [text('do it')], metadata: undefined }, KNOWN), /metadata\.skills/, /echo \(best level expert\), sum \(best level novice\)/)
    rejects(() => messageToSpec({ parts: [text('do it')], metadata: {} }, []), /knows no skills yet/)
  })

  it('refuses a bad skill, an unknown skill id, file parts and bad metadata with what to send instead', () => {
    rejects(() => messageToSpec({ parts: [text('x')], metadata: { skills: ['echo:guru'] } }, KNOWN), /"echo:guru" is not name:level/, /echo \(best level expert\)/)
    rejects(() => messageToSpec({ parts: [text('x')], metadata: { skillId: 'cook' } }, KNOWN), /skillId "cook"/, /sum/)
    rejects(() => messageToSpec({ parts: [{ content: { $case: 'url', value: 'http://x/f.csv' }, metadata: undefined, filename: 'f.csv', mediaType: 'text/csv' }], metadata: { skills: ['echo:novice'] } }, KNOWN), /parts\.0: file parts/)
    rejects(() => messageToSpec({ parts: [text('x')], metadata: { skills: 'echo:novice' } }, KNOWN), /invalid metadata: skills/)
  })
})
