/**
 * Signed votes and vote certificates through the group services (fake bus, fake signer, fake
 * clock): every VOTE carries its voter's signature, the proposer's PROPOSAL_DECIDED carries the
 * signed votes, every participant stores a certificate that verifies; a vote or a decision
 * whose signatures do not verify is refused, counted and charged to its sender.
 */
import { afterEach, beforeAll, beforeEach, describe, it, vi } from 'vitest'
import assert from 'node:assert/strict'
import { createMessage } from '@swarm/protocol'
import { checkVoteSignature } from '../../src/group/vote-certificate.js'
import { FakeGroupBus, groupPeers } from '../fakes/fake-group-bus.js'
import { fakeSigner } from '../fakes/fake-signer.js'
import { GROUP_ID, TASK_ID, TOPIC, formGroup, groupNodes, settle } from './group-harness.js'
import { signedVote } from './vote-helpers.js'
import type { GroupNode } from './group-harness.js'
import type { PeerId } from '@libp2p/interface'
import type { BodyOf } from '@swarm/protocol'

describe('GroupService: signed votes and vote certificates', () => {
  let peers: PeerId[]
  let bus: FakeGroupBus
  let announcer: GroupNode
  let members: GroupNode[]
  let all: GroupNode[]
  const verify = fakeSigner('anyone').verify

  beforeAll(async () => {
    peers = await groupPeers(4)
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

  it('signs every vote; the decision carries the signed votes and every participant stores a certificate that verifies', async () => {
    const opened = await member(0).service.propose(TASK_ID, { action: 'use plan X', quorum: 'majority', timeoutMs: 10_000 })
    await settle()
    member(0).service.vote(opened.proposalId, { choice: 'yes' })
    await settle()
    member(1).service.vote(opened.proposalId, { choice: 'no', confidence: 0.4 })
    await settle()
    member(2).service.vote(opened.proposalId, { choice: 'yes', confidence: 0.7 })
    await settle()

    const sent = bus.log.filter(m => m.message.type === 'VOTE')
    assert.equal(sent.length, 3)
    for (const { message, from } of sent) {
      if (message.type !== 'VOTE') continue
      const b = message.body
      assert.equal(await checkVoteSignature(verify, { groupId: b.groupId, proposalId: b.proposalId, choice: b.choice, confidence: b.confidence, voter: from, at: message.ts }, b.sig), true, `vote of ${from} signed by it`)
    }
    const [decision] = bus.ofType('PROPOSAL_DECIDED')
    assert.equal(decision?.body.outcome, 'approved')
    assert.deepEqual(decision?.body.votes.map(v => v.voter).sort(), members.map(m => m.id).sort())
    for (const v of decision?.body.votes ?? []) {
      assert.equal(await checkVoteSignature(verify, { groupId: GROUP_ID, proposalId: opened.proposalId, choice: v.choice, confidence: v.confidence, voter: v.voter, at: v.at }, v.sig), true)
    }
    for (const n of all) {
      const check = await n.service.verifyProposal(opened.proposalId)
      assert.equal(check?.ok, true, `certificate at ${n.id}: ${check?.problems.join('; ') ?? 'none'}`)
      // What users see of the proposal does not carry the stored certificate.
      assert.equal('certificate' in (n.service.proposal(opened.proposalId) ?? {}), false)
    }
  })

  it('refuses a member\'s vote whose signature does not verify, counts it and charges the sender', async () => {
    const opened = await member(0).service.propose(TASK_ID, { action: 'use plan X', timeoutMs: 10_000 })
    await settle()
    // Signed as "yes", sent as "no".
    const honest = await signedVote(member(1).peer, { proposalId: opened.proposalId, groupId: GROUP_ID, choice: 'yes', confidence: 1 })
    const changed = { ...honest, body: { ...honest.body, choice: 'no' as const } }
    assert.ok(await bus.inject(TOPIC, changed, member(1).peer) > 0)
    // Member 2's signed vote sent by member 1: the signature is not member 1's.
    const theirs = await signedVote(member(2).peer, { proposalId: opened.proposalId, groupId: GROUP_ID, choice: 'no', confidence: 1 })
    assert.ok(await bus.inject(TOPIC, theirs, member(1).peer) > 0)
    await settle()
    for (const n of [announcer, member(0), member(2)]) {
      assert.equal(n.service.stats.votesRejected.BAD_SIGNATURE, 2, `refused at ${n.id}`)
      assert.equal(n.service.proposal(opened.proposalId)?.votes.length, 0)
      assert.equal(n.penalties?.filter(p => p.peer === member(1).id && p.reason === 'BAD_SIGNATURE').length, 2)
    }
    // The honest vote counts.
    assert.ok(await bus.inject(TOPIC, honest, member(1).peer) > 0)
    await settle()
    assert.deepEqual(member(0).service.proposal(opened.proposalId)?.votes.map(v => [v.voter, v.choice]), [[member(1).id, 'yes']])
  })

  it('refuses a decision whose votes are not signed by their voters; adopts and stores one whose votes are', async () => {
    const opened = await member(0).service.propose(TASK_ID, { action: 'use plan X', timeoutMs: 10_000 })
    await settle()
    const t0 = Date.now()
    const votes = await Promise.all(members.map(async (m, i) => {
      const message = await signedVote(m.peer, { proposalId: opened.proposalId, groupId: GROUP_ID, choice: 'yes', confidence: 1 }, t0 + 1 + i)
      return { voter: m.id, choice: 'yes' as const, confidence: 1, at: message.ts, sig: message.body.sig }
    }))
    const body: BodyOf<'PROPOSAL_DECIDED'> = {
      proposalId: opened.proposalId,
      taskId: TASK_ID,
      groupId: GROUP_ID,
      outcome: 'approved',
      for: 3,
      against: 0,
      abstentions: 0,
      eligible: 3,
      participation: 1,
      weightedConfidence: 1,
      decidedAt: t0 + 3,
      votes
    }
    // The proposer claims a vote member 2 never cast.
    const forged = { ...body, votes: body.votes.map((v, i) => i === 2 ? { ...v, sig: (body.votes[0]?.sig ?? '') } : v) }
    assert.ok(await bus.inject(TOPIC, createMessage('PROPOSAL_DECIDED', forged), member(0).peer) > 0)
    await settle()
    for (const n of [announcer, member(1), member(2)]) {
      assert.equal(n.service.proposal(opened.proposalId)?.status, 'open', `not adopted at ${n.id}`)
      assert.equal(n.service.stats.rejected['PROPOSAL_DECIDED:BAD_CERTIFICATE'], 1)
      assert.ok(n.penalties?.some(p => p.peer === member(0).id && p.reason === 'BAD_SIGNATURE'))
    }

    assert.ok(await bus.inject(TOPIC, createMessage('PROPOSAL_DECIDED', body), member(0).peer) > 0)
    await settle()
    for (const n of [announcer, member(1), member(2)]) {
      const view = n.service.proposal(opened.proposalId)
      assert.equal(view?.status, 'decided', `adopted at ${n.id}`)
      assert.equal(view?.decidedBy, 'proposer')
      const check = await n.service.verifyProposal(opened.proposalId)
      assert.equal(check?.ok, true, `stored certificate at ${n.id}: ${check?.problems.join('; ') ?? 'none'}`)
    }
  })
})
