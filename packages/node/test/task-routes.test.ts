import { afterAll, beforeAll, describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { finalEventOf, storedOutcome, taskSummary } from '../src/api/task-views.js'
import { TaskHandle } from '../src/negotiation/task-handle.js'
import { FakeNodeApi, PEER, call, serve, sse, stored } from './api/fake-node-api.js'
import type { TaskLifecycleEvent, TaskOutcome } from '../src/negotiation/task-handle.js'
import type { AuditEntry, StoredTask } from '../src/store/types.js'
import type { TaskSummary } from '../src/types.js'
import type { Json } from '@swarm/protocol'

const OUTCOME: TaskOutcome = {
  taskId: 'done-task-1',
  status: 'COMPLETE',
  ok: true,
  output: { analytics: { mean: 2 } },
  attempts: 1,
  groupId: 'group-1',
  members: [{ peerId: PEER, skills: ['analytics'] }],
  timings: { createdAt: 1_000, formedAt: 1_500, finishedAt: 2_500, totalMs: 1_500 }
}

interface TaskDetail {
  task: StoredTask & { summary: TaskSummary, outcome?: TaskOutcome, active: boolean }
  audit: AuditEntry[]
}

const node = new FakeNodeApi()
node.tasksById.set('done-task-1', stored('done-task-1', 'COMPLETE', { result: OUTCOME as unknown as Json, groupId: 'group-1' }, { members: OUTCOME.members ?? [] }))
node.tasksById.set('restarted-1', stored('restarted-1', 'CANCELLED', {}, { reason: 'the announcer restarted before the task finished' }))
let url: string
let stop: () => Promise<void>

beforeAll(async () => {
  ({ url, stop } = await serve(node))
})

afterAll(async () => { await stop() })

describe('task routes of the control API', () => {
  it('POST /v1/tasks validates the spec, announces and answers 201 with the id', async () => {
    const created = await call<{ taskId: string, status: string }>(url, 'POST', '/v1/tasks', { description: 'Analyze', skills: [{ name: 'analytics', minLevel: 'advanced' }] })
    assert.equal(created.status, 201)
    assert.deepEqual(created.json, { taskId: 'live-task-1', status: 'ANNOUNCED' })
    const bad = await call(url, 'POST', '/v1/tasks', { description: 'x', skills: [], colour: 'red' })
    assert.equal(bad.status, 400)
    assert.equal(bad.json.error.code, 'API_BAD_REQUEST')
    assert.match(bad.json.error.message, /skills/)
    const nobody = await call(url, 'POST', '/v1/tasks', { description: 'x', skills: [{ name: 'fresco' }] })
    assert.equal(nobody.status, 422)
    assert.equal(nobody.json.error.code, 'NO_CAPABLE_PEERS')
    assert.match(nobody.json.error.message, /skill "fresco"/)
  })

  it('GET /v1/tasks lists summaries, filtered by status', async () => {
    const all = await call<{ tasks: TaskSummary[] }>(url, 'GET', '/v1/tasks')
    assert.equal(all.status, 200)
    const done = all.json.tasks.find(t => t.taskId === 'done-task-1')
    assert.ok(done)
    assert.equal(done.status, 'COMPLETE')
    assert.equal(done.description, 'task done-task-1')
    assert.deepEqual(done.skills, [{ name: 'analytics', minLevel: 'advanced', count: 1 }])
    assert.equal(done.durationMs, 1_500)
    assert.equal(done.finishedAt, 2_500)
    const some = await call<{ tasks: TaskSummary[] }>(url, 'GET', '/v1/tasks?status=complete,CANCELLED&limit=10')
    assert.deepEqual(some.json.tasks.map(t => t.taskId).sort(), ['done-task-1', 'restarted-1'])
    assert.deepEqual(node.taskQueries.at(-1), { role: 'announcer', limit: 10, offset: 0, status: ['COMPLETE', 'CANCELLED'] })
    assert.equal((await call(url, 'GET', '/v1/tasks?status=DONE')).status, 400)
    assert.equal((await call(url, 'GET', '/v1/tasks?limit=0')).status, 400)
  })

  it('GET /v1/tasks/:id answers the task with its outcome and audit trail, 404 otherwise', async () => {
    const one = await call<TaskDetail>(url, 'GET', '/v1/tasks/done-task-1')
    assert.equal(one.status, 200)
    assert.equal(one.json.task.status, 'COMPLETE')
    assert.deepEqual(one.json.task.outcome?.output, { analytics: { mean: 2 } })
    assert.equal(one.json.task.active, false)
    assert.deepEqual(one.json.audit.map(a => a.action), ['task-created'])
    const missing = await call(url, 'GET', '/v1/tasks/nope-nope')
    assert.equal(missing.status, 404)
    assert.equal(missing.json.error.code, 'TASK_NOT_FOUND')
  })

  it('GET /v1/tasks?role=member lists the tasks worked on as a member with their parts; /v1/tasks/:id finds them', async () => {
    const spec = {
      description: 'summarise the logs',
      priority: 'high',
      deadline: 60_000,
      announcer: 'announcer-peer',
      attempt: 1,
      skills: ['analytics'],
      groupId: 'group-m',
      acceptedAt: 1_200,
      parts: [{ skill: 'analytics', ok: false, durationMs: 700, finishedAt: 2_900, error: { code: 'HANDLER_CRASHED', message: 'out of memory' } }]
    }
    node.memberTasks.set('member-task-1', stored('member-task-1', 'FAILED', { role: 'member', spec, announcer: 'announcer-peer', skills: ['analytics'], groupId: 'group-m' }, { reason: 'analytics: HANDLER_CRASHED out of memory' }))
    const list = await call<{ tasks: TaskSummary[] }>(url, 'GET', '/v1/tasks?role=member')
    assert.equal(list.status, 200)
    assert.deepEqual(node.taskQueries.at(-1), { role: 'member', limit: 100, offset: 0 })
    assert.deepEqual(list.json.tasks.map(t => t.taskId), ['member-task-1'])
    const summary = list.json.tasks[0]
    assert.equal(summary?.role, 'member')
    assert.equal(summary?.announcer, 'announcer-peer')
    assert.equal(summary?.description, 'summarise the logs')
    assert.equal(summary?.priority, 'high')
    assert.deepEqual(summary?.skills, [{ name: 'analytics', minLevel: 'novice', count: 1 }])
    assert.deepEqual(summary?.parts, [{ skill: 'analytics', ok: false, durationMs: 700, error: { code: 'HANDLER_CRASHED', message: 'out of memory' } }])
    const announced = await call<{ tasks: TaskSummary[] }>(url, 'GET', '/v1/tasks')
    assert.ok(!announced.json.tasks.some(t => t.taskId === 'member-task-1'), 'member rows stay out of the default list')
    assert.equal((await call(url, 'GET', '/v1/tasks?role=worker')).status, 400)

    const one = await call<TaskDetail>(url, 'GET', '/v1/tasks/member-task-1')
    assert.equal(one.status, 200)
    assert.equal(one.json.task.role, 'member')
    assert.equal(one.json.task.summary.reason, 'analytics: HANDLER_CRASHED out of memory')
    assert.equal((await call(url, 'GET', '/v1/tasks/member-task-1?role=announcer')).status, 404)
    assert.equal((await call(url, 'GET', '/v1/tasks/done-task-1?role=member')).status, 404)
  })

  it('GET /v1/tasks/:id/events replays a live task\'s events, follows it and ends after the final event', async () => {
    const handle = node.handles.get('live-task-1')
    assert.ok(handle)
    const events: TaskLifecycleEvent[] = [
      { type: 'announced', taskId: handle.id, at: 1, attempt: 1, topics: ['/swarm/swarm/skill/analytics/1'] },
      { type: 'offer', taskId: handle.id, at: 2, peerId: PEER, skills: ['analytics'], score: 0.9 }
    ]
    for (const e of events) handle.push(e)
    const reading = sse<TaskLifecycleEvent>(url, '/v1/tasks/live-task-1/events')
    // Live events after the replay.
    setImmediate(() => {
      handle.push({ type: 'progress', taskId: handle.id, at: 3, peerId: PEER, skill: 'analytics', progress: 0.5 })
      handle.push({ type: 'completed', taskId: handle.id, at: 4, outcome: { ...OUTCOME, taskId: handle.id } })
      handle.push({ type: 'progress', taskId: handle.id, at: 5, peerId: PEER, skill: 'analytics', progress: 1 })
    })
    const got = await reading
    assert.deepEqual(got.map(e => e.event), ['announced', 'offer', 'progress', 'completed'])
    const last = got[3]?.data
    assert.deepEqual(last?.type === 'completed' ? last.outcome.output : undefined, { analytics: { mean: 2 } })
  })

  it('GET /v1/tasks/:id/events of a task of an earlier run sends its final event and ends', async () => {
    const done = await sse<{ outcome: TaskOutcome }>(url, '/v1/tasks/done-task-1/events')
    assert.deepEqual(done.map(e => e.event), ['completed'])
    assert.deepEqual(done[0]?.data.outcome, OUTCOME)
    const restarted = await sse<{ outcome: TaskOutcome }>(url, '/v1/tasks/restarted-1/events')
    assert.deepEqual(restarted.map(e => e.event), ['cancelled'])
    assert.equal(restarted[0]?.data.outcome.reason, 'the announcer restarted before the task finished')
    assert.equal((await call(url, 'GET', '/v1/tasks/nope-nope/events')).status, 404)
  })

  it('POST /v1/tasks/:id/cancel cancels a live task; 409 for a finished one, 404 for an unknown one', async () => {
    const handle = new TaskHandle('live-task-2', async () => {})
    node.handles.set(handle.id, handle)
    node.tasksById.set(handle.id, stored(handle.id, 'RUNNING'))
    const cancelled = await call<{ status: string, reason?: string }>(url, 'POST', '/v1/tasks/live-task-2/cancel', { reason: 'changed my mind' })
    assert.equal(cancelled.status, 200)
    assert.equal(cancelled.json.status, 'CANCELLED')
    assert.equal(cancelled.json.reason, 'changed my mind')
    const finished = await call(url, 'POST', '/v1/tasks/done-task-1/cancel')
    assert.equal(finished.status, 409)
    assert.match(finished.json.error.message, /already COMPLETE/)
    assert.equal((await call(url, 'POST', '/v1/tasks/nope-nope/cancel')).status, 404)
    assert.equal((await call(url, 'POST', '/v1/tasks/live-task-2/cancel', { reason: 5 })).status, 400)
  })
})

describe('stored task helpers', () => {
  it('rebuild an outcome when none was stored, and name the final event', () => {
    const t = stored('x-task-01', 'FAILED', {}, { reason: 'deadline passed' })
    const outcome = storedOutcome(t)
    assert.equal(outcome.ok, false)
    assert.equal(outcome.reason, 'deadline passed')
    assert.equal(outcome.timings.totalMs, 2_000)
    assert.equal(finalEventOf(t)?.type, 'failed')
    assert.equal(finalEventOf(stored('x-task-02', 'RUNNING')), undefined)
    assert.equal(taskSummary(stored('x-task-03', 'RUNNING'), 10_000).durationMs, 9_000)
  })
})
