import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { buildMessages, inputText, parseJsonAnswer, progressTail } from '../../src/llm/prompt.js'

describe('buildMessages', () => {
  it('sends the system prompt, then the part, the task, its input and the findings in one user message', () => {
    const [system, user, ...rest] = buildMessages({
      system: 'You review code.',
      skill: 'reviewer',
      description: 'Review the parser',
      input: { code: 'let x = 1' },
      findings: [{ kind: 'observation', content: 'x is never read', confidence: 0.8 }],
      output: 'text'
    })
    assert.deepEqual(system, { role: 'system', content: 'You review code.' })
    assert.equal(user?.role, 'user')
    assert.match(user?.content ?? '', /Your part: reviewer\./)
    assert.match(user?.content ?? '', /Task: Review the parser/)
    assert.match(user?.content ?? '', /Input:\n\{\n {2}"code": "let x = 1"\n\}/)
    assert.match(user?.content ?? '', /- \(observation, confidence 0\.8\) x is never read/)
    assert.doesNotMatch(user?.content ?? '', /JSON value/)
    assert.equal(rest.length, 0)
  })

  it('asks for one JSON value when the skill wants JSON, and leaves out what the task does not have', () => {
    const [, user] = buildMessages({ system: 's', skill: 'k', description: 'd', input: null, output: 'json' })
    assert.doesNotMatch(user?.content ?? '', /Input:|Findings/)
    assert.match(user?.content ?? '', /Answer with one JSON value/)
  })
})

describe('inputText', () => {
  it('gives text as it is, nothing for null, JSON for the rest', () => {
    assert.equal(inputText('plain words'), 'plain words')
    assert.equal(inputText(null), undefined)
    assert.equal(inputText([1, 2]), '[\n  1,\n  2\n]')
  })
})

describe('parseJsonAnswer', () => {
  it('reads a bare or fenced JSON answer, and nothing else', () => {
    assert.deepEqual(parseJsonAnswer(' {"ok": true} '), { ok: true })
    assert.deepEqual(parseJsonAnswer('```json\n[1, 2]\n```'), [1, 2])
    assert.equal(parseJsonAnswer('Sure! Here it is: {"ok": true}'), undefined)
  })
})

describe('progressTail', () => {
  it('keeps the end of a long answer on one line, marked as cut', () => {
    assert.equal(progressTail('short\nanswer', 20), 'short answer')
    const tail = progressTail('a'.repeat(300) + ' the end', 20)
    assert.equal(tail.length, 20)
    assert.ok(tail.startsWith('…') && tail.endsWith('the end'))
  })
})

describe('parseVote', () => {
  it('reads a strict vote: approve → yes, reject → no, with the confidence and reason', async () => {
    const { parseVote } = await import('../../src/llm/prompt.js')
    assert.deepEqual(parseVote('{"vote": "approve", "confidence": 0.9, "reason": "correct"}'), { choice: 'yes', confidence: 0.9, reason: 'correct' })
    assert.deepEqual(parseVote('```json\n{"vote": "reject", "confidence": 0.6, "reason": "misses negatives"}\n```'), { choice: 'no', confidence: 0.6, reason: 'misses negatives' })
  })

  it('abstains, saying why, on anything else', async () => {
    const { parseVote } = await import('../../src/llm/prompt.js')
    for (const answer of ['Looks good to me!', '{"vote": "yes", "confidence": 1, "reason": "x"}', '{"vote": "approve", "confidence": 2, "reason": "x"}', '{"vote": "approve", "reason": "x"}', '{"vote": "approve", "confidence": 1, "reason": "x", "extra": 1}']) {
      const vote = parseVote(answer)
      assert.equal(vote.choice, 'abstain', answer)
      assert.match(vote.reason ?? '', /not a vote/)
    }
  })
})

describe('findingsOf', () => {
  it('takes the FINDING: lines of an answer, at most 10', async () => {
    const { findingsOf } = await import('../../src/llm/prompt.js')
    assert.deepEqual(findingsOf('The code works.\nFINDING: the loop is O(n^2)\n  FINDING:  no input check  \nfinding: lower case is not one'), ['the loop is O(n^2)', 'no input check'])
    assert.equal(findingsOf(Array.from({ length: 20 }, (_v, i) => `FINDING: f${i}`).join('\n')).length, 10)
  })
})
