import { afterEach, beforeAll, beforeEach, describe, it, vi } from 'vitest'
import assert from 'node:assert/strict'
import { createMessage } from '@swarm/protocol'
import { FakeGroupBus, groupPeers } from '../fakes/fake-group-bus.js'
import { TASK_ID, TOPIC, formGroup, groupNodes, settle } from './group-harness.js'
import type { GroupNode } from './group-harness.js'
import type { PeerId } from '@libp2p/interface'

describe('GroupService: claims and versioned data', () => {
  let peers: PeerId[]
  let bus: FakeGroupBus
  let all: GroupNode[]
  let announcer: GroupNode
  let b: GroupNode
  let c: GroupNode

  beforeAll(async () => {
    peers = await groupPeers(3)
  })

  beforeEach(async () => {
    vi.useFakeTimers()
    bus = new FakeGroupBus()
    all = groupNodes(bus, peers)
    ;[announcer, b, c] = all as [GroupNode, GroupNode, GroupNode]
    formGroup(announcer, [b, c])
    await settle()
  })

  afterEach(() => {
    for (const n of all) n.service.stop()
    vi.useRealTimers()
  })

  it('every member sees the same holder of a contested resource, and the loser when it may retry', async () => {
    const first = await b.service.claim(TASK_ID, 'printer', 10_000)
    assert.deepEqual(first, { resourceId: 'printer', granted: true, holder: b.id })
    await settle()
    // A higher priority wins even against an earlier claim.
    await vi.advanceTimersByTimeAsync(100)
    await c.service.claim(TASK_ID, 'printer', 5_000, 5)
    await settle()
    for (const n of all) assert.equal(n.service.claimStatus(TASK_ID, 'printer').holder, c.id, `holder at ${n.id}`)
    const lost = b.service.claimStatus(TASK_ID, 'printer')
    assert.equal(lost.granted, false)
    assert.equal(lost.retryAfterMs, 5_000)

    // The winner's lease ends: the earlier claim holds again.
    await vi.advanceTimersByTimeAsync(5_000)
    for (const n of all) assert.equal(n.service.claimStatus(TASK_ID, 'printer').holder, b.id)
    // A release (lease 0) frees it everywhere.
    await b.service.claim(TASK_ID, 'printer', 0)
    await settle()
    for (const n of all) assert.equal(n.service.claimStatus(TASK_ID, 'printer').holder, undefined)
  })

  it('refuses a lease that is not a whole number of milliseconds up to a week', async () => {
    await assert.rejects(b.service.claim(TASK_ID, 'printer', 1.5), (err: Error & { code?: string }) => err.code === 'API_BAD_REQUEST')
    await assert.rejects(b.service.claim(TASK_ID, 'printer', 8 * 24 * 3600 * 1000), (err: Error & { code?: string }) => err.code === 'API_BAD_REQUEST')
  })

  it('a newer version of a shared value wins on every member; the writer is its signer', async () => {
    assert.deepEqual(await b.service.writeData(TASK_ID, 'plan', { step: 1 }), { version: 0, applied: true })
    await settle()
    assert.deepEqual(c.service.readData(TASK_ID, 'plan'), { value: { step: 1 }, version: 0, writer: b.id })
    assert.deepEqual(await c.service.writeData(TASK_ID, 'plan', { step: 2 }), { version: 1, applied: true })
    await settle()
    for (const n of all) assert.deepEqual(n.service.readData(TASK_ID, 'plan'), { value: { step: 2 }, version: 1, writer: c.id })

    // An older version arriving late changes nothing.
    await bus.inject(TOPIC, createMessage('DATA_WRITE', { taskId: TASK_ID, groupId: 'group-0001', key: 'plan', version: 0, value: { step: 0 } }), b.peer)
    for (const n of all) assert.equal(n.service.readData(TASK_ID, 'plan')?.version, 1)
  })

  it('counts a claim for another group as WRONG_GROUP', async () => {
    await bus.inject(TOPIC, createMessage('CLAIM', { taskId: TASK_ID, groupId: 'group-other', resourceId: 'printer', priority: 0, claimedAt: Date.now(), leaseMs: 1_000, seq: 0 }), b.peer)
    assert.equal(c.service.stats.rejected['CLAIM:WRONG_GROUP'], 1)
    assert.equal(c.service.claimStatus(TASK_ID, 'printer').holder, undefined)
  })
})
