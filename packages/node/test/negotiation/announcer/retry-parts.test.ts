/**
 * Partial results across attempts: a retry keeps the parts the failed attempt delivered and
 * announces only the others, the outcome holds every part; checkpoints a member posts are
 * persisted through the ledger port.
 */
import { afterEach, beforeEach, describe, it, vi } from 'vitest'
import assert from 'node:assert/strict'
import { topics } from '@swarm/protocol'
import { retryDelayMs } from '../../../src/core/task-machine.js'
import { NETWORK, announcerHarness, strong, willing } from './harness.js'
import { fakePeerIds } from '../../fakes/fake-events.js'
import type { Harness } from './harness.js'
import type { PeerId } from '@libp2p/interface'

const BID_WINDOW_MS = 500

describe('Announcer retries keep delivered parts', () => {
  let h: Harness
  let a: PeerId
  let b: PeerId
  let c: PeerId

  beforeEach(async () => {
    vi.useFakeTimers()
    vi.spyOn(Math, 'random').mockReturnValue(0.5)
    // Liveness is kept out of the way: outcomes are decided by results alone.
    h = await announcerHarness({ memberMissedHeartbeats: 100, memberResultShare: 1 })
    const [p, q, r] = await fakePeerIds(3)
    if (p === undefined || q === undefined || r === undefined) throw new Error('peers')
    a = p
    b = q
    c = r
    willing(h, a, strong('sum'))
    willing(h, b, strong('viz'))
    willing(h, c, strong('viz'))
  })

  afterEach(async () => {
    vi.restoreAllMocks()
    await h.close()
    vi.useRealTimers()
  })

  /** A sum+viz task running with a on sum and b on viz. */
  async function running (): Promise<string> {
    const { id } = await h.announcer.announce({ description: 'add and plot', skills: [{ name: 'sum' }, { name: 'viz' }], bidWindowMs: BID_WINDOW_MS, maxAttempts: 2 })
    await h.offer(a, id, strong('sum'))
    await h.offer(b, id, strong('viz'))
    await vi.advanceTimersByTimeAsync(BID_WINDOW_MS + 1)
    assert.equal(h.announcer.state(id)?.status, 'RUNNING')
    return id
  }

  it('re-announces only the failed part, and the outcome holds both parts', async () => {
    const taskId = await running()
    await h.result(a, taskId, 'sum', { ok: true, output: 3 })
    await h.result(b, taskId, 'viz', { ok: false })
    assert.equal(h.announcer.state(taskId)?.status, 'RETRY')
    await vi.advanceTimersByTimeAsync(retryDelayMs(1, {}, 0.5) + 1)
    const announce = h.gossip.publishedOfType('TASK_ANNOUNCE').at(-1)
    assert.equal(announce?.message.body.attempt, 2)
    assert.deepEqual(announce?.message.body.skills.map(s => s.name), ['viz'])
    assert.equal(announce?.topic, topics.skill(NETWORK, 'viz'))
    assert.ok(h.gossip.publishedOfType('TASK_ANNOUNCE').filter(p => p.message.body.attempt === 2).every(p => p.topic !== topics.skill(NETWORK, 'sum')))
    await h.offer(c, taskId, strong('viz'), 2)
    await vi.advanceTimersByTimeAsync(BID_WINDOW_MS + 1)
    assert.deepEqual(h.announcer.state(taskId)?.members, [{ peerId: c.toString(), skills: ['viz'] }])
    await h.result(c, taskId, 'viz', { ok: true, output: 'chart' })
    const outcome = await h.announcer.get(taskId)?.result()
    assert.equal(outcome?.status, 'COMPLETE')
    assert.equal(outcome?.attempts, 2)
    assert.deepEqual(outcome?.output, { sum: 3, viz: 'chart' })
    assert.deepEqual(Object.keys(outcome?.bySkill ?? {}).sort(), ['sum', 'viz'])
    assert.deepEqual(h.saved.at(-1)?.outcome?.output, { sum: 3, viz: 'chart' })
    assert.ok(h.actions().includes('parts-kept'))
  })

  it('persists a checkpoint it receives through the ledger port', async () => {
    const taskId = await running()
    assert.equal(h.progress(a, taskId, 'sum', { progress: 0.5, checkpoint: { done: 2 }, message: 'checkpoint' }), true)
    assert.deepEqual(h.checkpointsSaved, [{ taskId, checkpoint: { sum: { done: 2 } } }])
  })
})
