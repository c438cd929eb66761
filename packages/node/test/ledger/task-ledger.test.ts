import { afterEach, beforeEach, describe, it, vi } from 'vitest'
import assert from 'node:assert/strict'
import { createTask } from '../../src/core/task-machine.js'
import { TaskLedger } from '../../src/ledger/task-ledger.js'
import { SwarmStore } from '../../src/store/store.js'
import { systemClock } from '../../src/ports/clock.js'
import { TaskSpecSchema } from '../../src/negotiation/task-spec.js'
import { memoryLog } from '../fakes/memory-log.js'

const spec = TaskSpecSchema.parse({ description: 'Analyze', skills: [{ name: 'analytics' }] })

describe('TaskLedger', () => {
  let store: SwarmStore
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_700_000_000_000 })
    store = SwarmStore.open(':memory:')
  })
  afterEach(() => {
    vi.useRealTimers()
    store.close()
  })

  it('audits into the store and the log, with the attempt of the role', () => {
    const { logger, lines } = memoryLog()
    const ledger = new TaskLedger({ store, logger, clock: systemClock, attemptOf: role => role === 'announcer' ? 2 : undefined }, { self: 'me' })
    ledger.audit('announcer', 't1', 'offer', { from: 'p' })
    ledger.auditor('member')('t1', 'accepted', { attempt: 5 })
    const audit = store.listAudit({ taskId: 't1' })
    assert.deepEqual(audit.map(a => [a.action, a.actor, a.at]), [['offer', 'me', 1_700_000_000_000], ['accepted', 'me', 1_700_000_000_000]])
    const logged = lines.filter(l => l.component === 'audit')
    assert.deepEqual(logged.map(l => [l.msg, l.role, l.attempt]), [['offer', 'announcer', 2], ['accepted', 'member', 5]])
  })

  it('a write to a closed store is logged, never thrown', () => {
    const { logger, lines } = memoryLog()
    const ledger = new TaskLedger({ store, logger, clock: systemClock, attemptOf: () => undefined }, { self: 'me' })
    store.close()
    assert.doesNotThrow(() => { ledger.audit('announcer', 't1', 'late') })
    assert.doesNotThrow(() => { ledger.saveAnnounced({ spec, state: createTask({ taskId: 't1', now: 1, maxAttempts: 3, verify: false }) }) })
    assert.deepEqual(lines.filter(l => l.level === 'error').map(l => l.msg), ['audit entry not saved', 'task not saved'])
    store = SwarmStore.open(':memory:')
  })

  it('stores the checkpoint of an announced task, kept when the task is saved again', () => {
    const { logger } = memoryLog()
    const ledger = new TaskLedger({ store, logger, clock: systemClock, attemptOf: () => undefined }, { self: 'me' })
    const state = createTask({ taskId: 't1', now: 1, maxAttempts: 3, verify: false })
    ledger.saveAnnounced({ spec, state })
    ledger.saveCheckpoint('announcer', 't1', { sum: { done: 2 } })
    ledger.saveAnnounced({ spec, state })
    assert.deepEqual(store.getTask('t1', 'announcer')?.checkpoint, { sum: { done: 2 } })
  })

  it('gives back the tasks an earlier run left unfinished (oldest first, with their resume data), and only those', () => {
    const { logger } = memoryLog()
    const ledger = new TaskLedger({ store, logger, clock: systemClock, attemptOf: () => undefined }, { self: 'me' })
    const open = createTask({ taskId: 'open', now: 1, maxAttempts: 3, verify: false })
    const later = createTask({ taskId: 'later', now: 2, maxAttempts: 3, verify: true })
    const verifying = { ...later, status: 'COMPLETE' as const }
    const done = { ...createTask({ taskId: 'done', now: 1, maxAttempts: 3, verify: false }), status: 'COMPLETE' as const }
    ledger.saveAnnounced({ spec, state: open, resume: { kept: { members: [], results: {} }, excluded: ['p'] } })
    ledger.saveAnnounced({ spec, state: verifying })
    ledger.saveAnnounced({ spec, state: done })
    const unfinished = ledger.unfinished()
    assert.deepEqual(unfinished.map(t => t.taskId), ['open', 'later'])
    assert.deepEqual(unfinished[0]?.resume, { kept: { members: [], results: {} }, excluded: ['p'] })
  })

  it('closes the member rows an earlier run left running, and only those', () => {
    const { logger } = memoryLog()
    const ledger = new TaskLedger({ store, logger, clock: systemClock, attemptOf: () => undefined }, { self: 'me' })
    const row = (taskId: string, status: 'RUNNING' | 'COMPLETE'): void => {
      store.saveTask({ taskId, role: 'member', spec: { description: 'd', parts: [] }, state: { ...createTask({ taskId, now: 1, maxAttempts: 1, verify: false }), status }, status, createdAt: 1, updatedAt: 1 })
    }
    row('was-running', 'RUNNING')
    row('was-done', 'COMPLETE')
    ledger.closeInterruptedWork()
    const closed = store.getTask('was-running', 'member')
    assert.equal(closed?.status, 'CANCELLED')
    assert.match(closed?.state.reason ?? '', /killed or crashed/)
    assert.equal((closed?.spec as { outcome?: string }).outcome, 'cancelled')
    assert.equal(store.getTask('was-done', 'member')?.status, 'COMPLETE')
  })

  it('closes unfinished tasks that cannot be resumed, with the reason', () => {
    const { logger } = memoryLog()
    const ledger = new TaskLedger({ store, logger, clock: systemClock, attemptOf: () => undefined }, { self: 'me' })
    ledger.saveAnnounced({ spec, state: createTask({ taskId: 'open', now: 1, maxAttempts: 3, verify: false }) })
    ledger.closeInterrupted(ledger.unfinished(), 'its stored spec cannot be read')
    assert.equal(store.getTask('open', 'announcer')?.status, 'CANCELLED')
    assert.match(store.getTask('open', 'announcer')?.state.reason ?? '', /cannot be read/)
    assert.deepEqual(store.listAudit({ taskId: 'open' }).map(a => a.action), ['state:PENDING->CANCELLED'])
    assert.deepEqual(ledger.unfinished(), [])
  })
})

