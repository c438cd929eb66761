import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { SwarmStore } from '../../src/store/store.js'

describe('store: working-group records', () => {
  it('keeps blackboards per task and group, newest first, with their Yjs state', () => {
    const store = SwarmStore.open(':memory:')
    try {
      store.saveBlackboard({ taskId: 'task-1', groupId: 'group-a', role: 'announcer', state: new Uint8Array([1, 2, 3]), snapshot: { findings: [] }, live: true, updatedAt: 1_000 })
      store.saveBlackboard({ taskId: 'task-1', groupId: 'group-b', role: 'announcer', state: new Uint8Array([4]), snapshot: { findings: [1] }, live: true, updatedAt: 2_000 })
      store.saveBlackboard({ taskId: 'task-1', groupId: 'group-a', role: 'announcer', state: new Uint8Array([9, 9]), snapshot: { findings: [2] }, live: false, updatedAt: 3_000 })
      const boards = store.listBlackboards('task-1')
      assert.deepEqual(boards.map(b => [b.groupId, b.live, [...b.state]]), [['group-a', false, [9, 9]], ['group-b', true, [4]]])
      assert.deepEqual(boards[0]?.snapshot, { findings: [2] })
      assert.deepEqual(store.listBlackboards('task-2'), [])
    } finally {
      store.close()
    }
  })

  it('updates a proposal\'s votes and status, and lists proposals by task, newest first', () => {
    const store = SwarmStore.open(':memory:')
    try {
      const base = { taskId: 'task-1', groupId: 'group-a', proposal: { action: 'x' }, votes: [], status: 'open' as const, openedAt: 1_000, updatedAt: 1_000 }
      store.saveProposal({ ...base, proposalId: 'p-1' })
      store.saveProposal({ ...base, proposalId: 'p-2', openedAt: 2_000 })
      store.saveProposal({ ...base, proposalId: 'p-3', taskId: 'task-2' })
      store.saveProposal({ ...base, proposalId: 'p-1', proposal: { action: 'x', outcome: 'approved' }, votes: [{ voter: 'a' }], status: 'decided', tally: { outcome: 'approved' }, updatedAt: 5_000 })
      assert.deepEqual(store.getProposal('p-1')?.tally, { outcome: 'approved' })
      assert.deepEqual(store.getProposal('p-1')?.proposal, { action: 'x', outcome: 'approved' })
      assert.equal(store.getProposal('p-1')?.status, 'decided')
      assert.deepEqual(store.listProposals({ taskId: 'task-1' }).map(p => p.proposalId), ['p-2', 'p-1'])
      assert.equal(store.listProposals().length, 3)
      assert.equal(store.getProposal('nope'), undefined)
    } finally {
      store.close()
    }
  })

  it('keeps escalations and filters them by status and task', () => {
    const store = SwarmStore.open(':memory:')
    try {
      store.saveEscalation({ escalationId: 'e-1', taskId: 'task-1', groupId: 'group-a', record: { issue: 'a' }, status: 'open', createdAt: 1_000, updatedAt: 1_000 })
      store.saveEscalation({ escalationId: 'e-2', taskId: 'task-2', record: { issue: 'b' }, status: 'open', createdAt: 2_000, updatedAt: 2_000 })
      store.saveEscalation({ escalationId: 'e-1', taskId: 'task-1', groupId: 'group-a', record: { issue: 'a', decision: 'go' }, status: 'resolved', createdAt: 1_000, updatedAt: 3_000 })
      assert.deepEqual(store.listEscalations().map(e => e.escalationId), ['e-2', 'e-1'])
      assert.deepEqual(store.listEscalations({ status: 'open' }).map(e => e.escalationId), ['e-2'])
      assert.deepEqual(store.listEscalations({ taskId: 'task-1' })[0]?.record, { issue: 'a', decision: 'go' })
      assert.equal(store.getEscalation('e-2')?.groupId, undefined)
    } finally {
      store.close()
    }
  })
})
