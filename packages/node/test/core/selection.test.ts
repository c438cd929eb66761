import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import type { Level, RequiredSkill } from '@swarm/protocol'
import type { Candidate, GroupSelected, GroupSelection } from '../../src/core/index.js'
import { coveredWell, hasFreeCapacity, mergeRequiredSkills, replacementFor, scoreCandidateForSkill, selectGroup } from '../../src/core/index.js'

const req = (name: string, minLevel: Level = 'novice', count = 1): RequiredSkill => ({ name, minLevel, count })

/** A candidate with the given skills, all at `level` with the same history unless overridden. */
function cand (peerId: string, skills: Array<string | [string, Level] | [string, Level, number]>, extra: Partial<Candidate> = {}): Candidate {
  return {
    peerId,
    skills: skills.map(s => {
      if (typeof s === 'string') return { name: s, level: 'advanced', successRate: 0.9, avgCompletionMs: 1000 }
      return { name: s[0], level: s[1], successRate: s[2] ?? 0.9, avgCompletionMs: 1000 }
    }),
    load: 0,
    capacity: 4,
    ...extra
  }
}

function ok (selection: GroupSelection): GroupSelected {
  if (!selection.ok) assert.fail(`selection failed: ${selection.reason}`)
  return selection
}

describe('selectGroup', () => {
  it('picks the best candidate for a single skill and names the rest as backups', () => {
    const candidates = [
      cand('peer-b', [['analytics', 'advanced', 0.6]]),
      cand('peer-a', [['analytics', 'expert', 0.95]]),
      cand('peer-c', [['analytics', 'intermediate', 0.5]])
    ]
    const s = ok(selectGroup([req('analytics')], candidates, { maxGroupSize: 3, backupsPerSkill: 2 }))
    assert.deepEqual(s.members, [{ peerId: 'peer-a', skills: ['analytics'] }])
    assert.deepEqual(s.assignments, { analytics: ['peer-a'] })
    assert.deepEqual(s.backups, { analytics: ['peer-b', 'peer-c'] })
    assert.equal(s.score, scoreCandidateForSkill(candidates[1] as Candidate, req('analytics')))
  })

  it('never chooses a candidate below the required level, however good otherwise', () => {
    const candidates = [
      cand('peer-star', [['viz', 'intermediate', 1]], { reputation: 1 }),
      cand('peer-ok', [['viz', 'advanced', 0.2]], { load: 3, reputation: 0 })
    ]
    const s = ok(selectGroup([req('viz', 'advanced')], candidates, { maxGroupSize: 2 }))
    assert.deepEqual(s.members.map(m => m.peerId), ['peer-ok'])
    assert.deepEqual(s.backups, { viz: [] })
  })

  it('fails with a reason when no offer covers a skill at the level', () => {
    const candidates = [cand('peer-a', ['analytics', ['viz', 'intermediate']])]
    const s = selectGroup([req('analytics'), req('viz', 'advanced')], candidates, { maxGroupSize: 3 })
    assert.equal(s.ok, false)
    assert.ok(!s.ok)
    assert.equal(s.reason, 'no offer covers skill "viz" at level advanced or above')
    assert.deepEqual(s.missing, [{ skill: 'viz', needed: 1, available: 0 }])
  })

  it('lists every short skill in the reason', () => {
    const s = selectGroup([req('a'), req('b', 'novice', 3), req('c')], [cand('peer-1', ['b']), cand('peer-2', ['c'])], { maxGroupSize: 5 })
    assert.ok(!s.ok)
    assert.deepEqual(s.missing, [{ skill: 'a', needed: 1, available: 0 }, { skill: 'b', needed: 3, available: 1 }])
    assert.match(s.reason, /no offer covers skill "a" at level novice or above/)
    assert.match(s.reason, /skill "b" needs 3 members at level novice or above but only 1 offer covers it/)
  })

  it('lets one multi-skill member cover several skills to keep the group small', () => {
    const candidates = [
      cand('peer-a-star', [['analytics', 'expert', 1]]),
      cand('peer-v-star', [['viz', 'expert', 1]]),
      cand('peer-both', [['analytics', 'intermediate', 0.8], ['viz', 'intermediate', 0.8]])
    ]
    const s = ok(selectGroup([req('analytics'), req('viz')], candidates, { maxGroupSize: 1 }))
    assert.deepEqual(s.members, [{ peerId: 'peer-both', skills: ['analytics', 'viz'] }])
    assert.deepEqual(s.assignments, { analytics: ['peer-both'], viz: ['peer-both'] })
    assert.deepEqual(s.backups, { analytics: ['peer-a-star'], viz: ['peer-v-star'] })
  })

  it('fails when greedy needs more members than the maximum group size', () => {
    const skills = ['s1', 's2', 's3', 's4', 's5']
    const candidates = skills.map((s, i) => cand(`peer-${i}`, [s]))
    const s = selectGroup(skills.map(n => req(n)), candidates, { maxGroupSize: 2 })
    assert.ok(!s.ok)
    assert.equal(s.reason, 'covering 5 skills needs more than the maximum group size 2 (the best group found has 5 members)')
    assert.deepEqual(s.missing, [])
  })

  it('mentions member slots when a skill needs several members', () => {
    const s = selectGroup([req('a', 'novice', 3)], [cand('p1', ['a']), cand('p2', ['a']), cand('p3', ['a'])], { maxGroupSize: 2 })
    assert.ok(!s.ok)
    assert.match(s.reason, /^covering 1 skill \(3 member slots\) needs more than the maximum group size 2/)
  })

  it('fills a skill with count n with n distinct members', () => {
    const candidates = [cand('peer-1', ['review']), cand('peer-2', ['review']), cand('peer-3', ['review'], { load: 2 })]
    const s = ok(selectGroup([req('review', 'novice', 2)], candidates, { maxGroupSize: 3 }))
    assert.deepEqual(s.assignments, { review: ['peer-1', 'peer-2'] })
    assert.equal(new Set(s.assignments.review).size, 2)
    assert.deepEqual(s.backups, { review: ['peer-3'] })
  })

  it('fails when fewer distinct candidates than the count exist', () => {
    const s = selectGroup([req('review', 'advanced', 2)], [cand('peer-1', ['review']), cand('peer-1', ['review'])], { maxGroupSize: 3 })
    assert.ok(!s.ok)
    assert.deepEqual(s.missing, [{ skill: 'review', needed: 2, available: 1 }])
    assert.equal(s.reason, 'skill "review" needs 2 members at level advanced or above but only 1 offer covers it')
  })

  it('lets a member fill one slot of each of several skills but never two slots of one', () => {
    const candidates = [cand('peer-x', ['a', 'b']), cand('peer-y', ['a'])]
    const s = ok(selectGroup([req('a', 'novice', 2), req('b')], candidates, { maxGroupSize: 2 }))
    assert.deepEqual(s.members, [{ peerId: 'peer-x', skills: ['a', 'b'] }, { peerId: 'peer-y', skills: ['a'] }])
    assert.deepEqual(s.assignments, { a: ['peer-x', 'peer-y'], b: ['peer-x'] })
  })

  it('breaks score ties by lower peer id, whatever the input order', () => {
    const candidates = [cand('peer-c', ['a']), cand('peer-a', ['a']), cand('peer-b', ['a'])]
    const first = ok(selectGroup([req('a')], candidates, { maxGroupSize: 1, backupsPerSkill: 2 }))
    assert.deepEqual(first.members.map(m => m.peerId), ['peer-a'])
    assert.deepEqual(first.backups, { a: ['peer-b', 'peer-c'] })
    for (const order of [[0, 1, 2], [2, 1, 0], [1, 2, 0], [0, 2, 1]]) {
      const shuffled = order.map(i => candidates[i] as Candidate)
      assert.deepEqual(selectGroup([req('a')], shuffled, { maxGroupSize: 1, backupsPerSkill: 2 }), first)
    }
  })

  it('breaks score ties by lower load before peer id', () => {
    // Same free fraction (0.5), so the same score; peer-z has the lower load.
    const candidates = [cand('peer-a', ['a'], { load: 2, capacity: 4 }), cand('peer-z', ['a'], { load: 1, capacity: 2 })]
    assert.equal(scoreCandidateForSkill(candidates[0] as Candidate, req('a')), scoreCandidateForSkill(candidates[1] as Candidate, req('a')))
    const s = ok(selectGroup([req('a')], candidates, { maxGroupSize: 1 }))
    assert.deepEqual(s.members.map(m => m.peerId), ['peer-z'])
    assert.deepEqual(s.backups, { a: ['peer-a'] })
  })

  it('skips candidates without free capacity', () => {
    const candidates = [cand('peer-full', [['a', 'expert', 1]], { load: 4, capacity: 4 }), cand('peer-zero', ['a'], { capacity: 0 }), cand('peer-free', [['a', 'novice', 0.1]], { load: 3 })]
    const s = ok(selectGroup([req('a')], candidates, { maxGroupSize: 1 }))
    assert.deepEqual(s.members.map(m => m.peerId), ['peer-free'])
    assert.deepEqual(s.backups, { a: [] })
    const none = selectGroup([req('a')], candidates.slice(0, 2), { maxGroupSize: 1 })
    assert.ok(!none.ok)
    assert.deepEqual(none.missing, [{ skill: 'a', needed: 1, available: 0 }])
  })

  it('never chooses an excluded peer', () => {
    const candidates = [cand('peer-best', [['a', 'expert', 1]]), cand('peer-next', ['a'])]
    const s = ok(selectGroup([req('a')], candidates, { maxGroupSize: 1, exclude: new Set(['peer-best']) }))
    assert.deepEqual(s.members.map(m => m.peerId), ['peer-next'])
    assert.deepEqual(s.backups, { a: [] })
  })

  it('orders backups by score and keeps group members out of them', () => {
    const candidates = [
      cand('peer-1', [['a', 'expert', 1], ['b', 'expert', 1]]),
      cand('peer-2', [['a', 'novice', 0.5]]),
      cand('peer-3', [['a', 'advanced', 0.9]]),
      cand('peer-4', [['a', 'intermediate', 0.7], ['b', 'novice', 0.2]]),
      cand('peer-5', [['b', 'expert', 0.9]])
    ]
    const s = ok(selectGroup([req('a'), req('b')], candidates, { maxGroupSize: 2, backupsPerSkill: 3 }))
    assert.deepEqual(s.members, [{ peerId: 'peer-1', skills: ['a', 'b'] }])
    assert.deepEqual(s.backups, { a: ['peer-3', 'peer-4', 'peer-2'], b: ['peer-5', 'peer-4'] })
    const limited = ok(selectGroup([req('a'), req('b')], candidates, { maxGroupSize: 2 }))
    assert.deepEqual(limited.backups, { a: ['peer-3'], b: ['peer-5'] })
    const none = ok(selectGroup([req('a'), req('b')], candidates, { maxGroupSize: 2, backupsPerSkill: 0 }))
    assert.deepEqual(none.backups, { a: [], b: [] })
  })

  it('reports the mean slot score', () => {
    const candidates = [cand('peer-x', [['a', 'expert', 1]]), cand('peer-y', [['b', 'novice', 0.3]])]
    const s = ok(selectGroup([req('a'), req('b')], candidates, { maxGroupSize: 2 }))
    const expected = ((scoreCandidateForSkill(candidates[0] as Candidate, req('a')) ?? 0) + (scoreCandidateForSkill(candidates[1] as Candidate, req('b')) ?? 0)) / 2
    assert.ok(Math.abs(s.score - expected) < 1e-12)
    assert.ok(s.score > 0 && s.score <= 1)
  })

  it('merges a skill required twice', () => {
    const candidates = [cand('peer-1', [['a', 'expert']]), cand('peer-2', [['a', 'advanced']]), cand('peer-3', [['a', 'novice']])]
    const s = ok(selectGroup([req('a', 'novice'), req('a', 'advanced')], candidates, { maxGroupSize: 3 }))
    assert.deepEqual(s.assignments, { a: ['peer-1', 'peer-2'] })
  })

  it('uses the last offer of a peer that offered twice', () => {
    const s = selectGroup([req('a', 'advanced')], [cand('peer-1', [['a', 'expert']]), cand('peer-1', [['a', 'novice']])], { maxGroupSize: 1 })
    assert.ok(!s.ok)
  })

  it('refuses bad options and an empty requirement', () => {
    assert.throws(() => selectGroup([req('a')], [], { maxGroupSize: 0 }), RangeError)
    assert.throws(() => selectGroup([req('a')], [], { maxGroupSize: 1, backupsPerSkill: -1 }), RangeError)
    assert.throws(() => selectGroup([req('a')], [], { maxGroupSize: 1.5 }), RangeError)
    const empty = selectGroup([], [cand('peer-1', ['a'])], { maxGroupSize: 1 })
    assert.ok(!empty.ok)
    assert.equal(empty.reason, 'the task requires no skills')
  })

  it('does not modify its inputs', () => {
    const required = [req('a'), req('b', 'novice', 2)]
    const candidates = [cand('p1', ['a', 'b']), cand('p2', ['b']), cand('p3', ['a', 'b'])]
    const before = structuredClone({ required, candidates })
    selectGroup(required, candidates, { maxGroupSize: 3 })
    assert.deepEqual({ required, candidates }, before)
  })

  it('covers every slot with qualified members on a larger random instance', () => {
    let seed = 42
    const random = (): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 }
    const names = ['a', 'b', 'c', 'd', 'e']
    const levels: Level[] = ['novice', 'intermediate', 'advanced', 'expert']
    const candidates: Candidate[] = []
    for (let i = 0; i < 60; i++) {
      const skills = names.filter(() => random() < 0.4).map(n => ({ name: n, level: levels[Math.floor(random() * 4)] as Level, successRate: random(), avgCompletionMs: random() * 5000 }))
      candidates.push({ peerId: `peer-${String(i).padStart(2, '0')}`, skills, load: Math.floor(random() * 3), capacity: 2 })
    }
    const required = [req('a', 'advanced', 2), req('b', 'intermediate'), req('c', 'expert'), req('d', 'novice', 3)]
    const s = ok(selectGroup(required, candidates, { maxGroupSize: 8, backupsPerSkill: 2 }))
    const byPeer = new Map(candidates.map(c => [c.peerId, c]))
    for (const r of required) {
      const assigned = s.assignments[r.name] ?? []
      assert.equal(assigned.length, r.count)
      assert.equal(new Set(assigned).size, r.count)
      for (const peerId of [...assigned, ...(s.backups[r.name] ?? [])]) {
        const c = byPeer.get(peerId)
        assert.ok(c !== undefined && hasFreeCapacity(c))
        assert.notEqual(scoreCandidateForSkill(c, r), undefined)
      }
      for (const backup of s.backups[r.name] ?? []) assert.ok(!s.members.some(m => m.peerId === backup))
    }
    assert.ok(s.members.length <= 8)
    assert.deepEqual(selectGroup(required, [...candidates].reverse(), { maxGroupSize: 8, backupsPerSkill: 2 }), s)
  })
})

describe('mergeRequiredSkills', () => {
  it('adds counts and keeps the strictest level in first-appearance order', () => {
    assert.deepEqual(mergeRequiredSkills([req('b'), req('a', 'expert'), req('b', 'advanced', 2)]), [req('b', 'advanced', 3), req('a', 'expert')])
  })
})

describe('replacementFor', () => {
  const candidates = [
    cand('peer-1', [['a', 'expert', 1]]),
    cand('peer-2', [['a', 'advanced', 0.9]]),
    cand('peer-3', [['a', 'intermediate', 0.8]]),
    cand('peer-4', [['a', 'novice', 0.99]])
  ]
  const skill = req('a', 'intermediate')
  const selection = ok(selectGroup([skill], candidates, { maxGroupSize: 1, backupsPerSkill: 2 }))

  it('returns the first backup when a member declines', () => {
    assert.deepEqual(selection.members.map(m => m.peerId), ['peer-1'])
    assert.equal(replacementFor(skill, selection, candidates, ['peer-1']), selection.backups.a?.[0])
    assert.equal(replacementFor(skill, selection, candidates, ['peer-1']), 'peer-2')
  })

  it('never returns a group member, even when not excluded', () => {
    assert.equal(replacementFor(skill, selection, candidates), 'peer-2')
  })

  it('skips excluded, full and under-level peers and returns undefined when none is left', () => {
    assert.equal(replacementFor(skill, selection, candidates, ['peer-1', 'peer-2']), 'peer-3')
    const busy = candidates.map(c => (c.peerId === 'peer-3' ? { ...c, load: c.capacity } : c))
    assert.equal(replacementFor(skill, selection, busy, ['peer-2']), undefined)
  })

  it('uses the current members, e.g. from a task state after an earlier replacement', () => {
    const members = [{ peerId: 'peer-2', skills: ['a'] }]
    assert.equal(replacementFor(skill, { members }, candidates, ['peer-1']), 'peer-3')
  })

  it('considers candidates that offered after the selection', () => {
    const late = [...candidates, cand('peer-0', [['a', 'expert', 1]], { reputation: 1 })]
    assert.equal(replacementFor(skill, selection, late, ['peer-1']), 'peer-0')
  })
})

describe('coveredWell', () => {
  const required = [req('a'), req('b')]
  const good = [cand('peer-1', ['a']), cand('peer-2', ['b']), cand('peer-3', ['a', 'b'])]

  it('is true when a group forms with good scores and a backup per skill', () => {
    // peer-3 covers both skills; peer-1 and peer-2 are the backups.
    assert.equal(coveredWell(required, good, { minScore: 0.5, backupsPerSkill: 1, maxGroupSize: 2 }), true)
  })

  it('is false without enough backups', () => {
    assert.equal(coveredWell(required, good, { minScore: 0.5, backupsPerSkill: 2, maxGroupSize: 2 }), false)
    assert.equal(coveredWell(required, [...good, cand('peer-4', ['a', 'b'])], { minScore: 0.5, backupsPerSkill: 2, maxGroupSize: 2 }), true)
    assert.equal(coveredWell([req('a')], [cand('peer-1', ['a'])], { minScore: 0.5, backupsPerSkill: 1, maxGroupSize: 2 }), false)
    assert.equal(coveredWell([req('a')], [cand('peer-1', ['a'])], { minScore: 0.5, backupsPerSkill: 0, maxGroupSize: 2 }), true)
  })

  it('is false when a chosen slot scores below minScore', () => {
    const weak = [...good, cand('peer-4', ['a', 'b'])]
    assert.equal(coveredWell(required, weak, { minScore: 0.99, backupsPerSkill: 1, maxGroupSize: 2 }), false)
  })

  it('is false when no group can be selected', () => {
    assert.equal(coveredWell([req('z')], good, { minScore: 0, backupsPerSkill: 0, maxGroupSize: 2 }), false)
    assert.equal(coveredWell([req('a'), req('b'), req('c')], [...good, cand('peer-c', ['c'])], { minScore: 0, backupsPerSkill: 0, maxGroupSize: 1 }), false)
  })

  it('respects exclusions', () => {
    const all = [...good, cand('peer-4', ['a', 'b'])]
    assert.equal(coveredWell(required, all, { minScore: 0.5, backupsPerSkill: 2, maxGroupSize: 2 }), true)
    assert.equal(coveredWell(required, all, { minScore: 0.5, backupsPerSkill: 2, maxGroupSize: 2, exclude: ['peer-4'] }), false)
  })
})
