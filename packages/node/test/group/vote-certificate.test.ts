/**
 * Vote certificates (group/vote-certificate.ts) with real Ed25519 keys: a certificate built
 * from signed votes verifies; a forged signature, a voter outside the group, a duplicated vote
 * and an outcome the votes do not give each fail, with the problem named.
 */
import { beforeAll, describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { buildCertificate, signVote, verifyCertificate, verifyProposal } from '../../src/group/vote-certificate.js'
import { openBallot, recordVote, tally } from '../../src/group/tally.js'
import { keySigner } from '../../src/net/key-signer.js'
import { FakeGroupStore } from '../fakes/fake-group-store.js'
import type { Ballot, Outcome, Proposal, VoteChoice } from '../../src/group/tally.js'
import type { SignedVote, VoteCertificate } from '../../src/group/vote-certificate.js'
import type { SignerPort } from '../../src/ports/signer.js'
import type { StoredProposal } from '../../src/store/types.js'
import type { Json, QuorumPolicy } from '@swarm/protocol'

const OPENED = 1_750_000_000_000
const DEADLINE = OPENED + 30_000
const MAJORITY: QuorumPolicy = { kind: 'majority' }

interface Voter { id: string, signer: SignerPort }

async function voters (n: number): Promise<Voter[]> {
  return await Promise.all(Array.from({ length: n }, async () => {
    const key = await generateKeyPair('Ed25519')
    return { id: peerIdFromPrivateKey(key).toString(), signer: keySigner(key) }
  }))
}

function proposalOf (members: readonly Voter[], quorum: QuorumPolicy = MAJORITY): Proposal {
  return {
    proposalId: 'proposal-0001',
    groupId: 'group-0001',
    taskId: 'task-0001',
    action: 'ship plan X',
    quorum,
    minParticipation: 0.5,
    voters: members.map(m => m.id),
    deadline: DEADLINE,
    proposer: members[0]?.id ?? '',
    openedAt: OPENED
  }
}

async function signed (voter: Voter, proposal: Proposal, choice: VoteChoice, at: number, confidence = 1): Promise<SignedVote> {
  const sig = await signVote(voter.signer, { groupId: proposal.groupId, proposalId: proposal.proposalId, choice, confidence, voter: voter.id, at })
  return { voter: voter.id, choice, confidence, at, sig }
}

/** The certificate a member builds: the votes through the real tally, decided as it decides. */
function certify (proposal: Proposal, votes: readonly SignedVote[], now = DEADLINE + 1): VoteCertificate {
  let ballot: Ballot | undefined = openBallot(proposal)
  for (const v of votes) ballot = recordVote(ballot, { ...v, proposalId: proposal.proposalId, receivedAt: v.at }, v.at).ballot
  const t = tally(ballot as Ballot, now)
  assert.ok(t.final && t.outcome !== 'pending')
  return buildCertificate(proposal, { ...t, outcome: t.outcome }, votes)
}

describe('vote certificates', () => {
  let members: Voter[]
  let outsider: Voter
  let proposal: Proposal
  let votes: SignedVote[]
  let certificate: VoteCertificate

  beforeAll(async () => {
    [outsider, ...members] = await voters(4) as [Voter, ...Voter[]]
    proposal = proposalOf(members)
    votes = [
      await signed(members[0] as Voter, proposal, 'yes', OPENED + 100),
      await signed(members[1] as Voter, proposal, 'no', OPENED + 200, 0.6),
      await signed(members[2] as Voter, proposal, 'yes', OPENED + 300, 0.8)
    ]
    certificate = certify(proposal, votes)
  })

  const ids = (): string[] => members.map(m => m.id)

  it('verifies a certificate built from the signed votes, re-counting the outcome', async () => {
    assert.equal(certificate.outcome, 'approved')
    assert.deepEqual([certificate.for, certificate.against, certificate.eligible], [2, 1, 3])
    const check = await verifyCertificate(certificate, ids(), MAJORITY)
    assert.deepEqual(check.problems, [])
    assert.equal(check.ok, true)
    assert.ok(check.checks.some(c => c.includes('3 of 3 votes signed')), check.checks.join('\n'))
    assert.ok(check.checks.some(c => c.includes('tallying the votes gives the recorded outcome (approved')))
  })

  it('fails a certificate with a vote changed after signing (a forged signature)', async () => {
    const forged = structuredClone(certificate)
    const vote = forged.votes.find(v => v.voter === members[1]?.id) as SignedVote
    vote.choice = 'yes'
    forged.for = 3
    forged.against = 0
    const check = await verifyCertificate(forged, ids(), MAJORITY)
    assert.equal(check.ok, false)
    assert.ok(check.problems.some(p => p.includes(`vote of ${members[1]?.id ?? ''}: its signature does not verify`)), check.problems.join('\n'))

    const resigned = structuredClone(certificate)
    // A signature of another voter under this voter's name.
    const theirs = resigned.votes.find(v => v.voter === members[0]?.id) as SignedVote
    const mine = resigned.votes.find(v => v.voter === members[2]?.id) as SignedVote
    mine.sig = theirs.sig
    assert.equal((await verifyCertificate(resigned, ids(), MAJORITY)).ok, false)
  })

  it('fails a certificate whose voters are not all members of the group, even with valid signatures', async () => {
    // The proposer counted a key of its own as a fourth voter.
    const stuffed = proposalOf([...members, outsider])
    const cert = certify(stuffed, [
      await signed(members[0] as Voter, stuffed, 'yes', OPENED + 100),
      await signed(members[1] as Voter, stuffed, 'no', OPENED + 200),
      await signed(outsider, stuffed, 'yes', OPENED + 250)
    ])
    const check = await verifyCertificate(cert, ids(), MAJORITY)
    assert.equal(check.ok, false)
    assert.ok(check.problems.some(p => p.includes(`eligible voters that are not members of the group: ${outsider.id}`)), check.problems.join('\n'))
    assert.ok(check.problems.some(p => p.includes(`vote of ${outsider.id}: the voter is not a member of the group`)))
    // Checked against a member list that has it, it passes: the member list is what decides.
    assert.equal((await verifyCertificate(cert, [...ids(), outsider.id], MAJORITY)).ok, true)
  })

  it('fails a certificate that counts a voter twice', async () => {
    const twice = structuredClone(certificate)
    const second = await signed(members[0] as Voter, proposal, 'yes', OPENED + 400)
    twice.votes.push(second)
    const check = await verifyCertificate(twice, ids(), MAJORITY)
    assert.equal(check.ok, false)
    assert.ok(check.problems.some(p => p.includes(`vote of ${members[0]?.id ?? ''}: the voter voted twice`)), check.problems.join('\n'))
  })

  it('fails a certificate whose outcome or counts do not follow from its votes', async () => {
    for (const [change, expected] of [
      [(c: VoteCertificate) => { c.outcome = 'rejected' }, 'outcome approved, not rejected'],
      [(c: VoteCertificate) => { c.against = 0 }, 'against 1, not 0'],
      [(c: VoteCertificate) => { c.votes = c.votes.filter(v => v.choice === 'yes') }, 'against 0, not 1'],
      [(c: VoteCertificate) => { c.quorum = { kind: 'unanimous' } }, 'quorum rule']
    ] as Array<[(c: VoteCertificate) => void, string]>) {
      const changed = structuredClone(certificate)
      change(changed)
      const check = await verifyCertificate(changed, ids(), MAJORITY)
      assert.equal(check.ok, false, expected)
      assert.ok(check.problems.some(p => p.includes(expected)), `${expected} in ${check.problems.join('\n')}`)
    }
    // Not a certificate at all.
    assert.equal((await verifyCertificate({ outcome: 'approved' }, ids(), MAJORITY)).ok, false)
  })

  it('verifies the certificate of a decision at the deadline, and one of no quorum', async () => {
    const late = certify(proposal, votes.slice(0, 1))
    assert.equal(late.outcome, 'no-quorum')
    assert.equal(late.decidedAt, DEADLINE)
    assert.equal((await verifyCertificate(late, ids(), MAJORITY)).ok, true)
    const outcome: Outcome = 'approved'
    assert.equal((await verifyCertificate({ ...late, outcome }, ids(), MAJORITY)).ok, false)
  })

  it('verifyProposal checks the stored certificate against the stored proposal and members; a changed vote fails', async () => {
    const store = new FakeGroupStore()
    const view = { ...proposal, status: 'decided', votes: [], tally: { ...certificate, final: true }, outcome: 'approved', decidedAt: certificate.decidedAt }
    const row = (cert: VoteCertificate): Json => ({ ...view, certificate: cert, groupMembers: ids() })
    store.saveProposal({ proposalId: proposal.proposalId, taskId: proposal.taskId, groupId: proposal.groupId, proposal: row(certificate), votes: [], status: 'decided', openedAt: OPENED, updatedAt: OPENED })
    const ok = await verifyProposal(store, proposal.proposalId)
    assert.equal(ok?.ok, true, ok?.problems.join('\n'))
    assert.ok(ok?.checks.some(c => c.includes('as this node saw it')))
    assert.equal(await verifyProposal(store, 'no-such-proposal'), undefined)

    const changed = structuredClone(certificate)
    const vote = changed.votes[1] as SignedVote
    vote.confidence = 0.1
    store.saveProposal({ ...store.getProposal(proposal.proposalId) as StoredProposal, proposal: row(changed) })
    const failed = await verifyProposal(store, proposal.proposalId)
    assert.equal(failed?.ok, false)
    assert.ok(failed?.problems.some(p => p.includes('its signature does not verify')))

    // A certificate of another proposal stored under this one.
    const other = certify({ ...proposal, deadline: DEADLINE + 1 }, [], DEADLINE + 2)
    store.saveProposal({ ...store.getProposal(proposal.proposalId) as StoredProposal, proposal: row(other) })
    const mixed = await verifyProposal(store, proposal.proposalId)
    assert.ok(mixed?.problems.some(p => p.includes('is not of the proposal this node saw')), mixed?.problems.join('\n'))
  })
})
