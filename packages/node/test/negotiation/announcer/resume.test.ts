/**
 * Resuming after a restart: an announcer built over a store that holds the unfinished tasks of
 * an earlier run (one that was killed) takes them up again: a running task sends TASK_START
 * again to its members and completes with their results, a member that lost its part is
 * replaced (or the attempt fails and the next one runs only the missing parts), a task still
 * bidding is announced again, a task past its deadline fails, one that cannot be read is given up.
 */
import { afterEach, beforeEach, describe, it, vi } from 'vitest'
import assert from 'node:assert/strict'
import { createMessage } from '@swarm/protocol'
import { announcerHarness, strong, willing } from './harness.js'
import { fakePeerIds } from '../../fakes/fake-events.js'
import type { Harness } from './harness.js'
import type { AnnouncedTask, UnfinishedTask } from '../../../src/negotiation/announcer/types.js'
import type { TaskSpecInput } from '../../../src/negotiation/task-spec.js'
import type { PeerId } from '@libp2p/interface'
import type { Json } from '@swarm/protocol'

const BID_WINDOW_MS = 500

/** The row the store would hold for the last save of a task (as the task ledger writes it). */
function row (saved: AnnouncedTask[], taskId: string, checkpoint?: Json): UnfinishedTask {
  const last = saved.filter(t => t.state.taskId === taskId).at(-1)
  if (last === undefined) throw new Error(`task ${taskId} never saved`)
  const json = (value: unknown): Json => JSON.parse(JSON.stringify(value)) as Json
  return {
    taskId,
    role: 'announcer',
    spec: json(last.spec),
    state: last.state,
    status: last.state.status,
    createdAt: last.state.createdAt,
    updatedAt: last.state.updatedAt,
    ...(last.resume !== undefined ? { resume: json(last.resume) } : {}),
    ...(checkpoint !== undefined ? { checkpoint } : {})
  }
}

describe('Announcer resume after a restart', () => {
  let before: Harness
  let after: Harness | undefined
  let a: PeerId
  let b: PeerId

  beforeEach(async () => {
    vi.useFakeTimers()
    before = await announcerHarness()
    const [p, q] = await fakePeerIds(2)
    if (p === undefined || q === undefined) throw new Error('peers')
    a = p
    b = q
  })

  afterEach(async () => {
    await after?.close()
    after = undefined
    await before.close()
    vi.useRealTimers()
  })

  /** A running task with one member per skill (`a` does sum, `b` does mean), then the announcer "dies". */
  async function runningThenKilled (spec: Partial<TaskSpecInput> = {}): Promise<string> {
    willing(before, a, strong('sum'))
    willing(before, b, strong('mean'))
    const { id } = await before.announcer.announce({ description: 'stats', skills: [{ name: 'sum' }, { name: 'mean' }], bidWindowMs: BID_WINDOW_MS, deadlineMs: 60_000, ...spec })
    await before.offer(a, id, strong('sum'))
    await before.offer(b, id, strong('mean'))
    await vi.advanceTimersByTimeAsync(BID_WINDOW_MS + 1)
    assert.equal(before.announcer.state(id)?.status, 'RUNNING')
    return id
  }

  /** A new announcer over the store the first one left (its process was killed: no stop). */
  async function restarted (stored: UnfinishedTask[]): Promise<Harness> {
    const h = await announcerHarness()
    h.stored.push(...stored)
    h.announcer.start()
    h.announcer.afterStart()
    await vi.advanceTimersByTimeAsync(1)
    after = h
    return h
  }

  it('sends TASK_START again to the members of a running task and completes with their results', async () => {
    const id = await runningThenKilled()
    // `a` delivered before the crash; `b` was still at work.
    assert.equal((await before.result(a, id, 'sum', { ok: true, output: 6 })).type, 'ACK')
    const h = await restarted([row(before.saved, id, { mean: { seen: 2 } })])
    assert.equal(h.announcer.state(id)?.status, 'RUNNING')
    // Only the member that owes a part is started again, with the same group.
    assert.equal(h.messenger.sentOfType('TASK_START', a).length, 0)
    const starts = h.messenger.sentOfType('TASK_START', b)
    assert.equal(starts.length, 1)
    assert.equal(starts[0]?.message.body.groupId, before.groupOf(id))
    assert.deepEqual(h.groups.formedGroups, [{ taskId: id, groupId: before.groupOf(id) }])
    assert.equal((await h.result(b, id, 'mean', { ok: true, output: 2 })).type, 'ACK')
    const outcome = await h.announcer.get(id)?.result()
    assert.equal(outcome?.status, 'COMPLETE')
    assert.deepEqual(outcome?.output, { sum: 6, mean: 2 })
    assert.ok(h.actions().includes('task-resumed'))
    assert.ok(h.actions().includes('members-restarted'))
  })

  it('takes a result that arrives before the node is up (restored at start, resumed after)', async () => {
    const id = await runningThenKilled()
    const h = await announcerHarness()
    after = h
    h.stored.push(row(before.saved, id))
    h.announcer.start()
    assert.equal((await h.result(a, id, 'sum', { ok: true, output: 6 })).type, 'ACK')
    assert.deepEqual(Object.keys(h.announcer.state(id)?.results ?? {}), ['sum'])
  })

  it('replaces a member that lost its part; with no backup the attempt fails and the retry runs only the missing part', async () => {
    const id = await runningThenKilled({ maxAttempts: 2 })
    assert.equal((await before.result(a, id, 'sum', { ok: true, output: 6 })).type, 'ACK')
    const h = await announcerHarness()
    after = h
    h.stored.push(row(before.saved, id))
    // `b` restarted too and knows nothing of the task.
    h.messenger.on(b, 'TASK_START', message => createMessage('ERROR', { ref: message.id, code: 'NOT_ASSIGNED', message: 'this node did not accept an invite to that group' }))
    h.announcer.start()
    h.announcer.afterStart()
    // Asked three times, a second apart (a member may be unreachable for a moment).
    await vi.advanceTimersByTimeAsync(2_001)
    assert.equal(h.messenger.sentOfType('TASK_START', b).length, 3)
    assert.equal(h.announcer.state(id)?.status, 'RETRY')
    assert.deepEqual(h.reputation.outcomesOf(b), ['no-show'])
    // The backoff (500 ms ± 20 %) passed, the bid window of attempt 2 (500 ms) is open.
    await vi.advanceTimersByTimeAsync(700)
    const state = h.announcer.state(id)
    assert.equal(state?.status, 'ANNOUNCED')
    assert.equal(state?.attempt, 2)
    const announced = [...h.gossip.published.map(p => p.message), ...h.messenger.sent.map(s => s.message)].filter(m => m.type === 'TASK_ANNOUNCE')
    assert.ok(announced.length > 0)
    for (const m of announced) if (m.type === 'TASK_ANNOUNCE') assert.deepEqual(m.body.skills.map(s => s.name), ['mean'])
  })

  it('keeps the parts of earlier attempts across a restart during the backoff', async () => {
    const id = await runningThenKilled({ maxAttempts: 2 })
    assert.equal((await before.result(a, id, 'sum', { ok: true, output: 6 })).type, 'ACK')
    assert.equal((await before.result(b, id, 'mean', { ok: false })).type, 'ACK')
    assert.equal(before.announcer.state(id)?.status, 'RETRY')
    const h = await restarted([row(before.saved, id)])
    await vi.advanceTimersByTimeAsync(1)
    const state = h.announcer.state(id)
    assert.equal(state?.attempt, 2)
    const announced = [...h.gossip.published.map(p => p.message), ...h.messenger.sent.map(s => s.message)].filter(m => m.type === 'TASK_ANNOUNCE')
    assert.ok(announced.length > 0)
    for (const m of announced) if (m.type === 'TASK_ANNOUNCE') assert.deepEqual(m.body.skills.map(s => s.name), ['mean'])
  })

  it('announces again a task that was still bidding', async () => {
    const { id } = await before.announcer.announce({ description: 'stats', skills: [{ name: 'sum' }], bidWindowMs: BID_WINDOW_MS })
    const h = await announcerHarness()
    after = h
    h.stored.push(row(before.saved, id))
    willing(h, a, strong('sum'))
    h.capable.set('sum', [a.toString()])
    h.announcer.start()
    h.announcer.afterStart()
    await vi.advanceTimersByTimeAsync(1)
    assert.equal(h.announcer.state(id)?.status, 'ANNOUNCED')
    const asked = h.messenger.sentOfType('TASK_ANNOUNCE', a).length + h.gossip.published.filter(p => p.message.type === 'TASK_ANNOUNCE').length
    assert.ok(asked > 0)
  })

  it('announces a restored task with its dependents and workflow tag from the stored spec', async () => {
    const workflow = { workflowId: 'wf-000001', stepId: 'review', iteration: 2, buildsOn: ['code'] }
    const { id } = await before.announcer.announce({ description: 'stats', skills: [{ name: 'sum' }], bidWindowMs: BID_WINDOW_MS, dependents: 3, workflow })
    const first = before.gossip.publishedOfType('TASK_ANNOUNCE').find(p => p.message.body.taskId === id)?.message.body
    assert.deepEqual([first?.dependents, first?.workflow], [3, workflow])
    const h = await restarted([row(before.saved, id)])
    const again = h.gossip.publishedOfType('TASK_ANNOUNCE').filter(p => p.message.body.taskId === id).map(p => p.message.body)
    assert.ok(again.length > 0)
    for (const body of again) assert.deepEqual([body.dependents, body.workflow], [3, workflow])
  })

  it('fails a task whose deadline passed while the announcer was down', async () => {
    const id = await runningThenKilled({ deadlineMs: 5_000 })
    const stored = row(before.saved, id)
    await vi.advanceTimersByTimeAsync(6_000)
    const h = await restarted([stored])
    const state = h.announcer.state(id)
    assert.equal(state?.status, 'FAILED')
    assert.equal(state?.reason, 'deadline passed')
    assert.equal(h.messenger.sentOfType('TASK_START').length, 0)
  })

  it('gives up a stored task it cannot read, with the reason', async () => {
    const id = await runningThenKilled()
    const h = await restarted([{ ...row(before.saved, id), spec: { description: 42 } }])
    assert.equal(h.announcer.state(id), undefined)
    assert.equal(h.abandoned.length, 1)
    assert.match(h.abandoned[0]?.reason ?? '', /could not resume the task: its stored spec cannot be read/)
  })
})
