/**
 * The inbox routes and the findings route over the fake node (a real inbox on the system clock):
 * list, claim, progress, complete, fail, release with their answers; bad bodies are 400 naming
 * the field and the server keeps answering; unknown parts are 404, stale claims and unclaimed
 * parts 409; a long-polling worker that hangs up gets no part claimed for it.
 */
import { afterAll, beforeAll, describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { FakeNodeApi, TOKEN, call, serve } from './fake-node-api.js'
import type { PartEnd } from '../../src/inbox/inbox-service.js'
import type { InboxClaim, InboxPartView } from '../../src/inbox/types.js'
import type { BlackboardView } from '../../src/group/inputs.js'

const BLACKBOARD: BlackboardView = { taskId: 'task-live', groupId: 'group-1', live: true, confidence: {}, findings: [], hypotheses: [], actions: [] }

describe('inbox routes', () => {
  const node = new FakeNodeApi()
  let url: string
  let stop: () => Promise<void>
  const ends: Array<Promise<PartEnd>> = []
  const enqueue = (taskId: string, skill = 'review'): void => {
    const end = node.inbox.enqueue({ taskId, groupId: 'g', skill, description: `do ${taskId}`, input: { n: taskId }, deadline: Date.now() + 60_000, attempt: 1, members: [], claimTimeoutMs: 60_000, leaseMs: 60_000 }, { signal: new AbortController().signal, progress: () => {}, checkpoint: () => {} })
    end.catch(() => {})
    ends.push(end)
  }

  beforeAll(async () => { ({ url, stop } = await serve(node)) })
  afterAll(async () => {
    node.inbox.stop()
    await stop()
  })

  it('GET /v1/inbox lists the parts, filtered by skill and state; a bad filter is 400', async () => {
    enqueue('task-a')
    enqueue('task-b', 'translate')
    const all = await call<{ parts: InboxPartView[] }>(url, 'GET', '/v1/inbox')
    assert.deepEqual(all.json.parts.map(p => [p.taskId, p.state, p.hasCheckpoint]), [['task-a', 'waiting', false], ['task-b', 'waiting', false]])
    const one = await call<{ parts: InboxPartView[] }>(url, 'GET', '/v1/inbox?skill=translate&state=waiting')
    assert.deepEqual(one.json.parts.map(p => p.taskId), ['task-b'])
    const bad = await call(url, 'GET', '/v1/inbox?state=lost')
    assert.equal(bad.status, 400)
    assert.match(bad.json.error.message, /state/)
  })

  it('claim, progress, complete: each answers as the contract says, and the handler gets the output', async () => {
    const claimed = await call<{ part: InboxClaim | null }>(url, 'POST', '/v1/inbox/claim', { skills: ['review'], worker: 'route-test', leaseMs: 5_000 })
    assert.equal(claimed.status, 200)
    const part = claimed.json.part
    assert.ok(part !== null)
    assert.equal(part.taskId, 'task-a')
    assert.equal(part.worker, 'route-test')
    assert.deepEqual(part.input, { n: 'task-a' })
    assert.equal(typeof part.claimId, 'string')

    const progressed = await call<{ partId: string, leaseEndsAt: number }>(url, 'POST', `/v1/inbox/${part.partId}/progress`, { claimId: part.claimId, fraction: 0.5, message: 'half' })
    assert.equal(progressed.status, 200)
    assert.equal(progressed.json.partId, part.partId)
    assert.ok(progressed.json.leaseEndsAt >= part.leaseEndsAt)

    const stale = await call(url, 'POST', `/v1/inbox/${part.partId}/complete`, { claimId: 'not-the-claim', output: 1 })
    assert.equal(stale.status, 409)
    assert.equal(stale.json.error.code, 'INBOX_CLAIM_STALE')

    const done = await call(url, 'POST', `/v1/inbox/${part.partId}/complete`, { claimId: part.claimId, output: { verdict: 'fine' } })
    assert.deepEqual(done, { status: 200, json: { partId: part.partId, taskId: 'task-a', state: 'completed' } })
    assert.deepEqual(await ends[0], { how: 'completed', output: { verdict: 'fine' } })
    const gone = await call(url, 'POST', `/v1/inbox/${part.partId}/complete`, { output: 1 })
    assert.equal(gone.status, 404)
    assert.equal(gone.json.error.code, 'INBOX_PART_NOT_FOUND')
  })

  it('release sends the part back to waiting; fail on a waiting part is 409 INBOX_NOT_CLAIMED; fail on a claimed one ends it', async () => {
    const claimed = await call<{ part: InboxClaim | null }>(url, 'POST', '/v1/inbox/claim', {})
    const part = claimed.json.part
    assert.ok(part !== null)
    assert.equal(part.taskId, 'task-b')
    assert.deepEqual((await call(url, 'POST', `/v1/inbox/${part.partId}/release`, { reason: 'not mine' })).json, { partId: part.partId, taskId: 'task-b', state: 'waiting' })
    const notClaimed = await call(url, 'POST', `/v1/inbox/${part.partId}/fail`, { message: 'x' })
    assert.equal(notClaimed.status, 409)
    assert.equal(notClaimed.json.error.code, 'INBOX_NOT_CLAIMED')
    const again = await call<{ part: InboxClaim | null }>(url, 'POST', '/v1/inbox/claim', { skills: ['translate'] })
    assert.equal(again.json.part?.partId, part.partId)
    assert.deepEqual((await call(url, 'POST', `/v1/inbox/${part.partId}/fail`, { message: 'no dictionary' })).json, { partId: part.partId, taskId: 'task-b', state: 'failed' })
    assert.deepEqual(await ends[1], { how: 'failed', message: 'no dictionary' })
  })

  it('bad bodies are 400 naming the field, and the server keeps answering; unknown parts are 404', async () => {
    const cases: Array<[string, unknown, RegExp]> = [
      ['/v1/inbox/claim', { leaseMs: 10 }, /leaseMs/],
      ['/v1/inbox/claim', { waitMs: 300_001 }, /waitMs/],
      ['/v1/inbox/claim', { worker: 'w'.repeat(129) }, /worker/],
      ['/v1/inbox/claim', { skills: 'review' }, /skills/],
      ['/v1/inbox/claim', { surprise: true }, /surprise/],
      ['/v1/inbox/p1/progress', { fraction: 1.5 }, /fraction/],
      ['/v1/inbox/p1/complete', {}, /output/],
      ['/v1/inbox/p1/fail', { message: '  ' }, /say why/]
    ]
    for (const [path, body, field] of cases) {
      const answer = await call(url, 'POST', path, body)
      assert.equal(answer.status, 400, `${path} ${JSON.stringify(body)}`)
      assert.equal(answer.json.error.code, 'API_BAD_REQUEST')
      assert.match(answer.json.error.message, field)
    }
    const notJson = await fetch(`${url}/v1/inbox/claim`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: '{' })
    assert.equal(notJson.status, 400)
    for (const op of ['progress', 'complete', 'fail', 'release']) {
      const answer = await call(url, 'POST', `/v1/inbox/no-such-part/${op}`, op === 'complete' ? { output: null } : op === 'fail' ? { message: 'x' } : {})
      assert.equal(answer.status, 404, op)
      assert.equal(answer.json.error.code, 'INBOX_PART_NOT_FOUND')
    }
    assert.equal((await call(url, 'GET', '/v1/inbox')).status, 200)
  })

  it('a long-polling claim that hangs up is dropped: the part that comes next is not claimed for it', async () => {
    // The server-side signal of the wait, seen as the route calls the inbox.
    const original = node.inbox.claim.bind(node.inbox)
    let serverSide: (signal: AbortSignal) => void = () => {}
    const waitStarted = new Promise<AbortSignal>(resolve => { serverSide = resolve })
    node.inbox.claim = async (request, signal) => {
      if (signal !== undefined) serverSide(signal)
      return await original(request, signal)
    }
    const hangUp = new AbortController()
    const polling = fetch(`${url}/v1/inbox/claim`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ waitMs: 60_000 }), signal: hangUp.signal })
    polling.catch(() => {})
    const signal = await waitStarted
    const dropped = new Promise<void>(resolve => { signal.addEventListener('abort', () => { resolve() }, { once: true }) })
    hangUp.abort()
    await assert.rejects(polling)
    await dropped
    enqueue('task-c')
    const [part] = (await call<{ parts: InboxPartView[] }>(url, 'GET', '/v1/inbox?skill=review')).json.parts
    assert.equal(part?.taskId, 'task-c')
    assert.equal(part.state, 'waiting')
  })
})

describe('POST /v1/tasks/:id/findings', () => {
  const node = new FakeNodeApi()
  let url: string
  let stop: () => Promise<void>

  beforeAll(async () => {
    ({ url, stop } = await serve(node))
    node.groups.blackboards.set('task-live', BLACKBOARD)
  })
  afterAll(async () => { await stop() })

  it('posts a validated finding on the task\'s live group (201 with its id); 404 GROUP_NOT_FOUND without one; 400 for a bad finding', async () => {
    const posted = await call(url, 'POST', '/v1/tasks/task-live/findings', { kind: 'observation', content: 'tests pass', confidence: 0.8, evidence: ['ci log'] })
    assert.deepEqual(posted, { status: 201, json: { taskId: 'task-live', findingId: 'finding-1' } })
    assert.deepEqual(node.groups.calls.at(-1), { op: 'postFinding', args: ['task-live', { kind: 'observation', content: 'tests pass', confidence: 0.8, evidence: ['ci log'] }] })
    const none = await call(url, 'POST', '/v1/tasks/task-over/findings', { kind: 'conclusion', content: 'x', confidence: 1 })
    assert.equal(none.status, 404)
    assert.equal(none.json.error.code, 'GROUP_NOT_FOUND')
    assert.match(none.json.error.message, /only a member or the announcer of a running task can write its blackboard/)
    const bad = await call(url, 'POST', '/v1/tasks/task-live/findings', { kind: 'rumour', content: 'x', confidence: 3 })
    assert.equal(bad.status, 400)
    assert.match(bad.json.error.message, /kind/)
    assert.match(bad.json.error.message, /confidence/)
  })
})
