import { afterEach, beforeAll, beforeEach, describe, it, vi } from 'vitest'
import assert from 'node:assert/strict'
import { createMessage } from '@swarm/protocol'
import { Blackboard } from '../../src/group/blackboard.js'
import { groupPeers } from '../fakes/fake-group-bus.js'
import type { FakeGroupBus } from '../fakes/fake-group-bus.js'
import { GROUP_ID, RESYNC_MS, TASK_ID, TOPIC, eventsOf, membersOf, settle, startGroup, stopGroup } from './group-harness.js'
import type { GroupNode } from './group-harness.js'
import type { PeerId } from '@libp2p/interface'

describe('GroupService: blackboard and sync', () => {
  let peers: PeerId[]
  let bus: FakeGroupBus
  let all: GroupNode[]
  let announcer: GroupNode
  let b: GroupNode
  let c: GroupNode
  let late: GroupNode

  beforeAll(async () => {
    peers = await groupPeers(4)
  })

  beforeEach(async () => {
    ;({ bus, all } = await startGroup(peers))
    ;[announcer, b, c, late] = all as [GroupNode, GroupNode, GroupNode, GroupNode]
  })

  afterEach(() => { stopGroup(all) })

  /** The late member joins: everyone learns the new member list, then it joins. */
  function joinLate (): void {
    const members = membersOf([b, c, late])
    for (const n of [announcer, b, c]) n.service.membersChanged(GROUP_ID, members)
    late.service.join({ taskId: TASK_ID, groupId: GROUP_ID, announcer: announcer.id, members, role: 'member' })
  }

  it('applies a member\'s update on every other node, with the member as its author', async () => {
    const id = b.service.postFinding(TASK_ID, { kind: 'observation', content: 'disk 3 is failing', confidence: 0.9 })
    await settle()
    for (const n of [announcer, b, c]) {
      const board = n.service.blackboard(TASK_ID)
      assert.equal(board?.live, true)
      assert.deepEqual(board?.findings.map(f => [f.id, f.author, f.content]), [[id, b.id, 'disk 3 is failing']])
    }
    assert.equal(c.service.stats.blackboardUpdatesApplied, 1)
    assert.deepEqual(eventsOf(c, 'blackboard:changed').map(e => ({ local: e.local, from: e.from, findings: e.findings })), [{ local: false, from: b.id, findings: 1 }])
    assert.deepEqual(eventsOf(b, 'blackboard:changed').map(e => e.local), [true])
  })

  it('refuses an update whose entries are not its signer\'s', async () => {
    b.service.postHypothesis(TASK_ID, 'the controller is at fault')
    await settle()
    const update = bus.ofType('BLACKBOARD_UPDATE')[0]
    assert.ok(update !== undefined)
    const forged = createMessage('BLACKBOARD_UPDATE', update.body)
    assert.ok(await bus.inject(TOPIC, forged, c.peer) > 0)
    assert.equal(announcer.service.stats.rejected['BLACKBOARD_UPDATE:FORGED_CONTENT'], 1)
    assert.equal(announcer.service.stats.blackboardUpdatesApplied, 1)
  })

  it('syncs a late joiner from the announcer: the blackboard so far and the open proposals', async () => {
    b.service.postFinding(TASK_ID, { kind: 'observation', content: 'disk 3 is failing', confidence: 0.9 })
    c.service.recordAction(TASK_ID, 'replaced disk 3', { ok: true })
    const opened = await b.service.propose(TASK_ID, { action: 'order spare disks', timeoutMs: 60_000 })
    await settle()
    const servedBefore = announcer.service.stats.syncsServed

    joinLate()
    await settle()
    assert.equal(late.service.stats.syncsDone, 1)
    assert.equal(announcer.service.stats.syncsServed, servedBefore + 1)
    const board = late.service.blackboard(TASK_ID)
    assert.deepEqual(board?.findings.map(f => f.content), ['disk 3 is failing'])
    assert.deepEqual(board?.actions.map(a => a.description), ['replaced disk 3'])
    assert.equal(late.service.proposal(opened.proposalId)?.status, 'open')
    assert.equal(late.service.proposal(opened.proposalId)?.proposer, b.id)
    assert.ok(eventsOf(late, 'proposal:opened').some(v => v.proposalId === opened.proposalId))

    // From then on it gets updates on the topic like everyone.
    b.service.postFinding(TASK_ID, { kind: 'conclusion', content: 'the batch of disks was bad', confidence: 0.7 })
    await settle()
    assert.equal(late.service.blackboard(TASK_ID)?.findings.length, 2)
  })

  it('asks again after the resync delay when the first sync failed', async () => {
    b.service.postFinding(TASK_ID, { kind: 'observation', content: 'disk 3 is failing', confidence: 0.9 })
    await settle()
    bus.offline.add(announcer.id)
    joinLate()
    await settle()
    assert.equal(late.service.stats.syncsFailed, 1)
    assert.equal(late.service.blackboard(TASK_ID)?.findings.length, 0)

    bus.offline.delete(announcer.id)
    await vi.advanceTimersByTimeAsync(RESYNC_MS - 10)
    assert.equal(late.service.stats.syncsDone, 0)
    await vi.advanceTimersByTimeAsync(20)
    assert.equal(late.service.stats.syncsDone, 1)
    assert.equal(late.service.blackboard(TASK_ID)?.findings.length, 1)
  })

  it('serves the group state only to participants, over a direct request', async () => {
    const stateVector = Buffer.from(new Blackboard().encodeStateVector()).toString('base64')
    const request = createMessage('GROUP_SYNC_REQUEST', { taskId: TASK_ID, groupId: GROUP_ID, stateVector })
    const refused = await bus.node(late.peer).messenger.request(announcer.peer, request)
    assert.equal(refused.type, 'ERROR')
    assert.equal(refused.type === 'ERROR' ? refused.body.code : undefined, 'NOT_A_MEMBER')
    const served = await bus.node(b.peer).messenger.request(announcer.peer, request)
    assert.equal(served.type, 'GROUP_SYNC_RESPONSE')
    const unknown = await bus.node(b.peer).messenger.request(announcer.peer, createMessage('GROUP_SYNC_REQUEST', { taskId: TASK_ID, groupId: 'group-other', stateVector }))
    assert.equal(unknown.type === 'ERROR' ? unknown.body.code : undefined, 'UNKNOWN_GROUP')
  })

  it('turns a bad blackboard call into API_BAD_REQUEST and a call outside a group into GROUP_NOT_FOUND', () => {
    assert.throws(() => b.service.postFinding(TASK_ID, { kind: 'observation', content: '', confidence: 2 }), (err: Error & { code?: string }) => err.code === 'API_BAD_REQUEST')
    assert.throws(() => b.service.setHypothesisStatus(TASK_ID, 'no-such-hypothesis', 'supported'), (err: Error & { code?: string }) => err.code === 'API_BAD_REQUEST')
    assert.throws(() => late.service.postHypothesis(TASK_ID, 'anything'), (err: Error & { code?: string }) => err.code === 'GROUP_NOT_FOUND')
  })
})
