import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { feedLine, printTaskFeed } from '../src/commands/task-feed.js'
import type { SwarmNode } from '@swarm/node'

const T = 'f81d4fae-7dec-11d0-a765-00a0c91e6bf6'
const timings = { createdAt: 0, announcedAt: 0, finishedAt: 1200, totalMs: 1200 }

describe('the task feed of swarm-node start', () => {
  it('gives one short line per step of a task this node announced', () => {
    assert.equal(feedLine('task:announced', { type: 'announced', taskId: T, at: 0, attempt: 1, topics: [] }).text, 'task f81d4fae…1e6bf6 announced')
    assert.equal(feedLine('task:formed', { type: 'formed', taskId: T, at: 0, groupId: 'g', members: [{ peerId: 'p', skills: ['a'] }, { peerId: 'q', skills: ['b'] }], formationMs: 31 }).text, 'task f81d4fae…1e6bf6 group formed in 31ms: 2 members')
    assert.equal(feedLine('task:completed', { type: 'completed', taskId: T, at: 0, outcome: { taskId: T, status: 'COMPLETE', ok: true, attempts: 1, timings } }).text, 'task f81d4fae…1e6bf6 completed in 1.2s')
    // A long, many-line reason is cut to its first line.
    const failed = feedLine('task:failed', { type: 'failed', taskId: T, at: 0, outcome: { taskId: T, status: 'FAILED', ok: false, attempts: 3, reason: `handler crashed: ${'x'.repeat(300)}\n    at stack (file.js:1)`, timings } })
    assert.match(failed.text, /^task f81d4fae…1e6bf6 failed in 1\.2s: handler crashed: x+…$/)
    assert.ok(failed.text.length < 160 && !failed.text.includes('\n'), failed.text)
    assert.equal(failed.data.status, 'FAILED')
  })

  it('gives one line when a part this node works on starts and ends, the error cut to one line', () => {
    assert.equal(feedLine('work:started', { taskId: T, groupId: 'g', skills: ['viz'] }).text, 'work f81d4fae…1e6bf6 viz started')
    assert.equal(feedLine('work:finished', { taskId: T, groupId: 'g', skill: 'viz', ok: true, durationMs: 30 }).text, 'work f81d4fae…1e6bf6 viz done in 30ms')
    assert.equal(feedLine('work:finished', { taskId: T, groupId: 'g', skill: 'viz', ok: false, durationMs: 5, error: { code: 'HANDLER_EXIT', message: 'exit 1: boom\nTraceback …' } }).text, 'work f81d4fae…1e6bf6 viz FAILED after 5ms: HANDLER_EXIT exit 1: boom')
  })

  it('prints the feed of a node through the printer', () => {
    const node = new EventEmitter()
    const shown: string[] = []
    printTaskFeed(node as unknown as Pick<SwarmNode, 'on'>, text => { shown.push(text) })
    node.emit('work:started', { taskId: T, groupId: 'g', skills: ['viz'] })
    node.emit('agent:joined', {})
    assert.deepEqual(shown, ['work f81d4fae…1e6bf6 viz started'])
  })
})
