import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { GroupSession } from '../../src/group/group-session.js'
import { createEscalation, resolveEscalation, EscalationStateError } from '../../src/group/escalations.js'
import { verifyQuorum, QuorumInputSchema } from '../../src/group/group-service.js'
import type { Proposal } from '../../src/group/tally.js'

const A = 'peer-a'
const B = 'peer-b'
const C = 'peer-c'
const BOSS = 'peer-boss'
const OUT = 'peer-out'

function session (): GroupSession {
  return new GroupSession({
    taskId: 'task-0001',
    groupId: 'group-0001',
    self: A,
    announcer: BOSS,
    members: [{ peerId: A, skills: ['x'] }, { peerId: B, skills: ['x'] }, { peerId: C, skills: ['y'] }]
  })
}

function proposal (overrides: Partial<Proposal> = {}): Proposal {
  return {
    proposalId: 'proposal-1',
    groupId: 'group-0001',
    taskId: 'task-0001',
    action: 'do it',
    quorum: { kind: 'majority' },
    minParticipation: 0.5,
    voters: [A, B, C],
    deadline: 10_000,
    proposer: BOSS,
    openedAt: 1_000,
    ...overrides
  }
}

const vote = (voter: string, choice: 'yes' | 'no' | 'abstain', at: number, proposalId = 'proposal-1') => ({ proposalId, voter, choice, confidence: 1, at, receivedAt: at })

describe('GroupSession proposals', () => {
  it('opens proposals from participants only, for known voters, before their deadline', () => {
    const s = session()
    assert.deepEqual(s.openProposal(proposal({ proposer: OUT }), 2_000), { ok: false, reason: 'NOT_A_MEMBER' })
    assert.deepEqual(s.openProposal(proposal({ voters: [A, OUT] }), 2_000), { ok: false, reason: 'UNKNOWN_VOTER' })
    assert.deepEqual(s.openProposal(proposal({ groupId: 'group-9999' }), 2_000), { ok: false, reason: 'WRONG_GROUP' })
    assert.deepEqual(s.openProposal(proposal({ deadline: 1_500 }), 2_000), { ok: false, reason: 'AFTER_DEADLINE' })
    assert.equal(s.openProposal(proposal(), 2_000).ok, true)
    assert.deepEqual(s.openProposal(proposal(), 2_000), { ok: false, reason: 'DUPLICATE' })
  })

  it('counts one vote per member, the later replacing the earlier, and decides early', () => {
    const s = session()
    s.openProposal(proposal(), 1_000)
    assert.deepEqual(s.recordVote(vote(OUT, 'yes', 2_000), 'group-0001', 2_000), { accepted: false, reason: 'NOT_A_MEMBER' })
    assert.deepEqual(s.recordVote(vote(BOSS, 'yes', 2_000), 'group-0001', 2_000), { accepted: false, reason: 'NOT_ELIGIBLE' })
    assert.deepEqual(s.recordVote(vote(A, 'yes', 2_000, 'proposal-x'), 'group-0001', 2_000), { accepted: false, reason: 'UNKNOWN_PROPOSAL' })
    assert.deepEqual(s.recordVote(vote(A, 'yes', 2_000), 'group-0002', 2_000), { accepted: false, reason: 'WRONG_GROUP' })
    assert.deepEqual(s.recordVote(vote(A, 'no', 2_000), 'group-0001', 2_000), { accepted: true })
    assert.deepEqual(s.recordVote(vote(A, 'yes', 1_900), 'group-0001', 2_100), { accepted: false, reason: 'SUPERSEDED' })
    assert.deepEqual(s.recordVote(vote(A, 'yes', 2_500), 'group-0001', 2_500), { accepted: true })
    const result = s.recordVote(vote(B, 'yes', 3_000), 'group-0001', 3_000)
    assert.equal(result.accepted, true)
    assert.equal(result.accepted && result.decided?.outcome, 'approved')
    assert.deepEqual(s.view('proposal-1', 3_000)?.votes.map(v => [v.voter, v.choice]), [[A, 'yes'], [B, 'yes']])
    assert.deepEqual(s.recordVote(vote(C, 'no', 3_500), 'group-0001', 3_500), { accepted: false, reason: 'DECIDED' })
  })

  it('decides at the deadline, refuses late votes, and adopts only the proposer\'s published decision', () => {
    const s = session()
    s.openProposal(proposal({ minParticipation: 1 }), 1_000)
    s.recordVote(vote(A, 'yes', 2_000), 'group-0001', 2_000)
    assert.deepEqual(s.decideDue(9_000), [])
    assert.equal(s.nextDeadline(), 10_000)
    const [decided] = s.decideDue(10_001)
    assert.equal(decided?.outcome, 'no-quorum')
    assert.deepEqual(s.recordVote(vote(B, 'yes', 10_002), 'group-0001', 10_002), { accepted: false, reason: 'AFTER_DEADLINE' })
    assert.equal(s.nextDeadline(), undefined)

    const t = session()
    t.openProposal(proposal(), 1_000)
    const published = { outcome: 'approved' as const, tally: { outcome: 'approved' as const, for: 2, against: 0, abstentions: 0, eligible: 3, participation: 2 / 3, weightedConfidence: 1, decidedAt: 3_000, final: true } }
    assert.equal(t.adoptDecision('proposal-1', A, published).refused, 'NOT_PROPOSER')
    const adopted = t.adoptDecision('proposal-1', BOSS, published)
    assert.equal(adopted.adopted?.outcome, 'approved')
    assert.equal(adopted.adopted?.decidedBy, 'proposer')
    assert.equal(t.adoptDecision('proposal-1', BOSS, { ...published, outcome: 'rejected' }).mismatch, true)
  })

  it('closes open proposals when the group ends', () => {
    const s = session()
    s.openProposal(proposal(), 1_000)
    const [closed] = s.closeOpen(5_000)
    assert.equal(closed?.status, 'closed')
    assert.deepEqual(s.openProposal(proposal({ proposalId: 'proposal-2' }), 5_000), { ok: true, view: s.view('proposal-2', 5_000) } as never)
  })

  it('keeps only members replaced in as voters of new proposals', () => {
    const s = session()
    s.setMembers([{ peerId: A, skills: ['x'] }, { peerId: OUT, skills: ['x'] }])
    assert.equal(s.isParticipant(B), false)
    assert.equal(s.isParticipant(OUT), true)
    // A proposal made before the replacement may still name the former member.
    assert.equal(s.openProposal(proposal({ voters: [A, B] }), 1_000).ok, true)
  })
})

describe('GroupSession conflicts', () => {
  it('keeps the newer version of shared data whatever the arrival order', () => {
    const s = session()
    assert.equal(s.writeData('plan', { value: 'v2', version: 2, writer: B })?.applied, true)
    assert.equal(s.writeData('plan', { value: 'v1', version: 1, writer: C })?.applied, false)
    assert.equal(s.readData('plan')?.value, 'v2')
    assert.equal(s.writeData('plan', { value: 'x', version: 9, writer: OUT }), undefined)
    assert.equal(s.nextVersion('plan'), 3)
  })
})

describe('escalations', () => {
  const PEER_1 = '12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK'
  const PEER_2 = 'QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N'
  const input = { taskId: 'task-0001', announcer: PEER_1, raisedBy: PEER_2, source: 'member' as const, severity: 'high' as const, issue: 'stuck' }

  it('are created open and resolved once with a decision', () => {
    const open = createEscalation(input, 'escalation-1', 1_000)
    assert.equal(open.status, 'open')
    assert.deepEqual(open.attemptedResolutions, [])
    const resolved = resolveEscalation(open, '  go on  ', 2_000)
    assert.equal(resolved.status, 'resolved')
    assert.equal(resolved.decision, 'go on')
    assert.equal(resolved.resolvedAt, 2_000)
    assert.throws(() => resolveEscalation(resolved, 'again', 3_000), EscalationStateError)
    assert.throws(() => resolveEscalation(open, '   ', 3_000), /empty/)
  })

  it('refuse records that do not fit', () => {
    assert.throws(() => createEscalation({ ...input, issue: '' }, 'escalation-2', 1_000))
    assert.throws(() => createEscalation(input, 'x', 1_000))
  })
})

describe('quorum inputs', () => {
  it('reads majority, unanimous and threshold:<fraction>', () => {
    assert.deepEqual(QuorumInputSchema.parse('majority'), { kind: 'majority' })
    assert.deepEqual(QuorumInputSchema.parse('threshold:0.6'), { kind: 'threshold', fraction: 0.6 })
    assert.deepEqual(QuorumInputSchema.parse({ kind: 'unanimous' }), { kind: 'unanimous' })
    for (const bad of ['threshold:0', 'threshold:1.5', 'most', 'threshold:']) assert.equal(QuorumInputSchema.safeParse(bad).success, false)
    assert.deepEqual(verifyQuorum('threshold:0.75'), { kind: 'threshold', fraction: 0.75 })
    assert.deepEqual(verifyQuorum('unanimous'), { kind: 'unanimous' })
    assert.deepEqual(verifyQuorum('majority'), { kind: 'majority' })
  })
})
