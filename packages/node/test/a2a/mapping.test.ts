import assert from 'node:assert/strict'
import { TaskState } from '@a2a-js/sdk'
import { describe, it } from 'vitest'
import { a2aState, lifecycleUpdates, outcomeText, resultArtifact, storedToA2aTask, swarmStatuses } from '../../src/a2a/mapping.js'
import { TASK_STATUSES } from '../../src/core/task-machine.js'
import type { TaskStatus } from '../../src/core/task-machine.js'
import type { TaskLifecycleEvent, TaskOutcome } from '../../src/negotiation/task-handle.js'
import type { StoredTask } from '../../src/store/types.js'

const IDS = { taskId: 'task-0001', contextId: 'ctx-1' }

function outcome (status: TaskStatus, extra: Partial<TaskOutcome> = {}): TaskOutcome {
  return { taskId: IDS.taskId, status, ok: status === 'COMPLETE' || status === 'VERIFIED', attempts: 1, timings: { createdAt: 0 }, ...extra }
}

function stored (status: TaskStatus, extra: Partial<StoredTask> = {}): StoredTask {
  return {
    taskId: IDS.taskId,
    role: 'announcer',
    spec: { description: 'echo it', skills: [{ name: 'echo', minLevel: 'novice', count: 1 }], input: { x: 1 } },
    state: { taskId: IDS.taskId, status, attempt: 1, maxAttempts: 3, verify: false, members: [], results: {}, history: [], createdAt: 1000, updatedAt: 2000 },
    status,
    createdAt: 1000,
    updatedAt: 2000,
    ...extra
  }
}

function texts (task: { status?: { message?: { parts: Array<{ content?: { $case: string, value: unknown } }> } | undefined } | undefined }): string {
  return (task.status?.message?.parts ?? []).map(p => String(p.content?.value)).join(' ')
}

describe('A2A mapping: swarm statuses ↔ A2A states', () => {
  it('maps every swarm status to an A2A state', () => {
    const expected: Record<TaskStatus, TaskState> = {
      PENDING: TaskState.TASK_STATE_SUBMITTED,
      ANNOUNCED: TaskState.TASK_STATE_SUBMITTED,
      QUEUED: TaskState.TASK_STATE_SUBMITTED,
      ASSIGNED: TaskState.TASK_STATE_WORKING,
      RUNNING: TaskState.TASK_STATE_WORKING,
      RETRY: TaskState.TASK_STATE_WORKING,
      COMPLETE: TaskState.TASK_STATE_COMPLETED,
      VERIFIED: TaskState.TASK_STATE_COMPLETED,
      REJECTED: TaskState.TASK_STATE_REJECTED,
      FAILED: TaskState.TASK_STATE_FAILED,
      ESCALATED: TaskState.TASK_STATE_FAILED,
      CANCELLED: TaskState.TASK_STATE_CANCELED
    }
    for (const status of TASK_STATUSES) assert.equal(a2aState(status, false), expected[status], status)
    assert.equal(a2aState('COMPLETE', true), TaskState.TASK_STATE_WORKING, 'a result awaiting verification is still being worked on')
  })

  it('maps each A2A state back to the swarm statuses it stands for (a ListTasks filter)', () => {
    assert.deepEqual(swarmStatuses(TaskState.TASK_STATE_SUBMITTED), ['PENDING', 'ANNOUNCED', 'QUEUED'])
    assert.deepEqual(swarmStatuses(TaskState.TASK_STATE_WORKING), ['ASSIGNED', 'RUNNING', 'RETRY'])
    assert.deepEqual(swarmStatuses(TaskState.TASK_STATE_COMPLETED), ['COMPLETE', 'VERIFIED'])
    assert.deepEqual(swarmStatuses(TaskState.TASK_STATE_FAILED), ['FAILED', 'ESCALATED'])
    assert.deepEqual(swarmStatuses(TaskState.TASK_STATE_REJECTED), ['REJECTED'])
    assert.deepEqual(swarmStatuses(TaskState.TASK_STATE_CANCELED), ['CANCELLED'])
    assert.deepEqual(swarmStatuses(TaskState.TASK_STATE_INPUT_REQUIRED), [])
    for (const status of TASK_STATUSES) assert.ok(swarmStatuses(a2aState(status, false)).includes(status), `round trip of ${status}`)
  })
})

describe('A2A mapping: swarm task → A2A Task', () => {
  it('a completed task carries its result as a data part, plus a text part for a string result', () => {
    const data = resultArtifact(IDS.taskId, { echo: { x: 1 } })
    assert.deepEqual(data.parts.map(p => p.content), [{ $case: 'data', value: { echo: { x: 1 } } }])
    const str = resultArtifact(IDS.taskId, { summarize: 'short' })
    assert.deepEqual(str.parts.map(p => p.content), [{ $case: 'data', value: { summarize: 'short' } }, { $case: 'text', value: 'short' }])
  })

  it('a stored completed task: status, artifact and the request as history', () => {
    const task = storedToA2aTask(stored('COMPLETE'), outcome('COMPLETE', { output: { echo: { x: 1 } } }))
    assert.equal(task.id, IDS.taskId)
    assert.equal(task.status?.state, TaskState.TASK_STATE_COMPLETED)
    assert.equal(task.status?.timestamp, new Date(2000).toISOString())
    assert.deepEqual(task.artifacts[0]?.parts[0]?.content, { $case: 'data', value: { echo: { x: 1 } } })
    assert.deepEqual(task.history[0]?.parts.map(p => p.content), [{ $case: 'text', value: 'echo it' }, { $case: 'data', value: { x: 1 } }])
  })

  it('a failed task names the swarm error codes and messages; a rejected one says why', () => {
    const failed = storedToA2aTask(stored('FAILED'), outcome('FAILED', { reason: 'every attempt failed', errors: [{ skill: 'echo', peerId: 'p1', code: 'HANDLER', message: 'exit code 2' }] }))
    assert.equal(failed.status?.state, TaskState.TASK_STATE_FAILED)
    assert.match(texts(failed), /every attempt failed; HANDLER: exit code 2 \(skill echo, peer p1\)/)
    assert.deepEqual(failed.artifacts, [])
    const rejected = storedToA2aTask(stored('REJECTED'), outcome('REJECTED', { reason: 'no agent has echo' }))
    assert.equal(rejected.status?.state, TaskState.TASK_STATE_REJECTED)
    assert.match(texts(rejected), /rejected by the swarm: no agent has echo/)
    assert.match(outcomeText(outcome('CANCELLED', { reason: 'cancelled by an A2A client' })), /^cancelled: cancelled by an A2A client/)
  })
})

describe('A2A mapping: lifecycle events → stream updates', () => {
  it('turns a task\'s events into working updates, then the artifact and the final completed status', () => {
    const events: TaskLifecycleEvent[] = [
      { type: 'announced', taskId: IDS.taskId, at: 1, attempt: 1, topics: [] },
      { type: 'state', taskId: IDS.taskId, at: 2, from: 'PENDING', to: 'ANNOUNCED' },
      { type: 'formed', taskId: IDS.taskId, at: 3, groupId: 'g', members: [], formationMs: 5 },
      { type: 'state', taskId: IDS.taskId, at: 4, from: 'ANNOUNCED', to: 'ASSIGNED' },
      { type: 'progress', taskId: IDS.taskId, at: 5, peerId: 'p', skill: 'echo', progress: 0.5, message: 'half way' },
      { type: 'state', taskId: IDS.taskId, at: 6, from: 'RUNNING', to: 'COMPLETE' },
      { type: 'completed', taskId: IDS.taskId, at: 7, outcome: outcome('COMPLETE', { output: { echo: 1 } }) }
    ]
    let state = TaskState.TASK_STATE_SUBMITTED
    const out: string[] = []
    for (const event of events) {
      const updates = lifecycleUpdates(event, IDS, state)
      state = updates.state
      for (const u of updates.events) {
        if (u.kind === 'statusUpdate') out.push(`${TaskState[u.data.status?.state ?? 0]}${u.data.status?.message !== undefined ? ` "${texts(u.data)}"` : ''}`)
        else out.push(u.kind)
      }
    }
    assert.deepEqual(out, [
      'TASK_STATE_WORKING "working group formed: 0 members in 5 ms"',
      'TASK_STATE_WORKING "echo: 50% half way"',
      'artifactUpdate',
      'TASK_STATE_COMPLETED "completed by the swarm (1 attempt)"'
    ])
    assert.equal(state, TaskState.TASK_STATE_COMPLETED)
  })

  it('ends with the failed, rejected or canceled state, without an artifact', () => {
    for (const [type, status, expected] of [['failed', 'FAILED', TaskState.TASK_STATE_FAILED], ['rejected', 'REJECTED', TaskState.TASK_STATE_REJECTED], ['cancelled', 'CANCELLED', TaskState.TASK_STATE_CANCELED]] as const) {
      const updates = lifecycleUpdates({ type, taskId: IDS.taskId, at: 9, outcome: outcome(status) }, IDS, TaskState.TASK_STATE_WORKING)
      assert.deepEqual(updates.events.map(e => e.kind), ['statusUpdate'], type)
      assert.equal(updates.state, expected, type)
    }
  })
})
