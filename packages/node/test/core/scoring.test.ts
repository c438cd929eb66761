import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import type { RequiredSkill } from '@swarm/protocol'
import type { Candidate } from '../../src/core/index.js'
import {
  DEFAULT_REPUTATION,
  DEFAULT_SCORE_WEIGHTS,
  DEFAULT_SPEED_REFERENCE_MS,
  assertValidWeights,
  availabilityComponent,
  combineComponents,
  coveredRequiredSkills,
  levelComponent,
  meetsLevel,
  scoreCandidateForSkill,
  scoreComponentsForSkill,
  scoreOwnOffer,
  speedComponent
} from '../../src/core/index.js'
import { NEWCOMER_REPUTATION } from '../../src/core/reputation.js'
import { updateReputation } from '../../src/core/skill-stats.js'

const req = (name: string, minLevel: RequiredSkill['minLevel'] = 'novice', count = 1): RequiredSkill => ({ name, minLevel, count })

function candidate (overrides: Partial<Candidate> = {}): Candidate {
  return {
    peerId: 'peer-a',
    skills: [{ name: 'analytics', level: 'advanced', successRate: 0.9, avgCompletionMs: 2000 }],
    load: 0,
    capacity: 4,
    ...overrides
  }
}

describe('DEFAULT_SCORE_WEIGHTS', () => {
  it('sums to 1 and is frozen', () => {
    const w = DEFAULT_SCORE_WEIGHTS
    assert.ok(Math.abs(w.level + w.successRate + w.availability + w.speed + w.reputation - 1) < 1e-12)
    assert.ok(Object.isFrozen(w))
  })
})

describe('meetsLevel', () => {
  it('accepts equal and higher levels and refuses lower ones', () => {
    assert.equal(meetsLevel('advanced', 'advanced'), true)
    assert.equal(meetsLevel('expert', 'novice'), true)
    assert.equal(meetsLevel('intermediate', 'advanced'), false)
  })
})

describe('levelComponent', () => {
  it('gives 0.5 at the minimum and 1 at expert', () => {
    assert.equal(levelComponent('novice', 'novice'), 0.5)
    assert.equal(levelComponent('expert', 'novice'), 1)
    assert.ok(Math.abs((levelComponent('intermediate', 'novice') ?? 0) - (0.5 + 0.5 / 3)) < 1e-12)
    assert.equal(levelComponent('advanced', 'advanced'), 0.5)
    assert.equal(levelComponent('expert', 'advanced'), 1)
  })

  it('gives 1 when expert is required and met', () => {
    assert.equal(levelComponent('expert', 'expert'), 1)
  })

  it('is undefined below the minimum', () => {
    assert.equal(levelComponent('novice', 'intermediate'), undefined)
    assert.equal(levelComponent('advanced', 'expert'), undefined)
  })

  it('rises strictly with the level above the minimum', () => {
    const values = (['novice', 'intermediate', 'advanced', 'expert'] as const).map(l => levelComponent(l, 'novice') ?? -1)
    for (let i = 1; i < values.length; i++) assert.ok((values[i] ?? 0) > (values[i - 1] ?? 0))
  })
})

describe('availabilityComponent', () => {
  it('is the free fraction of capacity', () => {
    assert.equal(availabilityComponent(0, 4), 1)
    assert.equal(availabilityComponent(1, 4), 0.75)
    assert.equal(availabilityComponent(3, 4), 0.25)
  })

  it('is 0 when full, over capacity or without capacity', () => {
    assert.equal(availabilityComponent(4, 4), 0)
    assert.equal(availabilityComponent(5, 4), 0)
    assert.equal(availabilityComponent(0, 0), 0)
  })
})

describe('speedComponent', () => {
  it('is 1 for instant work and 0.5 at the reference time', () => {
    assert.equal(speedComponent(0, 1000), 1)
    assert.equal(speedComponent(1000, 1000), 0.5)
    assert.equal(speedComponent(DEFAULT_SPEED_REFERENCE_MS), 0.5)
  })

  it('falls as work gets slower and is 0 for infinite time', () => {
    assert.ok(speedComponent(500, 1000) > speedComponent(5000, 1000))
    assert.equal(speedComponent(Number.POSITIVE_INFINITY, 1000), 0)
    assert.equal(speedComponent(Number.NaN, 1000), 0)
  })

  it('treats negative times as 0', () => {
    assert.equal(speedComponent(-5, 1000), 1)
  })

  it('refuses a non-positive reference', () => {
    assert.throws(() => speedComponent(100, 0), RangeError)
  })
})

describe('assertValidWeights and combineComponents', () => {
  it('refuses negative, non-finite and all-zero weights', () => {
    assert.throws(() => assertValidWeights({ ...DEFAULT_SCORE_WEIGHTS, level: -1 }), /level/)
    assert.throws(() => assertValidWeights({ ...DEFAULT_SCORE_WEIGHTS, speed: Number.NaN }), /speed/)
    assert.throws(() => assertValidWeights({ level: 0, successRate: 0, availability: 0, speed: 0, reputation: 0 }), /all be 0/)
  })

  it('normalises weights so only their ratios matter', () => {
    const components = { level: 1, successRate: 0.5, availability: 0.25, speed: 0, reputation: 0.5 }
    const double = Object.fromEntries(Object.entries(DEFAULT_SCORE_WEIGHTS).map(([k, v]) => [k, v * 2])) as unknown as typeof DEFAULT_SCORE_WEIGHTS
    assert.ok(Math.abs(combineComponents(components) - combineComponents(components, double)) < 1e-12)
  })

  it('gives the single component when only its weight is set', () => {
    const components = { level: 0.7, successRate: 0.1, availability: 0.2, speed: 0.3, reputation: 0.4 }
    assert.equal(combineComponents(components, { level: 1, successRate: 0, availability: 0, speed: 0, reputation: 0 }), 0.7)
  })
})

describe('scoreCandidateForSkill', () => {
  it('is undefined when the candidate lacks the skill', () => {
    assert.equal(scoreCandidateForSkill(candidate(), req('viz')), undefined)
  })

  it('is undefined when the level is below the minimum', () => {
    assert.equal(scoreCandidateForSkill(candidate(), req('analytics', 'expert')), undefined)
  })

  it('is within 0..1', () => {
    const best = candidate({ skills: [{ name: 'analytics', level: 'expert', successRate: 1, avgCompletionMs: 0 }], reputation: 1 })
    const worst = candidate({ skills: [{ name: 'analytics', level: 'novice', successRate: 0, avgCompletionMs: 1e12 }], reputation: 0, load: 4 })
    const high = scoreCandidateForSkill(best, req('analytics')) ?? -1
    const low = scoreCandidateForSkill(worst, req('analytics')) ?? -1
    assert.ok(high <= 1 && high > 0.99, `high ${high}`)
    assert.ok(low >= 0 && low < 0.2, `low ${low}`)
  })

  it('clamps out-of-range success rates and reputations', () => {
    const weird = candidate({ skills: [{ name: 'analytics', level: 'expert', successRate: 7, avgCompletionMs: 0 }], reputation: 3 })
    assert.ok((scoreCandidateForSkill(weird, req('analytics')) ?? 2) <= 1)
  })

  it('rewards a higher level, success rate, free capacity, speed and reputation', () => {
    const base = scoreCandidateForSkill(candidate(), req('analytics')) ?? 0
    const skill = { name: 'analytics', level: 'advanced' as const, successRate: 0.9, avgCompletionMs: 2000 }
    assert.ok((scoreCandidateForSkill(candidate({ skills: [{ ...skill, level: 'expert' }] }), req('analytics')) ?? 0) > base)
    assert.ok((scoreCandidateForSkill(candidate({ skills: [{ ...skill, successRate: 0.99 }] }), req('analytics')) ?? 0) > base)
    assert.ok((scoreCandidateForSkill(candidate({ load: 2 }), req('analytics')) ?? 1) < base)
    assert.ok((scoreCandidateForSkill(candidate({ skills: [{ ...skill, avgCompletionMs: 100 }] }), req('analytics')) ?? 0) > base)
    assert.ok((scoreCandidateForSkill(candidate({ reputation: 0.9 }), req('analytics')) ?? 0) > base)
  })

  it('uses the default reputation when none is given', () => {
    assert.equal(scoreCandidateForSkill(candidate(), req('analytics')), scoreCandidateForSkill(candidate({ reputation: DEFAULT_REPUTATION }), req('analytics')))
  })

  it('scores a full candidate lower but still scores it', () => {
    const full = scoreCandidateForSkill(candidate({ load: 4 }), req('analytics'))
    assert.notEqual(full, undefined)
    assert.ok((full ?? 1) < (scoreCandidateForSkill(candidate(), req('analytics')) ?? 0))
  })

  it('uses the best qualifying entry when a skill is listed twice', () => {
    const twice = candidate({
      skills: [
        { name: 'analytics', level: 'novice', successRate: 0.1, avgCompletionMs: 9000 },
        { name: 'analytics', level: 'expert', successRate: 0.9, avgCompletionMs: 1000 }
      ]
    })
    const once = candidate({ skills: [{ name: 'analytics', level: 'expert', successRate: 0.9, avgCompletionMs: 1000 }] })
    assert.equal(scoreCandidateForSkill(twice, req('analytics')), scoreCandidateForSkill(once, req('analytics')))
    assert.equal(scoreCandidateForSkill(twice, req('analytics', 'advanced')), scoreCandidateForSkill(once, req('analytics', 'advanced')))
  })

  it('honours custom weights and speed reference', () => {
    const c = candidate()
    assert.equal(scoreCandidateForSkill(c, req('analytics'), { level: 0, successRate: 1, availability: 0, speed: 0, reputation: 0 }), 0.9)
    const speedOnly = { level: 0, successRate: 0, availability: 0, speed: 1, reputation: 0 }
    assert.equal(scoreCandidateForSkill(c, req('analytics'), speedOnly, 2000), 0.5)
  })

  it('exposes its components', () => {
    const detail = scoreComponentsForSkill(candidate({ load: 1 }), req('analytics', 'intermediate'))
    assert.ok(detail !== undefined)
    assert.equal(detail.components.availability, 0.75)
    assert.equal(detail.components.successRate, 0.9)
    assert.equal(detail.components.reputation, DEFAULT_REPUTATION)
    assert.equal(detail.score, scoreCandidateForSkill(candidate({ load: 1 }), req('analytics', 'intermediate')))
  })
})

describe('coveredRequiredSkills', () => {
  it('lists the required skills met at their level, in required order', () => {
    const skills = [
      { name: 'viz', level: 'novice' as const, successRate: 1, avgCompletionMs: 1 },
      { name: 'analytics', level: 'expert' as const, successRate: 1, avgCompletionMs: 1 }
    ]
    const covered = coveredRequiredSkills(skills, [req('analytics', 'advanced'), req('viz', 'intermediate'), req('ml')])
    assert.deepEqual(covered.map(r => r.name), ['analytics'])
  })
})

describe('scoreOwnOffer', () => {
  const skills = [
    { name: 'analytics', level: 'expert' as const, successRate: 1, avgCompletionMs: 0 },
    { name: 'viz', level: 'novice' as const, successRate: 0.5, avgCompletionMs: 10_000 }
  ]

  it('is the mean of the scores over the covered required skills', () => {
    const self: Candidate = { peerId: '', skills, load: 1, capacity: 2 }
    const a = scoreCandidateForSkill(self, req('analytics')) ?? 0
    const v = scoreCandidateForSkill(self, req('viz')) ?? 0
    const own = scoreOwnOffer(skills, [req('analytics'), req('viz'), req('ml')], 1, 2)
    assert.ok(Math.abs(own - (a + v) / 2) < 1e-12)
  })

  it('ignores skills below the required level', () => {
    const own = scoreOwnOffer(skills, [req('analytics'), req('viz', 'advanced')], 0, 2)
    assert.equal(own, scoreOwnOffer(skills, [req('analytics')], 0, 2))
  })

  it('is 0 when nothing is covered', () => {
    assert.equal(scoreOwnOffer(skills, [req('ml')], 0, 2), 0)
    assert.equal(scoreOwnOffer([], [req('analytics')], 0, 2), 0)
  })

  it('falls as load rises', () => {
    assert.ok(scoreOwnOffer(skills, [req('analytics')], 0, 4) > scoreOwnOffer(skills, [req('analytics')], 3, 4))
  })
})

describe('first-hand observation over claims', () => {
  it('scores the success rate from observed outcomes, blended with the claim by their number', () => {
    const claimed = scoreComponentsForSkill(candidate(), req('analytics'))?.components.successRate
    assert.equal(claimed, 0.9)
    const few = scoreComponentsForSkill(candidate({ observed: { successes: 0, total: 1 } }), req('analytics'))?.components.successRate ?? 1
    const many = scoreComponentsForSkill(candidate({ observed: { successes: 0, total: 20 } }), req('analytics'))?.components.successRate ?? 1
    assert.ok(few < 0.9 && many < few && many < 0.1, `${few} ${many}`)
  })

  it('ranks a fake expert claiming success rate 1 below an honest agent after a few no-shows', () => {
    let fakeReputation = NEWCOMER_REPUTATION
    for (let i = 0; i < 3; i++) fakeReputation = updateReputation(fakeReputation, 'no-show')
    const fake = candidate({
      peerId: 'fake',
      skills: [{ name: 'analytics', level: 'expert', successRate: 1, avgCompletionMs: 100 }],
      reputation: fakeReputation,
      observed: { successes: 0, total: 3 }
    })
    const honest = candidate({
      peerId: 'honest',
      skills: [{ name: 'analytics', level: 'intermediate', successRate: 0.8, avgCompletionMs: 2000 }],
      reputation: NEWCOMER_REPUTATION
    })
    const fakeScore = scoreCandidateForSkill(fake, req('analytics')) ?? 1
    const honestScore = scoreCandidateForSkill(honest, req('analytics')) ?? 0
    assert.ok(fakeScore < honestScore, `fake ${fakeScore} should rank below honest ${honestScore}`)
  })

  it('ranks a peer after one no-show below honest agents, whatever it claims, and below its own unobserved self', () => {
    const claims = { peerId: 'fake', skills: [{ name: 'analytics', level: 'expert' as const, successRate: 1, avgCompletionMs: 1 }], load: 0, capacity: 1024 }
    const fake = candidate({ ...claims, reputation: updateReputation(NEWCOMER_REPUTATION, 'no-show'), observed: { successes: 0, total: 1 } })
    const unseen = candidate({ ...claims, reputation: NEWCOMER_REPUTATION })
    // Honest agents with modest claims: the required level exactly, busy, slow.
    const modest = candidate({
      peerId: 'modest',
      skills: [{ name: 'analytics', level: 'novice', successRate: 1, avgCompletionMs: 10_000 }],
      load: 3,
      capacity: 4,
      reputation: NEWCOMER_REPUTATION
    })
    const proven = candidate({
      peerId: 'proven',
      skills: [{ name: 'analytics', level: 'intermediate', successRate: 1, avgCompletionMs: 1000 }],
      load: 1,
      capacity: 4,
      reputation: updateReputation(NEWCOMER_REPUTATION, 'success'),
      observed: { successes: 1, total: 1 }
    })
    const score = (c: Candidate): number => scoreCandidateForSkill(c, req('analytics')) ?? Number.NaN
    assert.ok(score(unseen) > score(proven), 'unobserved, the claims win: that is the fake-expert case')
    assert.ok(score(fake) < score(modest), `fake ${score(fake)} should rank below modest ${score(modest)}`)
    assert.ok(score(fake) < score(proven), `fake ${score(fake)} should rank below proven ${score(proven)}`)
    const parts = scoreComponentsForSkill(fake, req('analytics'))
    assert.ok(parts !== undefined && parts.reliability < 1 && Math.abs(parts.score - combineComponents(parts.components) * parts.reliability) < 1e-12)
  })

  it('does not scale the score of a peer it never saw fail', () => {
    const parts = scoreComponentsForSkill(candidate({ observed: { successes: 4, total: 4 } }), req('analytics'))
    assert.equal(parts?.reliability, 1)
    assert.equal(parts?.score, combineComponents(parts?.components ?? { level: 0, successRate: 0, availability: 0, speed: 0, reputation: 0 }))
  })
})
