import { afterEach, beforeAll, beforeEach, describe, it, vi } from 'vitest'
import assert from 'node:assert/strict'
import { createMessage, newId } from '@swarm/protocol'
import { FakeGroupBus, groupPeers } from '../fakes/fake-group-bus.js'
import { GROUP_ID, TASK_ID, TOPIC, eventsOf, formGroup, groupNodes, settle } from './group-harness.js'
import { signedVote } from './vote-helpers.js'
import type { GroupNode } from './group-harness.js'
import type { PeerId } from '@libp2p/interface'

const DAY = 24 * 3600 * 1000

describe('GroupService: proposals and votes', () => {
  let peers: PeerId[]
  let outsider: PeerId
  let bus: FakeGroupBus
  let announcer: GroupNode
  let members: GroupNode[]
  let all: GroupNode[]

  beforeAll(async () => {
    const generated = await groupPeers(5)
    outsider = generated[0] as PeerId
    peers = generated.slice(1)
  })

  beforeEach(async () => {
    vi.useFakeTimers()
    bus = new FakeGroupBus()
    all = groupNodes(bus, peers)
    ;[announcer, ...members] = all as [GroupNode, ...GroupNode[]]
    formGroup(announcer, members)
    await settle()
  })

  afterEach(() => {
    for (const n of all) n.service.stop()
    vi.useRealTimers()
  })

  const member = (i: number): GroupNode => members[i] as GroupNode

  it('tallies the votes the same on every member and the proposer publishes its decision', async () => {
    const opened = await member(0).service.propose(TASK_ID, { action: 'use plan X', quorum: 'majority', timeoutMs: 10_000 })
    await settle()
    for (const n of all) assert.equal(n.service.proposal(opened.proposalId)?.status, 'open', `open at ${n.id}`)
    assert.deepEqual(opened.voters, members.map(m => m.id))

    // One vote at a time, so that every member counts them in the same order (a majority is
    // final once certain: a vote after that is refused as DECIDED).
    member(0).service.vote(opened.proposalId, { choice: 'yes' })
    await settle()
    member(2).service.vote(opened.proposalId, { choice: 'no', reason: 'plan Y is cheaper' })
    await settle()
    member(1).service.vote(opened.proposalId, { choice: 'yes', confidence: 0.5 })
    await settle()

    const views = all.map(n => n.service.proposal(opened.proposalId))
    for (const view of views) {
      assert.equal(view?.status, 'decided')
      assert.equal(view?.outcome, 'approved')
      assert.deepEqual({ for: view?.tally.for, against: view?.tally.against, abstentions: view?.tally.abstentions, eligible: view?.tally.eligible }, { for: 2, against: 1, abstentions: 0, eligible: 3 })
      assert.equal(view?.decidedAt, views[0]?.decidedAt)
      assert.deepEqual(view?.votes.map(v => [v.voter, v.choice]).sort(), (views[0]?.votes ?? []).map(v => [v.voter, v.choice]).sort())
    }
    assert.equal(views[0]?.votes.length, 3)
    for (const n of all) {
      assert.equal(eventsOf(n, 'proposal:decided').length, 1, `one decision at ${n.id}`)
      assert.equal(n.store.proposalRows.get(opened.proposalId)?.status, 'decided')
    }
    const decisions = bus.ofType('PROPOSAL_DECIDED')
    assert.equal(decisions.length, 1)
    assert.equal(decisions[0]?.body.outcome, 'approved')
    assert.equal(bus.log.find(m => m.message.type === 'PROPOSAL_DECIDED')?.from, member(0).id)
    assert.equal(await member(1).service.decision(opened.proposalId).then(v => v.outcome), 'approved')
  })

  it('decides at the deadline without quorum: every member gives no-quorum and the announcer escalates', async () => {
    const opened = await member(0).service.propose(TASK_ID, { action: 'ship it', timeoutMs: 5_000 })
    const waiting = member(2).service.decision(opened.proposalId)
    await settle()
    member(0).service.vote(opened.proposalId, { choice: 'yes' })
    await vi.advanceTimersByTimeAsync(4_900)
    for (const n of all) assert.equal(n.service.proposal(opened.proposalId)?.status, 'open', `still open at ${n.id}`)
    assert.equal(announcer.service.escalations().length, 0)

    await vi.advanceTimersByTimeAsync(200)
    for (const n of all) {
      const view = n.service.proposal(opened.proposalId)
      assert.equal(view?.status, 'decided', `decided at ${n.id}`)
      assert.equal(view?.outcome, 'no-quorum')
    }
    assert.equal((await waiting).outcome, 'no-quorum')
    const [escalation] = announcer.service.escalations()
    assert.equal(escalation?.source, 'no-quorum')
    assert.equal(escalation?.proposalId, opened.proposalId)
    assert.equal(escalation?.raisedBy, announcer.id)
    assert.match(escalation?.issue ?? '', /1 of 3 voted/)
    assert.ok(announcer.audits.some(a => a.action === 'escalation-created'))
    await settle()
    // Only the announcer raises it; the members hear of it on the group topic.
    assert.equal(bus.ofType('ESCALATION').length, 1)
    for (const m of members) assert.equal(eventsOf(m, 'escalation:created')[0]?.id, escalation?.id)
  })

  it('keeps a proposal with a deadline beyond the longest timer open until that deadline', async () => {
    const proposalId = newId()
    const deadline = Date.now() + 40 * DAY
    await bus.inject(TOPIC, createMessage('PROPOSAL', {
      proposalId, taskId: TASK_ID, groupId: GROUP_ID, action: 'wait for the quarter to end', quorum: { kind: 'majority' }, minParticipation: 0.5, voters: members.map(m => m.id), deadline
    }), member(1).peer)
    await settle()
    for (const n of all) assert.equal(n.service.proposal(proposalId)?.status, 'open')

    await vi.advanceTimersByTimeAsync(25 * DAY)
    for (const n of all) assert.equal(n.service.proposal(proposalId)?.status, 'open', `not decided early at ${n.id}`)
    await vi.advanceTimersByTimeAsync(15 * DAY + 10)
    for (const n of all) assert.equal(n.service.proposal(proposalId)?.outcome, 'no-quorum', `decided at the deadline at ${n.id}`)
  })

  it('refuses and counts a vote signed by a peer outside the group, once', async () => {
    const opened = await member(0).service.propose(TASK_ID, { action: 'use plan X', timeoutMs: 10_000 })
    await settle()
    const vote = await signedVote(member(1).peer, { proposalId: opened.proposalId, groupId: GROUP_ID, choice: 'no', confidence: 1 })
    assert.equal(await bus.inject(TOPIC, vote, outsider), 0)
    assert.equal(await bus.inject(TOPIC, vote, outsider), 0)
    for (const n of all) {
      assert.equal(n.service.stats.votesRejected.NOT_A_MEMBER, 1, `counted once at ${n.id}`)
      assert.equal(n.service.proposal(opened.proposalId)?.votes.length, 0)
    }
    // The same vote signed by a member counts, for its signer.
    assert.ok(await bus.inject(TOPIC, vote, member(1).peer) > 0)
    for (const n of all) assert.deepEqual(n.service.proposal(opened.proposalId)?.votes.map(v => v.voter), [member(1).id])
  })

  it('refuses a DISSOLVE signed by a member: only the announcer may end the group', async () => {
    const dissolve = createMessage('DISSOLVE', { taskId: TASK_ID, groupId: GROUP_ID, reason: 'completed' })
    assert.equal(await bus.inject(TOPIC, dissolve, member(0).peer), 0)
    for (const n of all) assert.equal(n.service.inGroup(TASK_ID), true)
    assert.equal(member(1).service.stats.rejected['DISSOLVE:NOT_A_MEMBER'], 1)
    assert.ok(await bus.inject(TOPIC, dissolve, announcer.peer) > 0)
    for (const m of members) assert.equal(m.service.inGroup(TASK_ID), false)
  })

  it('refuses a vote after the deadline and a vote of a non-voter', async () => {
    const opened = await member(0).service.propose(TASK_ID, { action: 'use plan X', timeoutMs: 1_000 })
    await settle()
    assert.throws(() => announcer.service.vote(opened.proposalId, { choice: 'yes' }), (err: Error & { code?: string }) => err.code === 'VOTE_REJECTED' && /not one of the proposal's voters/.test(err.message))
    await vi.advanceTimersByTimeAsync(1_100)
    assert.throws(() => member(1).service.vote(opened.proposalId, { choice: 'yes' }), (err: Error & { code?: string }) => err.code === 'VOTE_REJECTED')
  })

  it('a handler\'s proposal decider votes for its member on the proposals others open (not its own)', async () => {
    const seen: string[] = []
    member(1).service.handlerApi(TASK_ID, GROUP_ID).onProposal(async view => {
      seen.push(view.action)
      return { choice: 'no', confidence: 0.7, reason: 'plan Y is cheaper' }
    })
    const opened = await member(0).service.propose(TASK_ID, { action: 'use plan X', timeoutMs: 10_000 })
    await settle()
    await vi.advanceTimersByTimeAsync(10)
    await settle()
    assert.deepEqual(seen, ['use plan X'])
    const vote = member(0).service.proposal(opened.proposalId)?.votes.find(v => v.voter === member(1).id)
    assert.deepEqual([vote?.choice, vote?.confidence, vote?.reason], ['no', 0.7, 'plan Y is cheaper'])
    // Its own proposal is not decided for it.
    await member(1).service.propose(TASK_ID, { action: 'use plan Y', timeoutMs: 10_000 })
    await settle()
    await vi.advanceTimersByTimeAsync(10)
    assert.deepEqual(seen, ['use plan X'])
  })

  describe('verification', () => {
    it('members vote on the result by their own parts: yes when theirs succeeded, no when one failed', async () => {
      // The member whose part failed votes first (members vote in the order the proposal reached them).
      member(0).service.ownResult(GROUP_ID, 'work', false)
      member(1).service.ownResult(GROUP_ID, 'work', true)
      member(2).service.ownResult(GROUP_ID, 'work', true)
      const verifying = announcer.service.verify({ taskId: TASK_ID, groupId: GROUP_ID, attempt: 1, policy: 'majority', timeoutMs: 10_000 })
      await settle()
      await vi.advanceTimersByTimeAsync(10)
      const result = await verifying
      assert.equal(result.outcome, 'approved')
      assert.equal(result.tally?.for, 2)
      assert.equal(result.tally?.against, 1)
      const view = announcer.service.proposal(result.proposalId ?? '')
      assert.deepEqual(view?.votes.find(v => v.voter === member(0).id)?.reason, 'my part failed')
    })

    it('a handler\'s decider overrides the default vote, and unanimity needs every member', async () => {
      for (const m of members) m.service.ownResult(GROUP_ID, 'work', true)
      member(2).service.handlerApi(TASK_ID, GROUP_ID).onVerify(() => ({ choice: 'no', reason: 'the numbers do not add up' }))
      const verifying = announcer.service.verify({ taskId: TASK_ID, groupId: GROUP_ID, attempt: 2, policy: 'unanimous', timeoutMs: 10_000 })
      await settle()
      await vi.advanceTimersByTimeAsync(10)
      const result = await verifying
      assert.equal(result.outcome, 'rejected')
      assert.equal(announcer.service.proposal(result.proposalId ?? '')?.votes.find(v => v.voter === member(2).id)?.reason, 'the numbers do not add up')
    })

    it('a decider may answer later (a model asked): the vote is cast when it does, with what it decided', async () => {
      for (const m of members) m.service.ownResult(GROUP_ID, 'work', true)
      let answer: (vote: { choice: 'no', reason: string }) => void = () => {}
      member(1).service.handlerApi(TASK_ID, GROUP_ID).onVerify(async () => await new Promise(resolve => { answer = resolve }))
      const verifying = announcer.service.verify({ taskId: TASK_ID, groupId: GROUP_ID, attempt: 3, policy: 'unanimous', timeoutMs: 10_000 })
      await settle()
      await vi.advanceTimersByTimeAsync(10)
      answer({ choice: 'no', reason: 'the model says no' })
      await settle()
      const result = await verifying
      assert.equal(result.outcome, 'rejected')
      assert.equal(announcer.service.proposal(result.proposalId ?? '')?.votes.find(v => v.voter === member(1).id)?.reason, 'the model says no')
    })

    it('gives no-quorum for a group this node is not in, or with verification off', async () => {
      assert.deepEqual(await announcer.service.verify({ taskId: TASK_ID, groupId: 'group-unknown', attempt: 1, policy: 'majority', timeoutMs: 1_000 }), { outcome: 'no-quorum' })
      assert.deepEqual(await announcer.service.verify({ taskId: TASK_ID, groupId: GROUP_ID, attempt: 1, policy: 'none', timeoutMs: 1_000 }), { outcome: 'no-quorum' })
    })
  })
})
