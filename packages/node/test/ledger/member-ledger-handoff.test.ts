/**
 * The member history of a part handed off to a backup: the part keeps `handedOff`, and the row
 * ends CANCELLED with the reason (not FAILED), even when the node stops right after (a drain).
 */
import { afterEach, beforeEach, describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { MemberLedger } from '../../src/ledger/member-ledger.js'
import { SwarmStore } from '../../src/store/store.js'
import { silentLogger } from '../fakes/fake-bidder-ports.js'
import type { MemberRecord } from '../../src/ledger/member-ledger.js'

const SELF = 'self-peer'
const ANNOUNCER = 'announcer-peer'
const BACKUP = 'backup-peer'

describe('member ledger: handed-off parts', () => {
  let store: SwarmStore
  let ledger: MemberLedger

  beforeEach(() => {
    store = SwarmStore.open(':memory:')
    ledger = new MemberLedger({ store, logger: silentLogger() }, { self: SELF, maxOffers: 2 })
  })
  afterEach(() => { store.close() })

  const run = (taskId: string, skills: string[]): void => {
    ledger.accepted({ taskId, announcer: ANNOUNCER, attempt: 1, groupId: `group-${taskId}`, skills, at: 1_100 })
    ledger.started({ taskId, groupId: `group-${taskId}`, skills, members: [{ peerId: SELF, skills }], at: 1_500 })
  }

  it('ends the row CANCELLED naming the backup and the reason; the part says it was handed off', () => {
    run('task-moved', ['alpha'])
    ledger.partFinished({ taskId: 'task-moved', groupId: 'group-task-moved', skill: 'alpha', ok: false, durationMs: 30, error: { code: 'HANDLER_HANDED_OFF', message: 'handed off: needs a specialist' }, handedOff: { reason: 'needs a specialist', to: BACKUP }, at: 1_530 })
    ledger.finished({ taskId: 'task-moved', at: 1_530 })
    const row = store.getTask('task-moved', 'member')
    assert.equal(row?.status, 'CANCELLED')
    const spec = row?.spec as unknown as MemberRecord
    assert.equal(spec.outcome, 'cancelled')
    assert.equal(spec.reason, `alpha: handed off to ${BACKUP} (needs a specialist)`)
    assert.deepEqual(spec.parts[0]?.handedOff, { reason: 'needs a specialist', to: BACKUP })
  })

  it('keeps a real failure of another part first, and says handed off even when the node stopped meanwhile', () => {
    run('task-mixed', ['alpha', 'beta'])
    ledger.partFinished({ taskId: 'task-mixed', groupId: 'group-task-mixed', skill: 'alpha', ok: false, durationMs: 5, error: { code: 'HANDLER_CRASHED', message: 'boom' }, at: 1_510 })
    ledger.partFinished({ taskId: 'task-mixed', groupId: 'group-task-mixed', skill: 'beta', ok: false, durationMs: 9, error: { code: 'HANDLER_HANDED_OFF', message: 'handed off' }, handedOff: { reason: 'overloaded' }, at: 1_520 })
    ledger.finished({ taskId: 'task-mixed', at: 1_520 })
    assert.equal(store.getTask('task-mixed', 'member')?.status, 'FAILED')

    run('task-drained', ['alpha'])
    ledger.released({ taskId: 'task-drained', reason: 'this node stopped', at: 1_600 })
    ledger.partFinished({ taskId: 'task-drained', groupId: 'group-task-drained', skill: 'alpha', ok: false, durationMs: 90, error: { code: 'HANDLER_HANDED_OFF', message: 'handed off' }, handedOff: { reason: 'shutting down' }, at: 1_610 })
    ledger.finished({ taskId: 'task-drained', at: 1_610 })
    const spec = store.getTask('task-drained', 'member')?.spec as unknown as MemberRecord
    assert.equal(spec.outcome, 'cancelled')
    assert.equal(spec.reason, 'alpha: handed off (shutting down)')
  })
})
