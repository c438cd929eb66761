/**
 * Work that external agents pull, over TCP with real nodes: node A announces, node B has the
 * skill with an `inbox` handler, and a worker is plain HTTP against B's control API.
 * - the worker claims the part, reports progress, posts a finding (seen on A's blackboard) and
 *   completes it: A's task completes with the worker's output;
 * - a worker that claims with a 1 s lease and never reports loses the part: it goes back to
 *   waiting, a second worker claims and completes it, and the first one's stale claim is refused;
 * - a part nobody claims within claimTimeoutMs is handed to the other capable node C (builtin
 *   echo), and the task completes from C.
 */
import assert from 'node:assert/strict'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { builtinSkill, byName, nextEvent, startNegotiationSwarm } from '../helpers/negotiation.js'
import type { TestSwarm } from '../helpers/nodes.js'
import type { SwarmNode } from '@swarm/node'

interface Claim { partId: string, taskId: string, claimId: string, description: string, input: unknown, leaseEndsAt: number, worker?: string, checkpoint?: unknown }

/** One JSON request to a node's control API: status and body. */
async function api<T = { error: { code: string, message: string } }> (node: SwarmNode, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number, json: T }> {
  const res = await fetch(`${node.apiUrl ?? ''}${path}`, {
    method,
    headers: { authorization: `Bearer ${node.apiToken}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {})
  })
  return { status: res.status, json: await res.json() as T }
}

async function claim (node: SwarmNode, body: Record<string, unknown>): Promise<Claim> {
  const answer = await api<{ part: Claim | null }>(node, 'POST', '/v1/inbox/claim', body)
  assert.equal(answer.status, 200)
  assert.ok(answer.json.part !== null, 'a part was claimed')
  return answer.json.part
}

const API = { api: { enabled: true, port: 0 } }

describe('inbox: external workers pull parts over the control API, over TCP', () => {
  let swarm: TestSwarm
  let a: SwarmNode
  let b: SwarmNode

  beforeAll(async () => {
    swarm = await startNegotiationSwarm([
      { name: 'a', ...API, negotiation: { earlyCloseMinScore: 1 } },
      {
        name: 'b',
        ...API,
        skills: [
          { name: 'review', level: 'expert', handler: { kind: 'inbox' } },
          { name: 'triage', level: 'expert', handler: { kind: 'inbox', claimTimeoutMs: 1_500 } }
        ]
      },
      { name: 'c', skills: [builtinSkill('triage', 'novice', 'echo')] }
    ])
    a = byName(swarm, 'a')
    b = byName(swarm, 'b')
  })

  afterAll(async () => { await swarm.stop() })

  it('a worker claims the part, reports progress, posts a finding A sees, and completes: A\'s task completes with its output', async () => {
    const queued = nextEvent(b, 'inbox:queued', e => e.skill === 'review')
    const task = await a.announce({ description: 'review the patch', skills: [{ name: 'review' }], input: { patch: 'diff --git' }, bidWindowMs: 300, deadlineMs: 60_000 })
    assert.equal((await queued).taskId, task.id)

    const part = await claim(b, { skills: ['review'], worker: 'http-worker', waitMs: 10_000 })
    assert.equal(part.taskId, task.id)
    assert.equal(part.description, 'review the patch')
    assert.deepEqual(part.input, { patch: 'diff --git' })
    const listed = await api<{ parts: Array<{ partId: string, state: string, worker?: string }> }>(b, 'GET', '/v1/inbox?state=claimed')
    assert.deepEqual(listed.json.parts.map(p => [p.partId, p.worker]), [[part.partId, 'http-worker']])

    const progressed = nextEvent(a, 'task:progress', e => e.taskId === task.id)
    assert.equal((await api(b, 'POST', `/v1/inbox/${part.partId}/progress`, { claimId: part.claimId, fraction: 0.5, message: 'half way' })).status, 200)
    await progressed

    const onA = nextEvent(a, 'blackboard:changed', e => e.taskId === task.id && e.findings >= 1)
    const posted = await api<{ taskId: string, findingId: string }>(b, 'POST', `/v1/tasks/${task.id}/findings`, { kind: 'observation', content: 'the patch lacks tests', confidence: 0.7, evidence: ['src/parser.ts'] })
    assert.equal(posted.status, 201)
    await onA
    const board = await api<{ blackboard: { findings: Array<{ id: string, content: string, author: string }> } }>(a, 'GET', `/v1/tasks/${task.id}/blackboard`)
    const finding = board.json.blackboard.findings.find(f => f.id === posted.json.findingId)
    assert.equal(finding?.content, 'the patch lacks tests')
    assert.equal(finding.author, b.peerId.toString())

    const done = await api(b, 'POST', `/v1/inbox/${part.partId}/complete`, { claimId: part.claimId, output: { approved: false, notes: 'add tests' } })
    assert.deepEqual(done.json, { partId: part.partId, taskId: task.id, state: 'completed' })
    const outcome = await task.result()
    assert.equal(outcome.status, 'COMPLETE', outcome.reason)
    assert.deepEqual(outcome.output, { review: { approved: false, notes: 'add tests' } })
    // The group is over: nobody can write its blackboard any more.
    const late = await api(b, 'POST', `/v1/tasks/${task.id}/findings`, { kind: 'conclusion', content: 'late', confidence: 1 })
    assert.equal(late.status, 404)
    assert.equal(late.json.error.code, 'GROUP_NOT_FOUND')
  })

  it('a worker that never reports loses the part when its lease ends; a second worker completes it; the first one\'s claim is stale', async () => {
    const task = await a.announce({ description: 'review again', skills: [{ name: 'review' }], input: { patch: 2 }, bidWindowMs: 300, deadlineMs: 60_000 })
    const first = await claim(b, { skills: ['review'], worker: 'sleepy', leaseMs: 1_000, waitMs: 10_000 })
    assert.equal(first.taskId, task.id)
    // The second worker waits for the part; it comes back when the first lease ends.
    const second = await claim(b, { skills: ['review'], worker: 'awake', waitMs: 20_000 })
    assert.equal(second.partId, first.partId)
    assert.notEqual(second.claimId, first.claimId)

    const stale = await api(b, 'POST', `/v1/inbox/${first.partId}/complete`, { claimId: first.claimId, output: { from: 'sleepy' } })
    assert.equal(stale.status, 409)
    assert.equal(stale.json.error.code, 'INBOX_CLAIM_STALE')
    assert.equal((await api(b, 'POST', `/v1/inbox/${second.partId}/complete`, { claimId: second.claimId, output: { from: 'awake' } })).status, 200)
    const outcome = await task.result()
    assert.equal(outcome.status, 'COMPLETE', outcome.reason)
    assert.deepEqual(outcome.output, { review: { from: 'awake' } })
  })

  it('a part nobody claims within claimTimeoutMs is handed back, and the other capable node completes the task', async () => {
    const handedBack = nextEvent(b, 'inbox:ended', e => e.skill === 'triage')
    const task = await a.announce({ description: 'triage the bug', skills: [{ name: 'triage' }], input: { bug: 7 }, bidWindowMs: 600, deadlineMs: 60_000 })
    const ended = await handedBack
    assert.equal(ended.taskId, task.id)
    assert.equal(ended.how, 'handed-back')
    const outcome = await task.result()
    assert.equal(outcome.status, 'COMPLETE', outcome.reason)
    assert.deepEqual(outcome.members, [{ peerId: byName(swarm, 'c').peerId.toString(), skills: ['triage'] }])
    assert.deepEqual(outcome.output, { triage: { bug: 7 } })
  })
})
