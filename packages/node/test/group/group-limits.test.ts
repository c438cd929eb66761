/**
 * What one member can make its group spend (issue 14): escalations (context size, rate per
 * member, open escalations per task) and proposals (rate per member, deadline clamped to the
 * task's). Time is vitest's fake clock.
 */
import { afterEach, beforeAll, beforeEach, describe, it, vi } from 'vitest'
import assert from 'node:assert/strict'
import { createMessage, newId } from '@swarm/protocol'
import { GroupService } from '../../src/group/group-service.js'
import { MAX_ESCALATIONS_PER_TASK } from '../../src/group/escalations.js'
import { silentLogger } from '../../src/logger.js'
import { systemClock } from '../../src/ports/clock.js'
import { FakeGroupBus, groupPeers } from '../fakes/fake-group-bus.js'
import { FakeGroupStore } from '../fakes/fake-group-store.js'
import { fakeSigner } from '../fakes/fake-signer.js'
import { GROUP_ID, TASK_ID, TOPIC, membersOf, settle } from './group-harness.js'
import type { GroupServiceInit } from '../../src/group/group-service.js'
import type { GroupNode } from './group-harness.js'
import type { PeerId } from '@libp2p/interface'
import type { SwarmMessage } from '@swarm/protocol'

const DAY = 24 * 3600 * 1000
const LIMITS: NonNullable<GroupServiceInit['limits']> = {
  maxEscalationContextBytes: 1_024,
  rates: { escalations: { perSecond: 0.2, burst: 5 }, proposals: { perSecond: 1, burst: 10 } }
}

/** Group services on `bus` with `limits`; the first announces a group of the others, whose task ends `deadline`. */
function limitedGroup (bus: FakeGroupBus, peers: PeerId[], limits: GroupServiceInit['limits'], deadline: number): GroupNode[] {
  const nodes = peers.map((peer): GroupNode => {
    const ports = bus.node(peer)
    const store = new FakeGroupStore()
    const events: GroupNode['events'] = []
    const service = new GroupService({
      gossip: ports.gossip,
      messenger: ports.messenger,
      direct: ports.direct,
      store,
      clock: systemClock,
      logger: silentLogger(),
      events: { emit: (event, payload) => { events.push({ event, payload }) } },
      audit: () => {},
      signer: fakeSigner(peer)
    }, { self: peer, network: 'unit', resyncMs: 1_500, ...(limits !== undefined ? { limits } : {}) })
    service.start()
    return { peer, id: peer.toString(), ports, service, store, events, audits: [] }
  })
  const [announcer, ...members] = nodes as [GroupNode, ...GroupNode[]]
  const info = { taskId: TASK_ID, groupId: GROUP_ID, announcer: announcer.id, members: membersOf(members), deadline }
  announcer.service.join({ ...info, role: 'announcer' })
  for (const m of members) m.service.join({ ...info, role: 'member' })
  return nodes
}

function codeOf (reply: SwarmMessage): string {
  return reply.type === 'ERROR' ? reply.body.code : reply.type
}

describe('GroupService: limits on escalations and proposals', () => {
  let peers: PeerId[]
  let bus: FakeGroupBus
  let all: GroupNode[]
  let announcer: GroupNode
  let member: GroupNode
  let deadline: number

  beforeAll(async () => {
    peers = await groupPeers(3)
  })

  const escalate = async (context: unknown = { n: 1 }): Promise<string> => codeOf(await member.ports.messenger.request(announcer.peer, createMessage('ESCALATE', {
    taskId: TASK_ID, groupId: GROUP_ID, severity: 'low', issue: 'help', context: context as never, attemptedResolutions: []
  })))

  const proposal = (askedDeadline: number): SwarmMessage => createMessage('PROPOSAL', {
    proposalId: newId(), taskId: TASK_ID, groupId: GROUP_ID, action: 'wait', quorum: { kind: 'majority' }, minParticipation: 0.5, voters: all.slice(1).map(n => n.id), deadline: askedDeadline
  })

  describe('with the limits', () => {
    beforeEach(async () => {
      vi.useFakeTimers()
      vi.setSystemTime(new Date('2026-01-01T00:00:00Z'))
      bus = new FakeGroupBus()
      deadline = Date.now() + 60_000
      all = limitedGroup(bus, peers, LIMITS, deadline)
      ;[announcer, member] = all as [GroupNode, GroupNode]
      await settle()
    })
    afterEach(() => {
      for (const n of all) n.service.stop()
      vi.useRealTimers()
    })

    it('refuses an escalation whose context is over maxEscalationContextBytes, at the announcer and at the member', async () => {
      const big = { blob: 'x'.repeat(2_000) }
      assert.equal(await escalate(big), 'OVERSIZED')
      assert.equal(announcer.service.escalations().length, 0)
      assert.equal(announcer.store.escalationRows.size, 0)
      await assert.rejects(member.service.escalate(TASK_ID, { issue: 'help', context: big }), (err: Error & { code?: string }) => err.code === 'ESCALATION_STATE' && /maxEscalationContextBytes/.test(err.message))
      assert.equal(announcer.service.limited()['escalation-context'], 1)
    })

    it('takes a burst of escalations from one member, then one every 5 s', async () => {
      const codes: string[] = []
      for (let i = 0; i < 8; i++) codes.push(await escalate())
      assert.deepEqual(codes, ['ACK', 'ACK', 'ACK', 'ACK', 'ACK', 'RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED'])
      assert.equal(announcer.service.escalations().length, 5)
      await vi.advanceTimersByTimeAsync(5_000)
      assert.equal(await escalate(), 'ACK')
      assert.equal(await escalate(), 'RATE_LIMITED')
      assert.equal(announcer.service.limited().escalation, 4)
    })

    it('opens a proposal that asks for 30 days with the task\'s deadline, at every participant', async () => {
      const asked = proposal(Date.now() + 30 * DAY)
      await bus.inject(TOPIC, asked, member.peer)
      await settle()
      const id = asked.type === 'PROPOSAL' ? asked.body.proposalId : ''
      for (const n of all.filter(n => n !== member)) assert.equal(n.service.proposal(id)?.deadline, deadline, `clamped at ${n.id}`)
      // This node's own proposals too.
      const own = await member.service.propose(TASK_ID, { action: 'later', timeoutMs: DAY })
      assert.equal(own.deadline, deadline)
      // Decided at the task's deadline, not in 30 days.
      await vi.advanceTimersByTimeAsync(60_010)
      for (const n of all.filter(n => n !== member)) assert.equal(n.service.proposal(id)?.status, 'decided')
    })

    it('drops the proposals of a member over its rate', async () => {
      for (let i = 0; i < 15; i++) await bus.inject(TOPIC, proposal(Date.now() + 10_000), member.peer)
      await settle()
      const other = all[2] as GroupNode
      assert.equal(other.service.proposals().length, 10)
      assert.equal(other.service.limited().proposal, 5)
      await vi.advanceTimersByTimeAsync(1_000)
      await bus.inject(TOPIC, proposal(Date.now() + 10_000), member.peer)
      await settle()
      assert.equal(other.service.proposals().length, 11)
    })
  })

  it('keeps at most MAX_ESCALATIONS_PER_TASK open escalations per task; a decision makes room', async () => {
    vi.useFakeTimers()
    bus = new FakeGroupBus()
    all = limitedGroup(bus, peers, { ...LIMITS, rates: { ...LIMITS.rates, escalations: { perSecond: 1_000, burst: 1_000 } } }, Date.now() + 60_000)
    ;[announcer, member] = all as [GroupNode, GroupNode]
    try {
      await settle()
      const codes: string[] = []
      for (let i = 0; i < MAX_ESCALATIONS_PER_TASK + 3; i++) codes.push(await escalate())
      assert.equal(codes.filter(c => c === 'ACK').length, MAX_ESCALATIONS_PER_TASK)
      assert.deepEqual(codes.slice(MAX_ESCALATIONS_PER_TASK), ['RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED'])
      assert.equal(announcer.store.escalationRows.size, MAX_ESCALATIONS_PER_TASK)
      // The announcer's own escalations count too.
      await assert.rejects(announcer.service.escalate(TASK_ID, { issue: 'mine' }), (err: Error & { code?: string }) => err.code === 'ESCALATION_STATE')
      const [first] = announcer.service.escalations()
      assert.ok(first !== undefined)
      announcer.service.resolveEscalation(first.id, 'done')
      assert.equal(await escalate(), 'ACK')
      assert.equal(announcer.service.limited()['escalations-per-task'], 4)
    } finally {
      for (const n of all) n.service.stop()
      vi.useRealTimers()
    }
  })
})
