/**
 * A queue instead of rejection, over TCP: while the only capable agent is busy, tasks wait
 * (QUEUED, with why) and run after the first, the most urgent first, whatever the order they
 * were announced in; a task nobody can do at the level asked is still rejected.
 */
import assert from 'node:assert/strict'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { auditActions, builtinSkill, byName, nextEvent, recordEvents, startNegotiationSwarm } from '../helpers/negotiation.js'
import { until } from '../helpers/wait.js'
import type { TestSwarm } from '../helpers/nodes.js'
import type { SwarmNodeEvents, TaskSpecInput } from '@swarm/node'

/** How long the agent works on each task: the later tasks are announced, and queued, meanwhile. */
const WORK_MS = 2_500
const BID_WINDOW_MS = 500

describe('a queue when every capable agent is busy, over TCP', () => {
  let swarm: TestSwarm

  beforeAll(async () => {
    swarm = await startNegotiationSwarm([
      { name: 'boss' },
      { name: 'worker', capacity: 1, skills: [builtinSkill('slow', 'advanced', 'sleep', WORK_MS)] }
    ])
  })

  afterAll(async () => { await swarm.stop() })

  const task = (description: string, extra: Partial<TaskSpecInput> = {}): TaskSpecInput => ({
    description, skills: [{ name: 'slow' }], bidWindowMs: BID_WINDOW_MS, deadlineMs: 60_000, maxAttempts: 1, ...extra
  })

  it('runs the tasks that waited after the first one, in effective-priority order', async () => {
    const boss = byName(swarm, 'boss')
    const worker = byName(swarm, 'worker')
    const started = recordEvents(worker, 'work:started')
    const states = recordEvents(boss, 'task:state')
    try {
      const first = await boss.announce(task('first'))
      await nextEvent(worker, 'work:started', e => e.taskId === first.id)
      // The worker is busy: a low task, then a high one.
      const low = await boss.announce(task('low, announced first', { priority: 'low' }))
      const high = await boss.announce(task('high, announced last', { priority: 'high' }))
      const queuedEvent = (taskId: string): SwarmNodeEvents['task:state'] | undefined => states.events.find(e => e.taskId === taskId && e.to === 'QUEUED')
      await until(
        () => queuedEvent(low.id) !== undefined && queuedEvent(high.id) !== undefined,
        changed => {
          boss.on('task:state', changed)
          return () => { boss.off('task:state', changed) }
        },
        15_000,
        'both later tasks to be queued'
      )
      for (const t of [low, high]) assert.match(queuedEvent(t.id)?.reason ?? '', /waiting for a free agent: every capable agent is busy \(1 agent with "slow" known\)/)
      // `tasks` shows why a queued task waits (the reason is stored with its state).
      assert.equal(boss.task(low.id)?.task.status, 'QUEUED')
      assert.match(boss.task(low.id)?.task.state.reason ?? '', /every capable agent is busy/)

      const outcomes = await Promise.all([first.result(), low.result(), high.result()])
      for (const outcome of outcomes) assert.equal(outcome.status, 'COMPLETE', `${outcome.taskId}: ${outcome.reason ?? ''}`)
      // The worker ran them one at a time: first, then high, then low.
      assert.deepEqual(started.events.map(e => e.taskId), [first.id, high.id, low.id])
      const [, lowOutcome, highOutcome] = outcomes
      assert.ok((highOutcome?.timings.finishedAt ?? Infinity) < (lowOutcome?.timings.startedAt ?? 0), 'high finished before low started')
      for (const t of [low, high]) {
        const actions = auditActions(boss, t.id)
        assert.ok(actions.includes('queued') && actions.includes('dequeued'), `${t.id}: ${actions.join(', ')}`)
        const statuses = boss.task(t.id)?.task.state.history.map(h => h.to) ?? []
        assert.deepEqual(statuses.slice(0, 2), ['ANNOUNCED', 'QUEUED'])
        assert.equal(statuses.at(-1), 'COMPLETE')
        // Asked again, never announced as a new attempt.
        assert.equal(boss.task(t.id)?.task.state.attempt, 1)
      }
    } finally {
      started.stop()
      states.stop()
    }
  })

  it('rejects a task nobody can do at the level asked, without queueing it', async () => {
    const boss = byName(swarm, 'boss')
    // The worker has "slow" at advanced only: nobody can ever take an expert task.
    const handle = await boss.announce(task('an expert task', { skills: [{ name: 'slow', minLevel: 'expert' }] }))
    const outcome = await handle.result()
    assert.equal(outcome.status, 'REJECTED')
    assert.match(outcome.reason ?? '', /no capable agent offered within the bid window/)
    const statuses = boss.task(handle.id)?.task.state.history.map(h => h.to) ?? []
    assert.deepEqual(statuses, ['ANNOUNCED', 'REJECTED'])
  })
})
