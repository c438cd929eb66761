/**
 * The prompt of a workflow step's task whose input holds the outputs of the steps it builds on
 * (the workflow tag's `buildsOn`): each upstream output under its step id, the review's feedback
 * on its own, the rest as the input; bounded. Without the tag the prompt is as for any task.
 */
import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { buildMessages } from '../../src/llm/prompt.js'
import type { PromptParts } from '../../src/llm/prompt.js'
import type { Json } from '@swarm/protocol'

const INPUT: Json = { clean: { rows: 3, dropped: ['b'] }, code: 'function parse() {}', feedback: 'too slow on 1 GB files', language: 'ts' }

function userText (input: Json, workflow?: PromptParts['workflow']): string {
  const [, user] = buildMessages({ system: 's', skill: 'coder', description: 'Improve the parser', input, output: 'text', ...(workflow !== undefined ? { workflow } : {}) })
  return user?.content ?? ''
}

describe('buildMessages for a workflow step', () => {
  it('names each upstream step and its output, gives the feedback a section, and shows the rest as the input', () => {
    const text = userText(INPUT, { buildsOn: ['clean', 'code'] })
    const sections = text.split('\n\n## ').map(s => s.split('\n')[0])
    assert.deepEqual(sections.slice(1), ['Outputs this step builds on', 'Feedback from the review'])
    assert.ok(text.includes([
      '## Outputs this step builds on',
      '### clean',
      '{\n  "rows": 3,\n  "dropped": [\n    "b"\n  ]\n}',
      '',
      '### code',
      'function parse() {}'
    ].join('\n')), text)
    assert.ok(text.includes('## Feedback from the review\ntoo slow on 1 GB files\n\nInput:\n{\n  "language": "ts"\n}'), text)
    // The upstream outputs and the feedback are not repeated in the input.
    assert.equal(text.match(/too slow/g)?.length, 1)
    assert.doesNotMatch(text, /"clean"|"code"|"feedback"/)
    assert.ok(text.indexOf('Task: Improve the parser') < text.indexOf('## Outputs'))
  })

  it('says so for an upstream step without output, and leaves out a feedback or input section it has nothing for', () => {
    const text = userText({ clean: null }, { buildsOn: ['clean', 'code'] })
    assert.match(text, /### clean\n\(no output\)\n\n### code\n\(no output\)$/)
    assert.doesNotMatch(text, /Feedback from the review|Input:/)
    // Feedback that is not text is shown as JSON.
    assert.match(userText({ clean: 'x', feedback: { reasons: ['slow'] } }, { buildsOn: ['clean'] }), /## Feedback from the review\n\{\n {2}"reasons": \[/)
  })

  it('is the prompt of any task without the tag, with a tag that builds on nothing, or with an input that is not an object', () => {
    const plain = userText(INPUT)
    assert.ok(plain.includes(`Input:\n${JSON.stringify(INPUT, null, 2)}`))
    assert.doesNotMatch(plain, /## Outputs|## Feedback/)
    assert.equal(userText(INPUT, { buildsOn: [] }), plain)
    assert.equal(userText(['clean'], { buildsOn: ['clean'] }), userText(['clean']))
    assert.equal(userText('some text', { buildsOn: ['clean'] }), userText('some text'))
  })

  it('keeps the sections bounded: 16 000 characters an output, 48 000 in all, 8 000 of feedback', () => {
    const long = (c: string, n: number): string => c.repeat(n)
    const text = userText({ a: long('a', 20_000), b: long('b', 16_000), c: long('c', 16_000), d: long('d', 100), feedback: long('f', 9_000) }, { buildsOn: ['a', 'b', 'c', 'd'] })
    assert.ok(text.includes(`### a\n${long('a', 16_000)}\n… (cut: 4000 more characters)\n\n### b`))
    assert.ok(text.includes(`### b\n${long('b', 16_000)}\n\n### c`))
    assert.ok(text.includes(`### c\n${long('c', 16_000)}\n\n### d`))
    assert.ok(text.includes('### d\n(left out: 100 characters, the outputs above fill this section)'))
    assert.ok(text.includes(`## Feedback from the review\n${long('f', 8_000)}\n… (cut: 1000 more characters)`))
    assert.ok(text.length < 60_000, `${text.length} characters`)
  })
})
