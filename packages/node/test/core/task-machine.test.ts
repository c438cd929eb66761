import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import type { GroupMember } from '@swarm/protocol'
import type { MemberResult, TaskEvent, TaskState, TaskStatus } from '../../src/core/index.js'
import {
  FINAL_STATUSES,
  InvalidTransitionError,
  TASK_STATUSES,
  createTask,
  expectedResults,
  hasAttemptsLeft,
  isFinal,
  reduceTask,
  retryDelayMs
} from '../../src/core/index.js'

const A = 'peer-a'
const B = 'peer-b'
const C = 'peer-c'
const MEMBERS: GroupMember[] = [{ peerId: A, skills: ['analytics'] }, { peerId: B, skills: ['viz', 'report'] }]

const good = (output: MemberResult['output'] = { done: true }): MemberResult => ({ ok: true, output, durationMs: 10 })
const bad: MemberResult = { ok: false, error: { code: 'HANDLER_CRASHED', message: 'boom' }, durationMs: 5 }

function run (state: TaskState, events: TaskEvent[]): TaskState {
  return events.reduce(reduceTask, state)
}

function fresh (options: { maxAttempts?: number, verify?: boolean } = {}): TaskState {
  return createTask({ taskId: 'task-1', maxAttempts: options.maxAttempts ?? 3, verify: options.verify ?? false, now: 0 })
}

const allGood = (at: number): TaskEvent[] => [
  { type: 'member-result', at, peerId: A, skill: 'analytics', result: good(1) },
  { type: 'member-result', at: at + 1, peerId: B, skill: 'viz', result: good(2) },
  { type: 'member-result', at: at + 2, peerId: B, skill: 'report', result: good(3) }
]

const toRunning: TaskEvent[] = [
  { type: 'announce', at: 1, attempt: 1 },
  { type: 'group-formed', at: 2, groupId: 'group-1', members: MEMBERS },
  { type: 'started', at: 3 }
]

/** A task (with verification on, so COMPLETE is not final) brought into `status`. */
function inStatus (status: TaskStatus): TaskState {
  const t = fresh({ verify: true })
  const announced = run(t, toRunning.slice(0, 1))
  const assigned = run(t, toRunning.slice(0, 2))
  const running = run(t, toRunning)
  switch (status) {
    case 'PENDING': return t
    case 'ANNOUNCED': return announced
    case 'QUEUED': return reduceTask(announced, { type: 'queue', at: 5, reason: 'all busy' })
    case 'ASSIGNED': return assigned
    case 'RUNNING': return running
    case 'COMPLETE': return run(running, allGood(10))
    case 'VERIFIED': return run(running, [...allGood(10), { type: 'verified', at: 20, approved: true, reason: 'looks right' }])
    case 'REJECTED': return reduceTask(announced, { type: 'bidding-closed-empty', at: 5, reason: 'nobody' })
    case 'FAILED': return reduceTask(running, { type: 'deadline', at: 5 })
    case 'RETRY': return reduceTask(running, { type: 'fail', at: 5, reason: 'x' })
    case 'CANCELLED': return reduceTask(running, { type: 'cancel', at: 5, reason: 'user' })
    case 'ESCALATED': return reduceTask(running, { type: 'escalate', at: 5, reason: 'human' })
  }
}

const SAMPLE_EVENTS: TaskEvent[] = [
  { type: 'announce', at: 100, attempt: 1 },
  { type: 'bidding-closed-empty', at: 100, reason: 'no offers' },
  { type: 'queue', at: 100, reason: 'every capable agent is busy' },
  { type: 'reask', at: 100 },
  { type: 'group-formed', at: 100, groupId: 'group-2', members: MEMBERS },
  { type: 'started', at: 100 },
  { type: 'member-result', at: 100, peerId: A, skill: 'analytics', result: good() },
  { type: 'member-replaced', at: 100, skill: 'analytics', from: A, to: C },
  { type: 'fail', at: 100, reason: 'lost' },
  { type: 'retry', at: 100 },
  { type: 'verified', at: 100, approved: true, reason: 'ok' },
  { type: 'cancel', at: 100, reason: 'user' },
  { type: 'deadline', at: 100 },
  { type: 'escalate', at: 100, reason: 'human' }
]

const ANY_OPEN = { PENDING: 'CANCELLED', ANNOUNCED: 'CANCELLED', QUEUED: 'CANCELLED', ASSIGNED: 'CANCELLED', RUNNING: 'CANCELLED', COMPLETE: 'CANCELLED', RETRY: 'CANCELLED' } as const

/** Event type → status before → status after; a missing status means the event is illegal there. */
const LEGAL: Record<TaskEvent['type'], Partial<Record<TaskStatus, TaskStatus>>> = {
  announce: { PENDING: 'ANNOUNCED' },
  'bidding-closed-empty': { ANNOUNCED: 'REJECTED' },
  queue: { ANNOUNCED: 'QUEUED' },
  reask: { QUEUED: 'ANNOUNCED' },
  'group-formed': { ANNOUNCED: 'ASSIGNED' },
  started: { ASSIGNED: 'RUNNING' },
  'member-result': { RUNNING: 'RUNNING' },
  'member-replaced': { ASSIGNED: 'ASSIGNED', RUNNING: 'RUNNING' },
  fail: { ANNOUNCED: 'RETRY', ASSIGNED: 'RETRY', RUNNING: 'RETRY' },
  retry: { RETRY: 'ANNOUNCED' },
  verified: { COMPLETE: 'VERIFIED' },
  cancel: ANY_OPEN,
  deadline: Object.fromEntries(Object.keys(ANY_OPEN).map(s => [s, 'FAILED'])),
  escalate: Object.fromEntries(Object.keys(ANY_OPEN).map(s => [s, 'ESCALATED']))
}

describe('statuses', () => {
  it('lists the final statuses', () => {
    assert.deepEqual([...FINAL_STATUSES], ['COMPLETE', 'VERIFIED', 'REJECTED', 'FAILED', 'CANCELLED', 'ESCALATED'])
  })

  it('treats COMPLETE as final only without verification', () => {
    assert.equal(isFinal('COMPLETE', false), true)
    assert.equal(isFinal('COMPLETE', true), false)
    for (const status of TASK_STATUSES) {
      if (status === 'COMPLETE') continue
      assert.equal(isFinal(status, true), isFinal(status, false))
      assert.equal(isFinal(status, false), FINAL_STATUSES.includes(status))
    }
  })
})

describe('createTask', () => {
  it('creates a PENDING task with no attempt yet', () => {
    const t = createTask({ taskId: 'task-9', maxAttempts: 2, verify: true, now: 1234 })
    assert.deepEqual(t, {
      taskId: 'task-9', status: 'PENDING', attempt: 0, maxAttempts: 2, verify: true, members: [], results: {}, history: [], createdAt: 1234, updatedAt: 1234
    })
  })

  it('refuses fewer than one attempt', () => {
    assert.throws(() => createTask({ taskId: 't', maxAttempts: 0, verify: false, now: 0 }), RangeError)
    assert.throws(() => createTask({ taskId: 't', maxAttempts: 1.5, verify: false, now: 0 }), RangeError)
  })
})

describe('reduceTask: every event in every status', () => {
  for (const event of SAMPLE_EVENTS) {
    for (const status of TASK_STATUSES) {
      const to = LEGAL[event.type][status]
      const title = `${event.type} in ${status} ${to === undefined ? 'throws' : `→ ${to}`}`
      it(title, () => {
        const before = inStatus(status)
        assert.equal(before.status, status)
        if (to === undefined) {
          assert.throws(() => reduceTask(before, event), (err: unknown) => {
            assert.ok(err instanceof InvalidTransitionError)
            assert.equal(err.name, 'InvalidTransitionError')
            assert.equal(err.code, 'INVALID_TRANSITION')
            assert.equal(err.status, status)
            assert.equal(err.event, event.type)
            assert.ok(err.message.includes(status) && err.message.includes(`"${event.type}"`), err.message)
            return true
          })
        } else {
          const after = reduceTask(before, event)
          assert.equal(after.status, to)
          assert.equal(after.history.length, before.history.length + 1)
          assert.deepEqual(after.history.at(-1), { ...after.history.at(-1), at: 100, from: status, to, event: event.type })
          assert.equal(after.updatedAt, 100)
        }
      })
    }
  }
})

describe('reduceTask: the happy path', () => {
  it('goes PENDING → ANNOUNCED → ASSIGNED → RUNNING → COMPLETE and records it all', () => {
    let t = run(fresh(), toRunning)
    assert.equal(t.status, 'RUNNING')
    assert.equal(t.attempt, 1)
    assert.equal(t.groupId, 'group-1')
    assert.deepEqual(t.members, MEMBERS)
    const [first, second, third] = allGood(10)
    t = reduceTask(t, first as TaskEvent)
    t = reduceTask(t, second as TaskEvent)
    assert.equal(t.status, 'RUNNING', 'waits for every assigned (skill, member)')
    t = reduceTask(t, third as TaskEvent)
    assert.equal(t.status, 'COMPLETE')
    assert.equal(isFinal(t.status, t.verify), true)
    assert.deepEqual(t.results, { analytics: { [A]: good(1) }, viz: { [B]: good(2) }, report: { [B]: good(3) } })
    assert.deepEqual(t.history.map(h => [h.event, h.from, h.to]), [
      ['announce', 'PENDING', 'ANNOUNCED'],
      ['group-formed', 'ANNOUNCED', 'ASSIGNED'],
      ['started', 'ASSIGNED', 'RUNNING'],
      ['member-result', 'RUNNING', 'RUNNING'],
      ['member-result', 'RUNNING', 'RUNNING'],
      ['member-result', 'RUNNING', 'COMPLETE']
    ])
    assert.equal(t.updatedAt, 12)
    assert.equal(t.createdAt, 0)
    assert.throws(() => reduceTask(t, { type: 'cancel', at: 13, reason: 'late' }), InvalidTransitionError)
    assert.throws(() => reduceTask(t, { type: 'verified', at: 13, approved: true, reason: 'x' }), /finished/)
  })

  it('does not modify the state it is given', () => {
    const t = run(fresh(), toRunning)
    const snapshot = structuredClone(t)
    run(t, allGood(10))
    reduceTask(t, { type: 'member-replaced', at: 9, skill: 'viz', from: B, to: C })
    assert.deepEqual(t, snapshot)
  })

  it('copies the members it is given', () => {
    const members: GroupMember[] = [{ peerId: A, skills: ['analytics'] }]
    const t = run(fresh(), [{ type: 'announce', at: 1, attempt: 1 }, { type: 'group-formed', at: 2, groupId: 'g', members }])
    members[0]?.skills.push('evil')
    assert.deepEqual(t.members, [{ peerId: A, skills: ['analytics'] }])
  })
})

describe('reduceTask: verification', () => {
  it('COMPLETE → VERIFIED when approved', () => {
    const t = run(fresh({ verify: true }), [...toRunning, ...allGood(10), { type: 'verified', at: 20, approved: true, reason: 'consistent' }])
    assert.equal(t.status, 'VERIFIED')
    assert.equal(t.reason, 'consistent')
    assert.equal(isFinal(t.status, t.verify), true)
  })

  it('COMPLETE → RETRY when rejected with attempts left, FAILED without', () => {
    const rejected: TaskEvent = { type: 'verified', at: 20, approved: false, reason: 'numbers disagree' }
    const retry = run(fresh({ verify: true }), [...toRunning, ...allGood(10), rejected])
    assert.equal(retry.status, 'RETRY')
    assert.equal(retry.reason, 'verification rejected the result: numbers disagree')
    const failed = run(fresh({ verify: true, maxAttempts: 1 }), [...toRunning, ...allGood(10), rejected])
    assert.equal(failed.status, 'FAILED')
  })
})

describe('reduceTask: rejection', () => {
  it('ANNOUNCED → REJECTED with the reason', () => {
    const t = run(fresh(), [{ type: 'announce', at: 1, attempt: 1 }, { type: 'bidding-closed-empty', at: 2, reason: 'no offer covers skill "viz"' }])
    assert.equal(t.status, 'REJECTED')
    assert.equal(t.reason, 'no offer covers skill "viz"')
    assert.deepEqual(t.history.at(-1), { at: 2, from: 'ANNOUNCED', to: 'REJECTED', event: 'bidding-closed-empty', reason: 'no offer covers skill "viz"' })
  })
})

describe('reduceTask: the queue', () => {
  const announced = run(fresh(), [{ type: 'announce', at: 1, attempt: 1 }])
  const queued = reduceTask(announced, { type: 'queue', at: 2, reason: 'every capable agent is busy' })

  it('ANNOUNCED → QUEUED with the reason, not final', () => {
    assert.equal(queued.status, 'QUEUED')
    assert.equal(queued.reason, 'every capable agent is busy')
    assert.equal(isFinal(queued.status, false), false)
    assert.deepEqual(queued.history.at(-1), { at: 2, from: 'ANNOUNCED', to: 'QUEUED', event: 'queue', reason: 'every capable agent is busy' })
  })

  it('QUEUED → ANNOUNCED again on a re-ask, same attempt, and the reason goes', () => {
    const again = reduceTask(queued, { type: 'reask', at: 3 })
    assert.equal(again.status, 'ANNOUNCED')
    assert.equal(again.attempt, 1)
    assert.equal(again.reason, undefined)
    // A re-asked task can form its group, or wait again.
    assert.equal(reduceTask(again, { type: 'group-formed', at: 4, groupId: 'g', members: MEMBERS }).status, 'ASSIGNED')
    assert.equal(reduceTask(again, { type: 'queue', at: 4, reason: 'still busy' }).status, 'QUEUED')
  })

  it('QUEUED → FAILED at the deadline, CANCELLED on a cancel', () => {
    const late = reduceTask(queued, { type: 'deadline', at: 9 })
    assert.equal(late.status, 'FAILED')
    assert.equal(late.reason, 'deadline passed')
    assert.equal(reduceTask(queued, { type: 'cancel', at: 9, reason: 'user' }).status, 'CANCELLED')
  })

  it('a queued task forms no group and is not rejected before it is asked again', () => {
    assert.throws(() => reduceTask(queued, { type: 'group-formed', at: 4, groupId: 'g', members: MEMBERS }), /in status QUEUED/)
    assert.throws(() => reduceTask(queued, { type: 'bidding-closed-empty', at: 4, reason: 'x' }), InvalidTransitionError)
    assert.throws(() => reduceTask(queued, { type: 'queue', at: 4, reason: 'x' }), InvalidTransitionError)
  })
})

describe('reduceTask: member results', () => {
  const running = run(fresh(), toRunning)

  it('throws for a result from a non-member', () => {
    assert.throws(() => reduceTask(running, { type: 'member-result', at: 5, peerId: C, skill: 'analytics', result: good() }), /peer-c is not assigned skill "analytics"/)
  })

  it('throws for a result for a skill the member was not assigned', () => {
    assert.throws(() => reduceTask(running, { type: 'member-result', at: 5, peerId: A, skill: 'viz', result: good() }), InvalidTransitionError)
  })

  it('throws for a second result for the same skill', () => {
    const once = reduceTask(running, { type: 'member-result', at: 5, peerId: A, skill: 'analytics', result: good() })
    assert.throws(() => reduceTask(once, { type: 'member-result', at: 6, peerId: A, skill: 'analytics', result: bad }), /already reported/)
  })

  it('throws for a result before the task is running', () => {
    const assigned = run(fresh(), toRunning.slice(0, 2))
    assert.throws(() => reduceTask(assigned, { type: 'member-result', at: 5, peerId: A, skill: 'analytics', result: good() }), /in status ASSIGNED/)
  })

  it('notes a failed part in the history but waits for the others', () => {
    const t = reduceTask(running, { type: 'member-result', at: 5, peerId: A, skill: 'analytics', result: bad })
    assert.equal(t.status, 'RUNNING')
    assert.equal(t.reason, undefined)
    assert.equal(t.history.at(-1)?.reason, 'peer-a failed "analytics" (HANDLER_CRASHED: boom)')
  })

  it('→ RETRY once all reported and one failed, with attempts left', () => {
    const t = run(running, [
      { type: 'member-result', at: 5, peerId: A, skill: 'analytics', result: bad },
      { type: 'member-result', at: 6, peerId: B, skill: 'viz', result: good() },
      { type: 'member-result', at: 7, peerId: B, skill: 'report', result: good() }
    ])
    assert.equal(t.status, 'RETRY')
    assert.equal(t.reason, 'peer-a failed "analytics" (HANDLER_CRASHED: boom)')
  })

  it('→ FAILED once all reported and one failed, on the last attempt', () => {
    const t = run(fresh({ maxAttempts: 1 }), [
      ...toRunning,
      { type: 'member-result', at: 5, peerId: A, skill: 'analytics', result: good() },
      { type: 'member-result', at: 6, peerId: B, skill: 'viz', result: { ok: false, durationMs: 1 } },
      { type: 'member-result', at: 7, peerId: B, skill: 'report', result: good() }
    ])
    assert.equal(t.status, 'FAILED')
    assert.equal(t.reason, 'peer-b failed "viz" (failed)')
  })
})

describe('reduceTask: member replacement', () => {
  const assigned = run(fresh(), toRunning.slice(0, 2))

  it('moves one skill of a multi-skill member to a new member', () => {
    const t = reduceTask(assigned, { type: 'member-replaced', at: 5, skill: 'viz', from: B, to: C })
    assert.equal(t.status, 'ASSIGNED')
    assert.deepEqual(t.members, [{ peerId: A, skills: ['analytics'] }, { peerId: B, skills: ['report'] }, { peerId: C, skills: ['viz'] }])
    assert.deepEqual(t.history.at(-1), { at: 5, from: 'ASSIGNED', to: 'ASSIGNED', event: 'member-replaced', reason: '"viz": peer-b replaced by peer-c' })
  })

  it('removes a member left without skills and can hand the skill to an existing member', () => {
    const t = reduceTask(assigned, { type: 'member-replaced', at: 5, skill: 'analytics', from: A, to: B })
    assert.deepEqual(t.members, [{ peerId: B, skills: ['viz', 'report', 'analytics'] }])
    assert.deepEqual(expectedResults(t.members).map(p => `${p.skill}/${p.peerId}`), ['viz/peer-b', 'report/peer-b', 'analytics/peer-b'])
  })

  it('while running, the new member must report and the old one may not', () => {
    let t = run(assigned, [{ type: 'started', at: 3 }, { type: 'member-replaced', at: 4, skill: 'analytics', from: A, to: C }])
    assert.throws(() => reduceTask(t, { type: 'member-result', at: 5, peerId: A, skill: 'analytics', result: good() }), InvalidTransitionError)
    t = run(t, [
      { type: 'member-result', at: 5, peerId: B, skill: 'viz', result: good() },
      { type: 'member-result', at: 6, peerId: B, skill: 'report', result: good() }
    ])
    assert.equal(t.status, 'RUNNING')
    t = reduceTask(t, { type: 'member-result', at: 7, peerId: C, skill: 'analytics', result: good() })
    assert.equal(t.status, 'COMPLETE')
  })

  it('throws for an unassigned from, a to already on the skill, or a part already reported', () => {
    assert.throws(() => reduceTask(assigned, { type: 'member-replaced', at: 5, skill: 'viz', from: A, to: C }), /peer-a is not assigned skill "viz"/)
    assert.throws(() => reduceTask(assigned, { type: 'member-replaced', at: 5, skill: 'viz', from: B, to: B }), /already assigned/)
    const reported = run(assigned, [{ type: 'started', at: 3 }, { type: 'member-result', at: 4, peerId: A, skill: 'analytics', result: good() }])
    assert.throws(() => reduceTask(reported, { type: 'member-replaced', at: 5, skill: 'analytics', from: A, to: C }), /already reported/)
  })
})

describe('reduceTask: failure and retries', () => {
  it('retries until the attempts run out, then FAILED', () => {
    let t = run(fresh({ maxAttempts: 3 }), [{ type: 'announce', at: 1, attempt: 1 }])
    const seen: Array<[TaskStatus, number]> = []
    for (let i = 0; i < 3; i++) {
      t = run(t, [
        { type: 'group-formed', at: 10 * i + 2, groupId: `group-${i}`, members: MEMBERS },
        { type: 'started', at: 10 * i + 3 },
        { type: 'fail', at: 10 * i + 4, reason: `attempt ${i + 1} lost` }
      ])
      seen.push([t.status, t.attempt])
      if (t.status === 'RETRY') {
        assert.equal(hasAttemptsLeft(t), true)
        t = reduceTask(t, { type: 'retry', at: 10 * i + 5 })
        assert.equal(t.status, 'ANNOUNCED')
        assert.equal(t.groupId, undefined)
        assert.deepEqual(t.members, [])
        assert.deepEqual(t.results, {})
        assert.equal(t.reason, undefined)
      }
    }
    assert.deepEqual(seen, [['RETRY', 1], ['RETRY', 2], ['FAILED', 3]])
    assert.equal(t.reason, 'attempt 3 lost')
    assert.equal(hasAttemptsLeft(t), false)
    assert.throws(() => reduceTask(t, { type: 'retry', at: 99 }), InvalidTransitionError)
  })

  it('fails at once with a single attempt', () => {
    const t = run(fresh({ maxAttempts: 1 }), [{ type: 'announce', at: 1, attempt: 1 }, { type: 'fail', at: 2, reason: 'invites all declined' }])
    assert.equal(t.status, 'FAILED')
  })

  it('a deadline fails the task even with attempts left', () => {
    for (const status of ['ANNOUNCED', 'RUNNING', 'RETRY'] as const) {
      const t = reduceTask(inStatus(status), { type: 'deadline', at: 50 })
      assert.equal(t.status, 'FAILED')
      assert.equal(t.reason, 'deadline passed')
    }
  })

  it('keeps the results of the failed attempt until the retry', () => {
    const t = run(fresh(), [...toRunning, ...allGood(10).slice(0, 1), { type: 'fail', at: 20, reason: 'member lost' }])
    assert.equal(t.status, 'RETRY')
    assert.deepEqual(Object.keys(t.results), ['analytics'])
  })
})

describe('reduceTask: cancel and escalate', () => {
  it('cancel records the reason', () => {
    const t = reduceTask(inStatus('ASSIGNED'), { type: 'cancel', at: 9, reason: 'cancelled by the user' })
    assert.equal(t.status, 'CANCELLED')
    assert.equal(t.reason, 'cancelled by the user')
  })

  it('escalate records the reason', () => {
    const t = reduceTask(inStatus('RETRY'), { type: 'escalate', at: 9, reason: 'needs a human' })
    assert.equal(t.status, 'ESCALATED')
    assert.equal(t.reason, 'needs a human')
  })
})

describe('reduceTask: other illegal events', () => {
  it('refuses an announce attempt out of range', () => {
    assert.throws(() => reduceTask(fresh({ maxAttempts: 2 }), { type: 'announce', at: 1, attempt: 3 }), /attempt must be 1 to 2/)
    assert.throws(() => reduceTask(fresh(), { type: 'announce', at: 1, attempt: 0 }), InvalidTransitionError)
  })

  it('refuses an empty group or a member without skills', () => {
    const announced = inStatus('ANNOUNCED')
    assert.throws(() => reduceTask(announced, { type: 'group-formed', at: 5, groupId: 'g', members: [] }), /members/)
    assert.throws(() => reduceTask(announced, { type: 'group-formed', at: 5, groupId: 'g', members: [{ peerId: A, skills: [] }] }), InvalidTransitionError)
  })

  it('refuses verified when verification was not asked for', () => {
    const t = run(fresh({ verify: false }), [...toRunning, ...allGood(10)])
    assert.throws(() => reduceTask(t, { type: 'verified', at: 20, approved: true, reason: 'x' }), /cannot apply "verified" in status COMPLETE/)
  })

  it('names the task, status and event in the message', () => {
    assert.throws(() => reduceTask(fresh(), { type: 'group-formed', at: 1, groupId: 'g', members: MEMBERS }), {
      name: 'InvalidTransitionError',
      message: 'task task-1: cannot apply "group-formed" in status PENDING'
    })
  })
})

describe('retryDelayMs', () => {
  it('starts at the base delay and doubles', () => {
    assert.deepEqual([1, 2, 3, 4, 5].map(n => retryDelayMs(n, {}, 0.5)), [500, 1000, 2000, 4000, 8000])
  })

  it('caps at maxMs, also with jitter', () => {
    assert.equal(retryDelayMs(7, {}, 0.5), 30_000)
    assert.equal(retryDelayMs(50, {}, 1), 30_000)
    assert.equal(retryDelayMs(1000, {}, 0.5), 30_000)
    assert.equal(retryDelayMs(3, { maxMs: 1500 }, 0.5), 1500)
  })

  it('spreads by ±jitter', () => {
    assert.equal(retryDelayMs(2, {}, 0), 800)
    assert.equal(retryDelayMs(2, {}, 1), 1200)
    for (let r = 0; r <= 1; r += 0.05) {
      const d = retryDelayMs(3, {}, r)
      assert.ok(d >= 1600 && d <= 2400, `${d}`)
    }
    assert.equal(retryDelayMs(3, { jitter: 0 }, 0), 2000)
  })

  it('grows with the attempt for the same random value', () => {
    let last = 0
    for (let n = 1; n <= 6; n++) {
      const d = retryDelayMs(n, {}, 0.3)
      assert.ok(d > last)
      last = d
    }
  })

  it('honours base and factor and clamps odd inputs', () => {
    assert.equal(retryDelayMs(3, { baseMs: 100, factor: 3, jitter: 0 }, 0.9), 900)
    assert.equal(retryDelayMs(0, {}, 0.5), 500)
    assert.equal(retryDelayMs(1, {}, 5), 600)
    assert.equal(retryDelayMs(1, {}, Number.NaN), 500)
  })

  it('refuses bad options', () => {
    assert.throws(() => retryDelayMs(1, { factor: 0.5 }, 0.5), RangeError)
    assert.throws(() => retryDelayMs(1, { jitter: 2 }, 0.5), RangeError)
    assert.throws(() => retryDelayMs(1, { baseMs: -1 }, 0.5), RangeError)
  })
})
