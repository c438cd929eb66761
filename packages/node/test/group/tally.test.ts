import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import type { QuorumPolicy } from '@swarm/protocol'
import type { Ballot, CastVote, Outcome, Proposal, VoteChoice } from '../../src/group/index.js'
import { compareVotes, eligibleVoters, openBallot, recordVote, tally } from '../../src/group/index.js'
import { rng, shuffle } from './helpers.js'

const OPENED = 1_000
const DEADLINE = 10_000
const MAJORITY: QuorumPolicy = { kind: 'majority' }
const UNANIMOUS: QuorumPolicy = { kind: 'unanimous' }

function peers (n: number): string[] {
  return Array.from({ length: n }, (_, i) => `peer-${i + 1}`)
}

function proposal (quorum: QuorumPolicy, voters: string[] | number = 5, minParticipation = 0): Proposal {
  return {
    proposalId: 'proposal-1',
    groupId: 'group-0001',
    taskId: 'task-00001',
    action: 'ship the report',
    params: { format: 'pdf' },
    quorum,
    minParticipation,
    voters: typeof voters === 'number' ? peers(voters) : voters,
    deadline: DEADLINE,
    proposer: 'peer-1',
    openedAt: OPENED
  }
}

function vote (voter: string, choice: VoteChoice, at = 2_000, confidence = 0.8, reason?: string): CastVote {
  const v: CastVote = { voter, choice, confidence, at, receivedAt: at + 5 }
  if (reason !== undefined) v.reason = reason
  return v
}

/** Records votes in order at their receive time, asserting each one is accepted. */
function cast (p: Proposal, votes: CastVote[]): Ballot {
  let ballot: Ballot | undefined = openBallot(p)
  for (const v of votes) {
    const r = recordVote(ballot, v, v.receivedAt)
    assert.equal(r.accepted, true, `vote of ${v.voter} (${v.choice}) refused: ${String(r.rejection)}`)
    ballot = r.ballot
  }
  assert.ok(ballot !== undefined)
  return ballot
}

/** A ballot with the given votes filed directly (no closing), for checking tally alone. */
function ballotOf (p: Proposal, votes: CastVote[]): Ballot {
  return { proposal: p, votes: Object.fromEntries(votes.map(v => [v.voter, v])) }
}

/** Votes: `yes` yes votes, then `no` no votes, then `abstain` abstentions, by peer-1, peer-2, … */
function counted (yes: number, no: number, abstain: number): CastVote[] {
  const choices: VoteChoice[] = [...Array<VoteChoice>(yes).fill('yes'), ...Array<VoteChoice>(no).fill('no'), ...Array<VoteChoice>(abstain).fill('abstain')]
  return choices.map((c, i) => vote(`peer-${i + 1}`, c, 2_000 + i))
}

describe('tally: majority', () => {
  it('approves when yes > no with enough participation, at the deadline', () => {
    const b = ballotOf(proposal(MAJORITY, 7, 0.5), counted(3, 2, 0))
    const pending = tally(b, DEADLINE)
    assert.equal(pending.outcome, 'pending')
    assert.equal(pending.final, false)
    assert.equal(pending.decidedAt, undefined)
    const t = tally(b, DEADLINE + 1)
    assert.deepEqual(t, {
      outcome: 'approved',
      for: 3,
      against: 2,
      abstentions: 0,
      eligible: 7,
      participation: 5 / 7,
      weightedConfidence: (3 * 0.8 - 2 * 0.8) / 5,
      decidedAt: DEADLINE,
      final: true
    })
  })

  it('rejects a tie at the deadline', () => {
    const t = tally(ballotOf(proposal(MAJORITY, 5), counted(2, 2, 0)), DEADLINE + 1)
    assert.equal(t.outcome, 'rejected')
    assert.equal(t.final, true)
  })

  it('rejects a tie when the others abstain, leaving abstentions out', () => {
    const t = tally(ballotOf(proposal(MAJORITY, 5), counted(2, 2, 1)), 0)
    assert.equal(t.outcome, 'rejected', 'everyone voted, so the tie is final at once')
    assert.equal(t.final, true)
    assert.equal(t.abstentions, 1)
    assert.equal(t.participation, 1)
  })

  it('gives no-quorum when everyone abstains', () => {
    const t = tally(ballotOf(proposal(MAJORITY, 4), counted(0, 0, 4)), 0)
    assert.equal(t.outcome, 'no-quorum')
    assert.equal(t.final, true)
    assert.equal(t.weightedConfidence, 0)
  })

  it('gives no-quorum when nobody votes', () => {
    const t = tally(openBallot(proposal(MAJORITY, 4)), DEADLINE + 1)
    assert.equal(t.outcome, 'no-quorum')
    assert.equal(t.participation, 0)
    assert.equal(t.decidedAt, DEADLINE)
  })

  it('gives no-quorum below minParticipation even when yes leads, and decides at exactly the minimum', () => {
    // 5 voters, minParticipation 0.6: 3 votes needed (0.6 × 5 is 3.0000000000000004 in floating point).
    const p = proposal(MAJORITY, 5, 0.6)
    assert.equal(tally(ballotOf(p, counted(2, 0, 0)), DEADLINE + 1).outcome, 'no-quorum')
    assert.equal(tally(ballotOf(p, counted(2, 0, 1)), DEADLINE + 1).outcome, 'approved')
  })

  it('missing voters do not count against', () => {
    const t = tally(ballotOf(proposal(MAJORITY, 9), counted(2, 1, 0)), DEADLINE + 1)
    assert.equal(t.outcome, 'approved')
    assert.equal(t.participation, 3 / 9)
  })

  it('decides early once the remaining voters cannot change the outcome', () => {
    const p = proposal(MAJORITY, 5)
    const b2 = ballotOf(p, counted(2, 0, 0))
    assert.equal(tally(b2, 3_000).final, false, '2 yes of 5: 3 remaining no votes would win')
    const b3 = ballotOf(p, counted(3, 0, 0))
    const t = tally(b3, 3_000)
    assert.equal(t.outcome, 'approved')
    assert.equal(t.final, true)
    assert.equal(t.decidedAt, 2_002, 'the latest counted vote')
    const r = tally(ballotOf(p, counted(0, 3, 0)), 3_000)
    assert.equal(r.outcome, 'rejected')
    assert.equal(r.final, true)
    assert.equal(tally(ballotOf(p, counted(1, 2, 0)), 3_000).final, false, '1 yes 2 no: 2 remaining yes would win')
  })

  it('does not decide early before minParticipation is reached', () => {
    const p = proposal(MAJORITY, 5, 1)
    assert.equal(tally(ballotOf(p, counted(3, 0, 0)), 3_000).final, false, 'a missing voter at the deadline would mean no-quorum')
    assert.equal(tally(ballotOf(p, counted(3, 0, 0)), DEADLINE + 1).outcome, 'no-quorum')
  })
})

describe('tally: unanimous', () => {
  it('approves when every eligible voter votes yes, at once', () => {
    const t = tally(ballotOf(proposal(UNANIMOUS, 3), counted(3, 0, 0)), 3_000)
    assert.equal(t.outcome, 'approved')
    assert.equal(t.final, true)
  })

  it('rejects as soon as one no arrives', () => {
    const t = tally(ballotOf(proposal(UNANIMOUS, 5), counted(1, 1, 0)), 3_000)
    assert.equal(t.outcome, 'rejected')
    assert.equal(t.final, true)
    assert.equal(t.decidedAt, 2_001)
  })

  it('a no vetoes even with low participation', () => {
    const t = tally(ballotOf(proposal(UNANIMOUS, 9, 1), counted(0, 1, 0)), 3_000)
    assert.equal(t.outcome, 'rejected')
  })

  it('abstentions stand aside: yes + abstain from everyone approves', () => {
    assert.equal(tally(ballotOf(proposal(UNANIMOUS, 4), counted(3, 0, 1)), 3_000).outcome, 'approved')
  })

  it('everyone abstaining gives no-quorum', () => {
    assert.equal(tally(ballotOf(proposal(UNANIMOUS, 3), counted(0, 0, 3)), 3_000).outcome, 'no-quorum')
  })

  it('a missing voter keeps it pending, then gives no-quorum at the deadline (minParticipation unused)', () => {
    const b = ballotOf(proposal(UNANIMOUS, 5, 0), counted(4, 0, 0))
    assert.equal(tally(b, DEADLINE).outcome, 'pending')
    const t = tally(b, DEADLINE + 1)
    assert.equal(t.outcome, 'no-quorum')
    assert.equal(t.decidedAt, DEADLINE)
  })
})

describe('tally: threshold', () => {
  it('approves when yes reaches the fraction of eligible voters, early', () => {
    const p = proposal({ kind: 'threshold', fraction: 0.6 }, 5)
    assert.equal(tally(ballotOf(p, counted(2, 0, 0)), 3_000).final, false)
    const t = tally(ballotOf(p, counted(3, 0, 0)), 3_000)
    assert.equal(t.outcome, 'approved')
    assert.equal(t.final, true)
  })

  it('counts the fraction of eligible voters, not of votes cast', () => {
    const p = proposal({ kind: 'threshold', fraction: 2 / 3 }, 6)
    // 3 yes out of 3 votes is 100 % of the votes but 50 % of the 6 eligible voters.
    assert.equal(tally(ballotOf(p, counted(3, 0, 0)), DEADLINE + 1).outcome, 'rejected')
    assert.equal(tally(ballotOf(p, counted(4, 0, 0)), 3_000).outcome, 'approved')
  })

  it('rejects early once the fraction cannot be reached', () => {
    const p = proposal({ kind: 'threshold', fraction: 0.8 }, 5)
    const t = tally(ballotOf(p, counted(1, 2, 0)), 3_000)
    assert.equal(t.outcome, 'rejected')
    assert.equal(t.final, true)
  })

  it('threshold 1 needs every voter to vote yes; abstentions count as not yes', () => {
    const p = proposal({ kind: 'threshold', fraction: 1 }, 3)
    assert.equal(tally(ballotOf(p, counted(3, 0, 0)), 3_000).outcome, 'approved')
    assert.equal(tally(ballotOf(p, counted(2, 0, 1)), 3_000).outcome, 'rejected')
  })

  it('needs the participation quorum too', () => {
    const p = proposal({ kind: 'threshold', fraction: 0.4 }, 5, 0.8)
    assert.equal(tally(ballotOf(p, counted(2, 0, 0)), 3_000).final, false)
    assert.equal(tally(ballotOf(p, counted(2, 0, 0)), DEADLINE + 1).outcome, 'no-quorum')
    assert.equal(tally(ballotOf(p, counted(2, 1, 1)), 3_000).outcome, 'approved')
  })

  it('all abstain gives no-quorum', () => {
    const p = proposal({ kind: 'threshold', fraction: 0.5 }, 4)
    assert.equal(tally(ballotOf(p, counted(0, 0, 4)), 3_000).outcome, 'no-quorum')
  })
})

/** The documented outcome with no more votes to come, written independently of the module. */
function expectedOutcome (q: QuorumPolicy, n: number, minP: number, yes: number, no: number, abstain: number): Outcome {
  const votes = yes + no + abstain
  if (q.kind === 'unanimous') {
    if (no > 0) return 'rejected'
    return votes === n && yes > 0 ? 'approved' : 'no-quorum'
  }
  // votes / n >= minP, with a tolerance for floating point.
  if (votes / n < minP - 1e-9 || yes + no === 0) return 'no-quorum'
  if (q.kind === 'majority') return yes > no ? 'approved' : 'rejected'
  return yes / n >= q.fraction - 1e-9 ? 'approved' : 'rejected'
}

describe('tally: early finality matches an exhaustive enumeration', () => {
  const policies: QuorumPolicy[] = [
    MAJORITY, UNANIMOUS,
    { kind: 'threshold', fraction: 0.01 }, { kind: 'threshold', fraction: 0.5 }, { kind: 'threshold', fraction: 0.6 },
    { kind: 'threshold', fraction: 2 / 3 }, { kind: 'threshold', fraction: 1 }
  ]
  it('for every policy, 1 to 6 voters, several minParticipation values and every vote count', () => {
    let cases = 0
    for (const q of policies) {
      for (let n = 1; n <= 6; n++) {
        for (const minP of [0, 0.3, 0.5, 0.6, 2 / 3, 1]) {
          const p = proposal(q, n, minP)
          for (let y = 0; y <= n; y++) {
            for (let no = 0; y + no <= n; no++) {
              for (let a = 0; y + no + a <= n; a++) {
                const remaining = n - y - no - a
                const outcomes = new Set<Outcome>()
                for (let dy = 0; dy <= remaining; dy++) {
                  for (let dn = 0; dy + dn <= remaining; dn++) {
                    for (let da = 0; dy + dn + da <= remaining; da++) outcomes.add(expectedOutcome(q, n, minP, y + dy, no + dn, a + da))
                  }
                }
                const b = ballotOf(p, counted(y, no, a))
                const early = tally(b, 3_000)
                const label = `${JSON.stringify(q)} n=${n} minP=${minP} yes=${y} no=${no} abstain=${a}`
                if (outcomes.size === 1) {
                  assert.equal(early.final, true, label)
                  assert.equal(early.outcome, [...outcomes][0], label)
                } else {
                  assert.equal(early.final, false, label)
                  assert.equal(early.outcome, 'pending', label)
                }
                const late = tally(b, DEADLINE + 1)
                assert.equal(late.final, true, label)
                assert.equal(late.outcome, expectedOutcome(q, n, minP, y, no, a), label)
                cases++
              }
            }
          }
        }
      }
    }
    assert.ok(cases > 3000)
  })
})

describe('recordVote', () => {
  it('accepts an eligible vote without changing the given ballot', () => {
    const b = openBallot(proposal(MAJORITY))
    const r = recordVote(b, vote('peer-2', 'yes'), 2_005)
    assert.equal(r.accepted, true)
    assert.equal(r.rejection, undefined)
    assert.deepEqual(Object.keys(b.votes), [])
    assert.deepEqual(Object.keys(r.ballot?.votes ?? {}), ['peer-2'])
  })

  it('rejects a vote from a non-eligible voter', () => {
    const r = recordVote(openBallot(proposal(MAJORITY)), vote('outsider', 'yes'), 2_005)
    assert.deepEqual([r.accepted, r.rejection], [false, 'NOT_ELIGIBLE'])
  })

  it('rejects votes for an unknown proposal', () => {
    assert.equal(recordVote(undefined, vote('peer-1', 'yes'), 2_005).rejection, 'UNKNOWN_PROPOSAL')
    const v = { ...vote('peer-1', 'yes'), proposalId: 'another-proposal' }
    assert.equal(recordVote(openBallot(proposal(MAJORITY)), v, 2_005).rejection, 'UNKNOWN_PROPOSAL')
    const same = { ...vote('peer-1', 'yes'), proposalId: 'proposal-1' }
    assert.equal(recordVote(openBallot(proposal(MAJORITY)), same, 2_005).accepted, true)
  })

  it('rejects late votes: timestamp after the deadline, or received after it', () => {
    const b = openBallot(proposal(MAJORITY))
    assert.equal(recordVote(b, { ...vote('peer-1', 'yes'), at: DEADLINE + 1, receivedAt: DEADLINE + 1 }, DEADLINE + 1).rejection, 'AFTER_DEADLINE')
    assert.equal(recordVote(b, { ...vote('peer-1', 'yes'), at: DEADLINE - 10, receivedAt: DEADLINE + 1 }, DEADLINE + 1).rejection, 'AFTER_DEADLINE')
    assert.equal(recordVote(b, { ...vote('peer-1', 'yes'), at: DEADLINE + 1, receivedAt: DEADLINE - 1 }, DEADLINE - 1).rejection, 'AFTER_DEADLINE')
    assert.equal(recordVote(b, { ...vote('peer-1', 'yes'), at: DEADLINE, receivedAt: DEADLINE }, DEADLINE).accepted, true, 'the deadline itself is in time')
  })

  it('rejects malformed votes', () => {
    const b = openBallot(proposal(MAJORITY))
    assert.equal(recordVote(b, { ...vote('peer-1', 'yes'), confidence: 1.5 }, 2_005).rejection, 'INVALID')
    assert.equal(recordVote(b, { ...vote('peer-1', 'yes'), confidence: Number.NaN }, 2_005).rejection, 'INVALID')
    assert.equal(recordVote(b, { ...vote('peer-1', 'yes'), choice: 'maybe' as VoteChoice }, 2_005).rejection, 'INVALID')
    assert.equal(recordVote(b, { ...vote('peer-1', 'yes'), at: Number.NaN }, 2_005).rejection, 'INVALID')
  })

  it('a later vote from the same voter replaces the earlier one; an older one is superseded', () => {
    const p = proposal(MAJORITY)
    let b = cast(p, [vote('peer-1', 'yes', 2_000), vote('peer-2', 'no', 2_100)])
    const changed = recordVote(b, vote('peer-1', 'no', 3_000, 0.6, 'found a bug'), 3_005)
    assert.equal(changed.accepted, true)
    b = changed.ballot as Ballot
    assert.equal(b.votes['peer-1']?.choice, 'no')
    const stale = recordVote(b, vote('peer-1', 'yes', 2_500), 3_010)
    assert.deepEqual([stale.accepted, stale.rejection], [false, 'SUPERSEDED'])
    const dup = recordVote(b, vote('peer-1', 'no', 3_000, 0.6, 'found a bug'), 3_020)
    assert.deepEqual([dup.accepted, dup.rejection], [false, 'SUPERSEDED'])
    const t = tally(b, DEADLINE + 1)
    assert.deepEqual([t.for, t.against, t.outcome], [0, 2, 'rejected'])
    assert.equal(t.weightedConfidence, -(0.6 + 0.8) / 2)
  })

  it('breaks ties between two votes of one voter with the same timestamp the same way in any order', () => {
    const a = vote('peer-1', 'yes', 2_000, 0.9)
    const b = vote('peer-1', 'no', 2_000, 0.1)
    const p = proposal(MAJORITY)
    const ab = recordVote(recordVote(openBallot(p), a, 2_005).ballot, b, 2_010).ballot as Ballot
    const ba = recordVote(recordVote(openBallot(p), b, 2_005).ballot, a, 2_010).ballot as Ballot
    assert.equal(ab.votes['peer-1']?.choice, 'no')
    assert.equal(ba.votes['peer-1']?.choice, 'no')
    assert.ok(compareVotes(b, a) > 0 && compareVotes(a, b) < 0)
    // Same choice: higher confidence, then the reason, decides.
    assert.ok(compareVotes(vote('x', 'yes', 1, 0.9), vote('x', 'yes', 1, 0.5)) > 0)
    assert.ok(compareVotes(vote('x', 'yes', 1, 0.5, 'b'), vote('x', 'yes', 1, 0.5, 'a')) > 0)
    assert.ok(compareVotes(vote('x', 'yes', 1, 0.5, 'a'), vote('x', 'yes', 1, 0.5)) > 0)
    assert.equal(compareVotes(vote('x', 'yes', 1, 0.5, 'a'), { ...vote('x', 'yes', 1, 0.5, 'a'), receivedAt: 99 }), 0)
  })

  it('closes the ballot once decided early: further votes, even changes, are DECIDED', () => {
    const p = proposal(MAJORITY, 5)
    const b = cast(p, counted(3, 0, 0))
    assert.equal(tally(b, 3_000).final, true)
    assert.equal(recordVote(b, vote('peer-4', 'no', 3_000), 3_005).rejection, 'DECIDED')
    assert.equal(recordVote(b, vote('peer-1', 'no', 3_000), 3_005).rejection, 'DECIDED')
  })

  it('closes the ballot after the deadline even for a vote received in time but processed late', () => {
    const b = openBallot(proposal(MAJORITY, 5))
    const r = recordVote(b, { ...vote('peer-1', 'yes'), at: DEADLINE - 5, receivedAt: DEADLINE - 1 }, DEADLINE + 1)
    assert.equal(r.rejection, 'DECIDED')
  })
})

describe('tally: robustness and order independence', () => {
  it('ignores entries that recordVote would refuse (ineligible, late, wrong key)', () => {
    const p = proposal(MAJORITY, 3)
    const b: Ballot = {
      proposal: p,
      votes: {
        'peer-1': vote('peer-1', 'yes'),
        outsider: vote('outsider', 'yes'),
        'peer-2': { ...vote('peer-2', 'yes'), at: DEADLINE + 5 },
        'peer-3': vote('peer-1', 'yes')
      }
    }
    const t = tally(b, DEADLINE + 1)
    assert.deepEqual([t.for, t.against, t.participation], [1, 0, 1 / 3])
  })

  it('counts duplicate voters in the proposal once', () => {
    const p = proposal(MAJORITY, ['peer-b', 'peer-a', 'peer-b'])
    assert.deepEqual(eligibleVoters(p), ['peer-a', 'peer-b'])
    assert.equal(tally(openBallot(p), 0).eligible, 2)
  })

  it('the same votes give the same tally, to the last bit, in any insertion order', () => {
    const p = proposal(MAJORITY, 9)
    const votes = [0.1, 0.7, 0.3, 0.9, 0.2, 0.6, 0.33].map((c, i) => vote(`peer-${i + 1}`, i % 3 === 0 ? 'no' : 'yes', 2_000 + i, c))
    const random = rng(7)
    const reference = tally(ballotOf(p, votes), DEADLINE + 1)
    for (let i = 0; i < 100; i++) {
      assert.deepEqual(tally(ballotOf(p, shuffle(votes, random)), DEADLINE + 1), reference)
    }
  })

  it('recording shuffled streams of votes, with changes and duplicates, converges to the same ballot', () => {
    // 9 voters; peers 1-3 only ever vote yes or abstain (peer 3 only yes), peers 4-6 only no or
    // abstain, peers 7-9 are silent: no prefix of any order can decide early, so every vote is
    // recorded.
    const p = proposal(MAJORITY, 9)
    const stream: CastVote[] = [
      vote('peer-1', 'yes', 2_000, 0.5), vote('peer-1', 'abstain', 2_500, 0.4), vote('peer-1', 'yes', 2_900, 0.95, 'reran tests'),
      vote('peer-2', 'abstain', 2_050), vote('peer-2', 'yes', 2_100, 0.7),
      vote('peer-3', 'yes', 2_200, 0.6),
      vote('peer-4', 'no', 2_050, 0.9), vote('peer-4', 'abstain', 2_600),
      vote('peer-5', 'no', 2_300, 0.3), vote('peer-5', 'no', 2_300, 0.3),
      vote('peer-6', 'abstain', 2_400), vote('peer-6', 'no', 2_800, 0.45)
    ]
    const random = rng(42)
    let reference: Ballot | undefined
    for (let i = 0; i < 200; i++) {
      let b: Ballot | undefined = openBallot(p)
      for (const v of shuffle(stream, random)) {
        const r = recordVote(b, v, 3_000)
        assert.ok(r.accepted || r.rejection === 'SUPERSEDED', String(r.rejection))
        b = r.ballot
      }
      assert.ok(b !== undefined)
      const normalised = { proposal: b.proposal, votes: Object.fromEntries(Object.entries(b.votes).sort(([x], [y]) => (x < y ? -1 : 1))) }
      if (reference === undefined) reference = normalised
      else assert.deepEqual(normalised, reference)
    }
    assert.ok(reference !== undefined)
    assert.deepEqual(Object.fromEntries(Object.entries(reference.votes).map(([k, v]) => [k, v.choice])), {
      'peer-1': 'yes', 'peer-2': 'yes', 'peer-3': 'yes', 'peer-4': 'abstain', 'peer-5': 'no', 'peer-6': 'no'
    })
    const t = tally(reference, DEADLINE + 1)
    assert.deepEqual([t.outcome, t.for, t.against, t.abstentions], ['approved', 3, 2, 1])
  })
  it('with one vote per voter, every arrival order reaches the same outcome, even when ballots close early', () => {
    const random = rng(1234)
    const policies: QuorumPolicy[] = [MAJORITY, UNANIMOUS, { kind: 'threshold', fraction: 0.6 }]
    const choices: VoteChoice[] = ['yes', 'no', 'abstain']
    for (let round = 0; round < 60; round++) {
      const n = 3 + Math.floor(random() * 5)
      const q: QuorumPolicy = policies[round % policies.length] ?? MAJORITY
      const p = proposal(q, n, [0, 0.5, 0.8][round % 3] ?? 0)
      const voting = shuffle(peers(n), random).slice(0, 1 + Math.floor(random() * n))
      const votes = voting.map((voter, i) => vote(voter, choices[Math.floor(random() * 3)] ?? 'yes', 2_000 + i, random()))
      const expected = tally(ballotOf(p, votes), DEADLINE + 1).outcome
      for (let k = 0; k < 20; k++) {
        let b: Ballot | undefined = openBallot(p)
        for (const v of shuffle(votes, random)) {
          const r = recordVote(b, v, 3_000)
          assert.ok(r.accepted || r.rejection === 'DECIDED')
          b = r.ballot
        }
        assert.equal(tally(b as Ballot, DEADLINE + 1).outcome, expected, `${JSON.stringify(q)} n=${n} round ${round}`)
      }
    }
  })
})
