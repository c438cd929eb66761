/** The `finding <json>` line of the exec line protocol: posted through ctx.postFinding when valid, warned about and ignored otherwise. */
import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { Tail, readStderrLine } from '../../src/executor/exec-streams.js'
import { memoryLog } from '../fakes/memory-log.js'
import type { HandlerContext } from '../../src/executor/types.js'
import type { PostFindingInput } from '../../src/group/inputs.js'

function ctx (withBoard: boolean): { ctx: HandlerContext, posted: PostFindingInput[], lines: Array<Record<string, unknown>> } {
  const { logger, lines } = memoryLog()
  const posted: PostFindingInput[] = []
  return {
    posted,
    lines,
    ctx: {
      taskId: 't', groupId: 'g', skill: 's', description: 'd', members: [], deadline: 0, attempt: 1,
      signal: new AbortController().signal,
      progress: () => {},
      saveCheckpoint: () => {},
      log: logger,
      ...(withBoard ? { postFinding: (f: PostFindingInput) => { posted.push(f); return 'f1' } } : {})
    }
  }
}

describe('exec stderr: finding lines', () => {
  it('posts a valid finding on the blackboard', () => {
    const { ctx: c, posted } = ctx(true)
    const tail = new Tail(1_000)
    readStderrLine('finding {"kind":"observation","content":"the parser drops BOMs","confidence":0.7,"evidence":["test.csv"]}\r', c, tail)
    assert.deepEqual(posted, [{ kind: 'observation', content: 'the parser drops BOMs', confidence: 0.7, evidence: ['test.csv'] }])
    assert.equal(tail.text(), '')
  })

  it('warns about a line that is not JSON or not a finding, and posts nothing', () => {
    const { ctx: c, posted, lines } = ctx(true)
    const tail = new Tail(1_000)
    readStderrLine('finding {not json', c, tail)
    readStderrLine('finding {"kind":"rumour","content":"x","confidence":2}', c, tail)
    assert.deepEqual(posted, [])
    const warnings = lines.filter(l => l.level === 'warn').map(l => String(l.msg))
    assert.equal(warnings.length, 2, JSON.stringify(lines))
    assert.ok(warnings.every(w => /bad finding line/.test(w)))
  })

  it('warns when the run has no blackboard to post on', () => {
    const { ctx: c, lines } = ctx(false)
    readStderrLine('finding {"kind":"conclusion","content":"done","confidence":1}', c, new Tail(1_000))
    assert.ok(lines.some(l => l.level === 'warn' && /no working-group blackboard/.test(String(l.msg))))
  })
})
