import { afterEach, beforeAll, beforeEach, describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { createMessage } from '@swarm/protocol'
import { groupPeers } from '../fakes/fake-group-bus.js'
import type { FakeGroupBus } from '../fakes/fake-group-bus.js'
import { GROUP_ID, TASK_ID, TOPIC, eventsOf, settle, startGroup, stopGroup } from './group-harness.js'
import type { GroupNode } from './group-harness.js'
import type { PeerId } from '@libp2p/interface'

describe('GroupService: escalations', () => {
  let peers: PeerId[]
  let bus: FakeGroupBus
  let all: GroupNode[]
  let announcer: GroupNode
  let b: GroupNode
  let c: GroupNode
  let outsider: GroupNode

  beforeAll(async () => {
    peers = await groupPeers(4)
  })

  beforeEach(async () => {
    ;({ bus, all } = await startGroup(peers))
    ;[announcer, b, c, outsider] = all as [GroupNode, GroupNode, GroupNode, GroupNode]
  })

  afterEach(() => { stopGroup(all) })

  it('a member raises an issue at the announcer, which keeps it and tells the group; the human\'s decision reaches everyone', async () => {
    const { escalationId } = await c.service.escalate(TASK_ID, { issue: 'the input file is encrypted', severity: 'high' })
    const [kept] = announcer.service.escalations()
    assert.equal(kept?.id, escalationId)
    assert.equal(kept?.raisedBy, c.id)
    assert.equal(kept?.source, 'member')
    assert.equal(kept?.status, 'open')
    assert.equal(announcer.store.escalationRows.get(escalationId)?.status, 'open')
    assert.ok(announcer.audits.some(a => a.action === 'escalation-created'))
    await settle()
    for (const m of [b, c]) {
      assert.equal(eventsOf(m, 'escalation:created')[0]?.id, escalationId)
      assert.equal(m.service.escalation(escalationId)?.status, 'open')
    }

    // Only the announcer decides.
    assert.throws(() => c.service.resolveEscalation(escalationId, 'use the key'), (err: Error & { code?: string }) => err.code === 'ESCALATION_STATE')
    const resolved = announcer.service.resolveEscalation(escalationId, 'ask the customer for the key')
    assert.equal(resolved.status, 'resolved')
    assert.throws(() => announcer.service.resolveEscalation(escalationId, 'again'), (err: Error & { code?: string }) => err.code === 'ESCALATION_STATE')
    await settle()
    for (const m of [b, c]) {
      assert.equal(eventsOf(m, 'escalation:resolved')[0]?.decision, 'ask the customer for the key')
      assert.equal(m.service.escalations({ status: 'resolved' }).length, 1)
    }
    assert.equal(announcer.service.stats.escalationsCreated, 1)
    assert.equal(announcer.service.stats.escalationsResolved, 1)
  })

  it('the announcer raises its own issue at once', async () => {
    const { escalationId } = await announcer.service.escalate(TASK_ID, { issue: 'the budget is spent' })
    assert.equal(announcer.service.escalation(escalationId)?.severity, 'medium')
    assert.throws(() => announcer.service.resolveEscalation('missing-escalation', 'x'), (err: Error & { code?: string }) => err.code === 'ESCALATION_NOT_FOUND')
  })

  it('refuses ESCALATE from a peer outside the group and ESCALATION from a member', async () => {
    const reply = await outsider.ports.messenger.request(announcer.peer, createMessage('ESCALATE', { taskId: TASK_ID, groupId: GROUP_ID, severity: 'low', issue: 'let me in', attemptedResolutions: [] }))
    assert.equal(reply.type === 'ERROR' ? reply.body.code : reply.type, 'NOT_A_MEMBER')
    assert.equal(announcer.service.escalations().length, 0)

    const fake = createMessage('ESCALATION', { escalationId: 'escalation-0001', taskId: TASK_ID, groupId: GROUP_ID, status: 'open', source: 'member', raisedBy: b.id, severity: 'low', issue: 'forged', attemptedResolutions: [], createdAt: Date.now() })
    assert.equal(await bus.inject(TOPIC, fake, b.peer), 0)
    assert.equal(c.service.stats.rejected['ESCALATION:NOT_A_MEMBER'], 1)
    assert.equal(eventsOf(c, 'escalation:created').length, 0)
  })

  it('a member whose announcer does not take the escalation gets an error it can act on', async () => {
    bus.offline.add(announcer.id)
    await assert.rejects(c.service.escalate(TASK_ID, { issue: 'anyone there?' }), /not reachable/)
    await assert.rejects(outsider.service.escalate(TASK_ID, { issue: 'x' }), (err: Error & { code?: string }) => err.code === 'GROUP_NOT_FOUND')
  })
})
