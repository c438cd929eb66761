/**
 * A member keeps the parts it worked on: after a task ends on its announcer, the member node
 * lists it (`tasks({ role: 'member' })` and `GET /v1/tasks?role=member`) with its announcer,
 * its parts and their outcome, over real TCP.
 */
import assert from 'node:assert/strict'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { builtinSkill, byName, idle, startNegotiationSwarm } from '../helpers/negotiation.js'
import type { TestSwarm } from '../helpers/nodes.js'
import type { SwarmNode, TaskSummary } from '@swarm/node'

interface MemberSpec {
  announcer: string
  groupId: string
  acceptedAt: number
  startedAt?: number
  finishedAt?: number
  outcome?: string
  parts: Array<{ skill: string, ok: boolean, error?: { code: string } }>
}

/** A GET on a node's control API. */
async function apiGet<T> (node: SwarmNode, path: string): Promise<{ status: number, json: T }> {
  const res = await fetch(`${node.apiUrl ?? ''}${path}`, { headers: { authorization: `Bearer ${node.apiToken}` } })
  return { status: res.status, json: await res.json() as T }
}

describe('member-side history over TCP with 2 nodes', () => {
  let swarm: TestSwarm

  beforeAll(async () => {
    swarm = await startNegotiationSwarm([
      { name: 'boss' },
      { name: 'worker', api: { port: 0 }, skills: [builtinSkill('echo', 'expert', 'echo'), builtinSkill('broken', 'expert', 'fail')] }
    ])
  })

  afterAll(async () => { await swarm.stop() })

  it('lists a completed and a failed task on the member, with the announcer and each part\'s outcome', async () => {
    const boss = byName(swarm, 'boss')
    const worker = byName(swarm, 'worker')
    const done = await boss.announce({ description: 'echo me', skills: [{ name: 'echo' }], input: { n: 1 }, bidWindowMs: 500 })
    assert.equal((await done.result()).status, 'COMPLETE')
    const failed = await boss.announce({ description: 'break me', skills: [{ name: 'broken' }], bidWindowMs: 500, maxAttempts: 1 })
    assert.equal((await failed.result()).status, 'FAILED')
    await idle(worker)

    const rows = worker.tasks({ role: 'member' })
    assert.deepEqual(rows.map(t => t.taskId).sort(), [done.id, failed.id].sort())
    const ok = rows.find(t => t.taskId === done.id)
    assert.equal(ok?.status, 'COMPLETE')
    assert.equal(ok?.announcer, boss.peerId.toString())
    assert.deepEqual(ok?.skills, ['echo'])
    const spec = ok?.spec as unknown as MemberSpec
    assert.equal(spec.outcome, 'ok')
    assert.deepEqual(spec.parts.map(p => [p.skill, p.ok]), [['echo', true]])
    assert.ok(spec.startedAt !== undefined && spec.finishedAt !== undefined && spec.acceptedAt <= spec.startedAt && spec.startedAt <= spec.finishedAt)
    const bad = rows.find(t => t.taskId === failed.id)
    assert.equal(bad?.status, 'FAILED')
    assert.equal((bad?.spec as unknown as MemberSpec).parts[0]?.ok, false)
    assert.deepEqual(worker.tasks(), [], 'the worker announced nothing')
    assert.deepEqual(boss.tasks({ role: 'member' }), [], 'the announcer worked on nothing')

    const list = await apiGet<{ tasks: TaskSummary[] }>(worker, '/v1/tasks?role=member&status=COMPLETE')
    assert.equal(list.status, 200)
    assert.deepEqual(list.json.tasks.map(t => t.taskId), [done.id])
    assert.equal(list.json.tasks[0]?.role, 'member')
    assert.equal(list.json.tasks[0]?.announcer, boss.peerId.toString())
    assert.deepEqual(list.json.tasks[0]?.parts?.map(p => p.ok), [true])
    const one = await apiGet<{ task: { role: string, status: string, summary: TaskSummary }, audit: Array<{ action: string }> }>(worker, `/v1/tasks/${failed.id}`)
    assert.equal(one.status, 200)
    assert.equal(one.json.task.role, 'member')
    assert.equal(one.json.task.status, 'FAILED')
    assert.match(one.json.task.summary.reason ?? '', /^broken: /)
    assert.ok(one.json.audit.some(a => a.action === 'work-finished'))
  })
})
