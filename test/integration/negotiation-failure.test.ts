/**
 * Tasks that do not end well: failing handlers are retried and then FAILED with their errors
 * recorded, cancellation stops the members' handlers and frees their capacity, and a task past
 * its deadline is FAILED.
 */
import assert from 'node:assert/strict'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { auditActions, builtinSkill, byName, execSkill, handlerFixture, idle, moduleSkill, nextEvent, recordEvents, startNegotiationSwarm } from '../helpers/negotiation.js'
import type { TestSwarm } from '../helpers/nodes.js'
import type { HandlerFixture } from '../helpers/negotiation.js'
import type { TaskLifecycleEvent } from '@swarm/node'

async function collect (events: AsyncIterable<TaskLifecycleEvent>): Promise<TaskLifecycleEvent[]> {
  const out: TaskLifecycleEvent[] = []
  for await (const event of events) out.push(event)
  return out
}

describe('failing, cancelled and late tasks over TCP with 5 nodes', () => {
  let swarm: TestSwarm
  let fixture: HandlerFixture

  beforeAll(async () => {
    fixture = await handlerFixture()
    swarm = await startNegotiationSwarm([
      { name: 'boss' },
      { name: 'flaky-exec', skills: [execSkill('fragile', 'expert', 'fail')] },
      { name: 'flaky-builtin', skills: [builtinSkill('fragile', 'intermediate', 'fail')] },
      { name: 'waiter', capacity: 1, skills: [moduleSkill('wait', 'advanced', 'waitForAbort')] },
      { name: 'sleeper', capacity: 1, skills: [builtinSkill('slow', 'advanced', 'sleep', 20_000)] }
    ])
  })

  afterAll(async () => { await swarm.stop() })

  it('retries a failing task with backoff, then fails it with the errors recorded', async () => {
    const boss = byName(swarm, 'boss')
    const failed = recordEvents(boss, 'task:failed')
    const task = await boss.announce({
      description: 'this always fails',
      skills: [{ name: 'fragile' }],
      input: { values: [1, 2] },
      bidWindowMs: 800,
      maxAttempts: 3
    })
    const events = await collect(task.events())
    const outcome = await task.result()
    failed.stop()

    assert.equal(outcome.status, 'FAILED')
    assert.equal(outcome.ok, false)
    assert.equal(outcome.attempts, 3)
    assert.match(outcome.reason ?? '', /failed "fragile" \(HANDLER_(EXIT|CRASHED)/)
    assert.equal(outcome.errors?.length, 1)
    assert.match(outcome.errors?.[0]?.code ?? '', /^HANDLER_(EXIT|CRASHED)$/)

    const retries = events.flatMap(e => (e.type === 'retry' ? [e] : []))
    assert.deepEqual(retries.map(r => r.attempt), [2, 3])
    for (const r of retries) {
      assert.ok(r.delayMs > 0, 'retries wait')
      assert.match(r.reason, /failed "fragile"/)
    }
    assert.ok((retries[1]?.delayMs ?? 0) > (retries[0]?.delayMs ?? 0), 'the backoff grows')
    const announced = events.flatMap(e => (e.type === 'announced' ? [e] : []))
    assert.deepEqual(announced.map(e => e.attempt), [1, 2, 3])
    // Each attempt's bidding lasts its whole window unless it closed early: the window of an
    // earlier attempt (closed early) does not cut the next one short.
    const closes = events.flatMap(e => (e.type === 'bidding-closed' ? [e] : []))
    assert.equal(closes.length, 3)
    for (const [i, close] of closes.entries()) {
      if (close.early) continue
      assert.ok(close.at - (announced[i]?.at ?? 0) >= 790, `attempt ${i + 1} took offers for ${close.at - (announced[i]?.at ?? 0)} ms`)
      assert.ok(close.offers >= 1, `attempt ${i + 1} got offers`)
    }
    const states = events.flatMap(e => (e.type === 'state' ? [e.to] : []))
    assert.deepEqual(states, ['ANNOUNCED', 'ASSIGNED', 'RUNNING', 'RETRY', 'ANNOUNCED', 'ASSIGNED', 'RUNNING', 'RETRY', 'ANNOUNCED', 'ASSIGNED', 'RUNNING', 'FAILED'])
    assert.equal(events.at(-1)?.type, 'failed')
    assert.equal(failed.events.filter(e => e.taskId === task.id).length, 1)

    // Both agents failed on some attempt (a member that failed is not chosen again while another
    // can do the work), and each failure is in the audit trail with its error.
    const audit = boss.task(task.id)?.audit ?? []
    const failures = audit.filter(e => e.action === 'member-failed').map(e => e.detail as { peerId: string, error: { code: string, message: string } })
    assert.equal(failures.length, 3)
    const exec = failures.find(f => f.peerId === byName(swarm, 'flaky-exec').peerId.toString())
    const builtin = failures.find(f => f.peerId === byName(swarm, 'flaky-builtin').peerId.toString())
    assert.equal(exec?.error.code, 'HANDLER_EXIT')
    assert.match(exec?.error.message ?? '', /exited with code 3.*refusing on purpose/s)
    assert.equal(builtin?.error.code, 'HANDLER_CRASHED')
    assert.equal(audit.filter(e => e.action === 'retry-scheduled').length, 2)
    const stored = boss.task(task.id)?.task
    assert.equal(stored?.status, 'FAILED')
    assert.deepEqual((stored?.result as { errors?: unknown } | undefined)?.errors, outcome.errors)
  })

  it('cancels a running task: the handler is aborted and the capacity freed', async () => {
    const boss = byName(swarm, 'boss')
    const waiter = byName(swarm, 'waiter')
    const cancelled = recordEvents(boss, 'task:cancelled')
    for (let round = 1; round <= 2; round++) {
      // Capacity 1: the second round can only run once the first freed its slot.
      const started = nextEvent(waiter, 'work:started')
      const task = await boss.announce({ description: `wait forever ${round}`, skills: [{ name: 'wait' }], bidWindowMs: 500 })
      assert.equal((await started).taskId, task.id)
      const finished = nextEvent(waiter, 'work:finished', e => e.taskId === task.id)
      const state = await boss.cancel(task.id, `round ${round} is over`)
      assert.equal(state.status, 'CANCELLED')
      const outcome = await task.result()
      assert.equal(outcome.status, 'CANCELLED')
      assert.equal(outcome.reason, `round ${round} is over`)
      const end = await finished
      assert.equal(end.ok, false)
      assert.equal(end.error?.code, 'HANDLER_ABORTED')
      assert.equal(fixture.record.runs.get(task.id), 'aborted')
      assert.match(fixture.record.aborts.get(task.id) ?? '', /round \d is over|aborted/)
      await idle(waiter)
      assert.ok(auditActions(boss, task.id).includes('state:RUNNING->CANCELLED'))
      await assert.rejects(boss.cancel(task.id), /already CANCELLED/)
    }
    cancelled.stop()
    assert.equal(cancelled.events.length, 2)
  })

  it('fails a task whose handler runs past the deadline', async () => {
    const boss = byName(swarm, 'boss')
    const sleeper = byName(swarm, 'sleeper')
    const started = nextEvent(sleeper, 'work:started')
    const task = await boss.announce({ description: 'too slow', skills: [{ name: 'slow' }], deadlineMs: 1_500, bidWindowMs: 300, maxAttempts: 3 })
    assert.equal((await started).taskId, task.id)
    const finished = nextEvent(sleeper, 'work:finished', e => e.taskId === task.id)
    const outcome = await task.result()
    assert.equal(outcome.status, 'FAILED')
    assert.equal(outcome.reason, 'deadline passed')
    assert.equal(outcome.attempts, 1, 'a missed deadline is not retried')
    assert.ok((outcome.timings.finishedAt ?? 0) >= outcome.timings.createdAt + 1_500)
    // The member's handler is stopped (by its own deadline timer or by the announcer's cancel).
    const end = await finished
    assert.equal(end.ok, false)
    assert.match(end.error?.code ?? '', /^HANDLER_(TIMEOUT|ABORTED)$/)
    await idle(sleeper)
    const actions = auditActions(boss, task.id)
    assert.ok(actions.includes('state:RUNNING->FAILED'))
    assert.ok(actions.includes('group-dissolved'))
  })
})
