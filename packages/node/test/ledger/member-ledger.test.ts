import { afterEach, beforeEach, describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { MemberLedger } from '../../src/ledger/member-ledger.js'
import { SwarmStore } from '../../src/store/store.js'
import { silentLogger } from '../fakes/fake-bidder-ports.js'
import type { MemberRecord } from '../../src/ledger/member-ledger.js'

const SELF = 'self-peer'
const ANNOUNCER = 'announcer-peer'

describe('member ledger: the member rows of the store', () => {
  let store: SwarmStore
  let ledger: MemberLedger

  beforeEach(() => {
    store = SwarmStore.open(':memory:')
    ledger = new MemberLedger({ store, logger: silentLogger() }, { self: SELF, maxOffers: 2 })
  })
  afterEach(() => { store.close() })

  /** Offers on and accepts `taskId` (times 1_000 and 1_100). */
  const accept = (taskId: string, skills = ['alpha']): void => {
    ledger.offered({ taskId, announcer: ANNOUNCER, attempt: 1, description: `do ${taskId}`, priority: 'high', deadline: 90_000, skills, at: 1_000 })
    ledger.accepted({ taskId, announcer: ANNOUNCER, attempt: 1, groupId: `group-${taskId}`, skills, at: 1_100 })
  }

  it('writes nothing for an offer alone; an accepted task is a member row from then on', () => {
    ledger.offered({ taskId: 'only-offered', announcer: ANNOUNCER, attempt: 1, description: 'x', priority: 'normal', deadline: 9_000, skills: ['alpha'], at: 1_000 })
    assert.deepEqual(store.listTasks({ role: 'member' }), [])
    accept('task-a')
    const row = store.getTask('task-a', 'member')
    assert.ok(row)
    assert.equal(row.status, 'ASSIGNED')
    assert.equal(row.announcer, ANNOUNCER)
    assert.equal(row.groupId, 'group-task-a')
    assert.deepEqual(row.skills, ['alpha'])
    assert.equal(row.createdAt, 1_000, 'the row starts at the offer')
    const spec = row.spec as unknown as MemberRecord
    assert.equal(spec.description, 'do task-a')
    assert.equal(spec.offeredAt, 1_000)
    assert.equal(spec.acceptedAt, 1_100)
    assert.equal(store.listTasks({ role: 'announcer' }).length, 0)
  })

  it('keeps the timings and the outcome of every part of a task that ran to its end', () => {
    accept('task-ok', ['alpha', 'beta'])
    ledger.started({ taskId: 'task-ok', groupId: 'group-task-ok', skills: ['alpha', 'beta'], members: [{ peerId: SELF, skills: ['alpha', 'beta'] }], at: 1_500 })
    assert.equal(store.getTask('task-ok', 'member')?.status, 'RUNNING')
    ledger.partFinished({ taskId: 'task-ok', groupId: 'group-task-ok', skill: 'alpha', ok: true, durationMs: 400, at: 1_900 })
    ledger.partFinished({ taskId: 'task-ok', groupId: 'group-task-ok', skill: 'beta', ok: true, durationMs: 600, at: 2_100 })
    ledger.finished({ taskId: 'task-ok', at: 2_100 })
    const row = store.getTask('task-ok')
    assert.ok(row)
    assert.equal(row.role, 'member')
    assert.equal(row.status, 'COMPLETE')
    assert.equal(row.updatedAt, 2_100)
    const spec = row.spec as unknown as MemberRecord
    assert.equal(spec.startedAt, 1_500)
    assert.equal(spec.finishedAt, 2_100)
    assert.equal(spec.durationMs, 600)
    assert.equal(spec.outcome, 'ok')
    assert.deepEqual(spec.parts.map(p => [p.skill, p.ok, p.durationMs]), [['alpha', true, 400], ['beta', true, 600]])
    assert.deepEqual(row.state.members, [{ peerId: SELF, skills: ['alpha', 'beta'] }])
    assert.equal(row.state.results.alpha?.[SELF]?.ok, true)
    assert.deepEqual(row.state.history.map(e => e.to), ['ASSIGNED', 'RUNNING', 'COMPLETE'])
    assert.deepEqual(store.listTasks({ role: 'member', status: ['COMPLETE'] }).map(t => t.taskId), ['task-ok'])
  })

  it('marks a task FAILED with the failed part\'s code and message', () => {
    accept('task-bad', ['alpha', 'beta'])
    ledger.started({ taskId: 'task-bad', groupId: 'group-task-bad', skills: ['alpha', 'beta'], members: [], at: 1_500 })
    ledger.partFinished({ taskId: 'task-bad', groupId: 'group-task-bad', skill: 'alpha', ok: true, durationMs: 10, at: 1_510 })
    ledger.partFinished({ taskId: 'task-bad', groupId: 'group-task-bad', skill: 'beta', ok: false, durationMs: 20, error: { code: 'HANDLER_CRASHED', message: 'boom' }, at: 1_520 })
    ledger.finished({ taskId: 'task-bad', at: 1_520 })
    const row = store.getTask('task-bad', 'member')
    assert.equal(row?.status, 'FAILED')
    assert.equal(row?.state.reason, 'beta: HANDLER_CRASHED boom')
    const spec = row?.spec as unknown as MemberRecord
    assert.equal(spec.outcome, 'error')
    assert.deepEqual(spec.parts[1]?.error, { code: 'HANDLER_CRASHED', message: 'boom' })
  })

  it('marks an assignment let go CANCELLED with the reason: at once before its start, at its end while it ran', () => {
    accept('task-early')
    ledger.released({ taskId: 'task-early', reason: 'group formed without us', at: 1_300 })
    const early = store.getTask('task-early', 'member')
    assert.equal(early?.status, 'CANCELLED')
    assert.equal(early?.state.reason, 'group formed without us')
    assert.equal((early?.spec as unknown as MemberRecord).durationMs, 200)

    accept('task-late')
    ledger.started({ taskId: 'task-late', groupId: 'group-task-late', skills: ['alpha'], members: [], at: 1_500 })
    ledger.released({ taskId: 'task-late', reason: 'the user changed their mind', at: 1_600 })
    assert.equal(store.getTask('task-late', 'member')?.status, 'RUNNING', 'the aborted part has not ended yet')
    ledger.partFinished({ taskId: 'task-late', groupId: 'group-task-late', skill: 'alpha', ok: false, durationMs: 100, error: { code: 'HANDLER_ABORTED', message: 'aborted' }, at: 1_610 })
    ledger.finished({ taskId: 'task-late', at: 1_610 })
    const late = store.getTask('task-late', 'member')
    assert.equal(late?.status, 'CANCELLED')
    assert.equal(late?.state.reason, 'the user changed their mind')
    assert.equal(ledger.active, 0)
  })

  it('forgets the oldest offers past its bound (an accept then has no offer time)', () => {
    for (const taskId of ['o-1', 'o-2', 'o-3']) {
      ledger.offered({ taskId, announcer: ANNOUNCER, attempt: 1, description: taskId, priority: 'normal', deadline: 9_000, skills: ['alpha'], at: 1_000 })
    }
    ledger.accepted({ taskId: 'o-1', announcer: ANNOUNCER, attempt: 1, groupId: 'g-1', skills: ['alpha'], at: 1_100 })
    ledger.accepted({ taskId: 'o-3', announcer: ANNOUNCER, attempt: 1, groupId: 'g-3', skills: ['alpha'], at: 1_100 })
    assert.equal((store.getTask('o-1', 'member')?.spec as unknown as MemberRecord).offeredAt, undefined)
    assert.equal((store.getTask('o-3', 'member')?.spec as unknown as MemberRecord).offeredAt, 1_000)
  })

  it('never throws into the work when the store is closed', () => {
    accept('task-closed')
    store.close()
    ledger.started({ taskId: 'task-closed', groupId: 'g', skills: ['alpha'], members: [], at: 1_500 })
    ledger.finished({ taskId: 'task-closed', at: 1_600 })
    store = SwarmStore.open(':memory:')
  })
})
