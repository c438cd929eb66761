import { afterEach, beforeAll, beforeEach, describe, it, vi } from 'vitest'
import assert from 'node:assert/strict'
import { createMessage } from '@swarm/protocol'
import { groupPeers } from '../fakes/fake-group-bus.js'
import type { FakeGroupBus } from '../fakes/fake-group-bus.js'
import { GROUP_ID, TASK_ID, TOPIC, settle, startGroup, stopGroup } from './group-harness.js'
import type { GroupNode } from './group-harness.js'
import type { BlackboardSnapshot } from '../../src/group/blackboard.js'
import type { PeerId } from '@libp2p/interface'

describe('GroupService: persistence', () => {
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
    ;({ bus, all } = await startGroup(peers))
    ;[announcer, b, c] = all as [GroupNode, GroupNode, GroupNode]
  })

  afterEach(() => { stopGroup(all) })

  const stored = (n: GroupNode) => n.store.blackboards.get(`${TASK_ID}/${GROUP_ID}`)

  it('stores a working blackboard once per burst of changes', async () => {
    b.service.postFinding(TASK_ID, { kind: 'observation', content: 'one', confidence: 0.5 })
    b.service.postFinding(TASK_ID, { kind: 'observation', content: 'two', confidence: 0.5 })
    await settle()
    assert.equal(stored(b), undefined)
    await vi.advanceTimersByTimeAsync(300)
    assert.equal(b.store.writes.filter(w => w === `blackboard:${TASK_ID}`).length, 1)
    assert.equal(stored(b)?.live, true)
    assert.equal(stored(b)?.role, 'member')
    assert.equal((stored(b)?.snapshot as unknown as BlackboardSnapshot).findings.length, 2)
    assert.equal(stored(c)?.live, true)
  })

  it('on leave, stores the blackboard as ended and closes open proposals, which stay readable', async () => {
    b.service.postFinding(TASK_ID, { kind: 'observation', content: 'disk 3 is failing', confidence: 0.9 })
    const opened = await b.service.propose(TASK_ID, { action: 'order spare disks', timeoutMs: 60_000 })
    const waiting = b.service.decision(opened.proposalId)
    await settle()

    b.service.leave(GROUP_ID)
    assert.equal(b.service.inGroup(TASK_ID), false)
    assert.equal(stored(b)?.live, false)
    assert.deepEqual((stored(b)?.snapshot as unknown as BlackboardSnapshot).findings.map(f => f.content), ['disk 3 is failing'])
    assert.equal(b.store.proposalRows.get(opened.proposalId)?.status, 'closed')
    assert.equal((await waiting).status, 'closed')

    const board = b.service.blackboard(TASK_ID)
    assert.equal(board?.live, false)
    assert.equal(board?.findings.length, 1)
    assert.equal(b.service.proposal(opened.proposalId)?.status, 'closed')
    assert.equal(b.service.proposals(TASK_ID).length, 1)
    assert.throws(() => b.service.vote(opened.proposalId, { choice: 'yes' }), (err: Error & { code?: string, details?: { reason?: string } }) => err.code === 'VOTE_REJECTED' && /no longer votes/.test(err.message))
    // No timer outlives the group: the deadline passes without a decision here.
    await vi.advanceTimersByTimeAsync(61_000)
    assert.equal(b.service.proposal(opened.proposalId)?.status, 'closed')
    assert.equal(b.service.stats.proposalsDecided, 0)
  })

  it('members leave on the announcer\'s DISSOLVE and store what they had', async () => {
    c.service.postHypothesis(TASK_ID, 'the batch was bad')
    await settle()
    await bus.inject(TOPIC, createMessage('DISSOLVE', { taskId: TASK_ID, groupId: GROUP_ID, reason: 'completed' }), announcer.peer)
    for (const m of [b, c]) {
      assert.equal(m.service.inGroup(TASK_ID), false)
      assert.equal(stored(m)?.live, false)
      assert.equal((stored(m)?.snapshot as unknown as BlackboardSnapshot).hypotheses.length, 1)
    }
  })

  it('stop stores every live blackboard; a closed store is skipped without an error', async () => {
    b.service.postFinding(TASK_ID, { kind: 'observation', content: 'late', confidence: 0.5 })
    await settle()
    announcer.service.stop()
    assert.equal(stored(announcer)?.live, true)
    assert.equal(stored(announcer)?.role, 'announcer')
    // A stopped service joins nothing and arms no timer.
    announcer.service.join({ taskId: 'task-0002', groupId: 'group-0002', announcer: announcer.id, members: [{ peerId: b.id, skills: ['work'] }], role: 'announcer' })
    assert.equal(announcer.service.inGroup('task-0002'), false)

    c.store.isOpen = false
    c.service.postFinding(TASK_ID, { kind: 'observation', content: 'after close', confidence: 0.5 })
    assert.doesNotThrow(() => { c.service.leave(GROUP_ID) })
    assert.equal(stored(c), undefined)
  })
})
