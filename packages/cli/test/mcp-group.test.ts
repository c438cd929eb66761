/**
 * `swarm-node mcp`'s tools of working groups and of the inbox, `wait_for` and the resources,
 * over a fake control API through a real MCP client: what each asks the node, what it returns,
 * and that a wait ends with its event, with a timed-out result, or when the client cancels.
 */
import assert from 'node:assert/strict'
import { afterAll, afterEach, beforeAll, describe, it } from 'vitest'
import { FakeNode, PEER, connect, nodeError, openStream, sse, taskDetail, textOf } from './mcp-fake-node.js'
import { sampleWorkflow } from './workflow-fixture.js'
import type { Client } from '@modelcontextprotocol/client'
import type { ServerResponse } from 'node:http'
import type { Routes } from './mcp-fake-node.js'

const BOARD = {
  taskId: 'T1',
  groupId: 'G1',
  live: true,
  findings: [{ id: 'F1', kind: 'hypothesis', content: 'the parser leaks', confidence: 0.6, author: PEER, at: 3 }],
  hypotheses: [{ id: 'F1', statement: 'the parser leaks', status: 'open', author: PEER }],
  actions: [],
  confidence: { F1: 0.6 }
}

function proposal (id: string, status: string, outcome?: string): Record<string, unknown> {
  return {
    proposalId: id,
    taskId: 'T1',
    groupId: 'G1',
    action: 'ship it',
    quorum: { kind: 'majority' },
    minParticipation: 0.5,
    voters: [PEER],
    deadline: 99,
    proposer: PEER,
    openedAt: 1,
    status,
    votes: [],
    tally: { outcome: outcome ?? 'pending', for: outcome === 'approved' ? 1 : 0, against: 0, abstentions: 0, eligible: 1, participation: 0, weightedConfidence: 0 },
    ...(outcome !== undefined ? { outcome } : {})
  }
}

const CLAIM = {
  partId: 'P1', taskId: 'T1', groupId: 'G1', skill: 'review', description: 'review the patch', state: 'claimed', deadline: 100, attempt: 1, enqueuedAt: 2,
  members: [{ peerId: PEER, skills: ['review'] }], worker: 'mcp:unit-client', leaseEndsAt: 50, hasCheckpoint: false, claimId: 'C1', input: { patch: 'diff' }
}

/** Event streams a test holds open, to write to them later. */
const streams: ServerResponse[] = []

const ROUTES: Routes = {
  'GET /v1/tasks/T1': () => ({ json: taskDetail('T1', 'RUNNING') }),
  'GET /v1/tasks/T2': () => ({ json: taskDetail('T2', 'ANNOUNCED') }),
  'GET /v1/tasks/([^/?]+)': (_b, m) => nodeError(404, 'TASK_NOT_FOUND', `no task ${m[1] ?? ''} on this node`),
  'GET /v1/tasks/T1/blackboard': () => ({ json: { blackboard: BOARD } }),
  'GET /v1/tasks/T2/blackboard': () => nodeError(404, 'GROUP_NOT_FOUND', 'task T2 has no blackboard on this node (no working group of it ran here)'),
  'GET /v1/tasks\\?limit=50': () => ({ json: { tasks: [(taskDetail('T1', 'RUNNING').task as { summary: unknown }).summary] } }),
  'GET /v1/proposals\\?task=T1': () => ({ json: { proposals: [proposal('PR1', 'open'), proposal('PR0', 'decided', 'approved')] } }),
  'GET /v1/proposals\\?task=T2': () => ({ json: { proposals: [] } }),
  'GET /v1/proposals/PR0': () => ({ json: { proposal: proposal('PR0', 'decided', 'approved') } }),
  'GET /v1/proposals/PR1': () => ({ json: { proposal: proposal('PR1', 'open') } }),
  'GET /v1/proposals/([^/]+)': (_b, m) => nodeError(404, 'PROPOSAL_NOT_FOUND', `no proposal ${m[1] ?? ''} on this node`),
  'GET /v1/workflows/wf-7f3a': () => ({ json: { workflow: sampleWorkflow() } }),
  'GET /v1/workflows/([^/?]+)': (_b, m) => nodeError(404, 'WORKFLOW_NOT_FOUND', `no workflow ${m[1] ?? ''} on this node`),
  'POST /v1/tasks/T1/findings': () => ({ status: 201, json: { taskId: 'T1', findingId: 'F2' } }),
  'POST /v1/tasks/([^/]+)/findings': (_b, m) => nodeError(404, 'GROUP_NOT_FOUND', `this node has no live working group of task ${m[1] ?? ''}`),
  'POST /v1/tasks/T1/proposals': () => ({ status: 201, json: { proposal: proposal('PR1', 'open') } }),
  'POST /v1/proposals/PR1/votes': () => ({ status: 201, json: { proposal: proposal('PR1', 'decided', 'approved') } }),
  'POST /v1/inbox/claim': body => ({ json: { part: (body as { skills?: string[] }).skills?.includes('lint') === true ? null : CLAIM } }),
  'POST /v1/inbox/P1/complete': () => ({ json: { partId: 'P1', taskId: 'T1', state: 'completed' } }),
  'POST /v1/inbox/P1/fail': () => ({ json: { partId: 'P1', taskId: 'T1', state: 'failed' } }),
  'POST /v1/inbox/P1/progress': () => ({ json: { partId: 'P1', leaseEndsAt: 80 } }),
  'POST /v1/inbox/([^/]+)/(complete|fail|progress)': (_b, m) => nodeError(404, 'INBOX_PART_NOT_FOUND', `no part ${m[1] ?? ''} in this node's inbox`),
  'GET /v1/inbox\\?state=waiting': () => ({ json: { parts: [] } }),
  'GET /v1/events': () => res => {
    openStream(res, [['hello', { peerId: PEER }]])
    streams.push(res)
  },
  'GET /v1/tasks/T1/events': () => res => {
    openStream(res, [['started', { type: 'started', taskId: 'T1', at: 2 }]])
    streams.push(res)
  }
}

describe('swarm-node mcp: group, inbox and wait tools, resources', () => {
  const node = new FakeNode(ROUTES)
  let client: Client

  beforeAll(async () => {
    await node.start()
    client = await connect(node)
  })

  afterEach(() => {
    node.asked.length = 0
    for (const res of streams.splice(0)) res.end()
  })

  afterAll(async () => {
    await client.close()
    await node.stop()
  })

  /** Resolves once the MCP server has opened one more event stream on the fake node than `before`. */
  async function streamOpened (before: number): Promise<ServerResponse> {
    while (streams.length <= before) await new Promise(resolve => setImmediate(resolve))
    const res = streams[before]
    assert.ok(res !== undefined)
    return res
  }

  it('join_session shows the task, its group, blackboard and open proposals', async () => {
    const result = await client.callTool({ name: 'join_session', arguments: { taskId: 'T1' } })
    const session = result.structuredContent as { task: { status: string, members: unknown[], groupId: string }, blackboard: { findings: unknown[] }, openProposals: Array<{ proposalId: string }> }
    assert.equal(session.task.status, 'RUNNING')
    assert.equal(session.task.groupId, 'G1')
    assert.deepEqual(session.task.members, [{ peerId: PEER, skills: ['review'] }])
    assert.equal(session.blackboard.findings.length, 1)
    assert.deepEqual(session.openProposals.map(p => p.proposalId), ['PR1'])
    assert.match(textOf(result), /hypothesis F1 open, confidence 0\.60: the parser leaks/)
  })

  it('join_session of a task without a group yet has no blackboard; unknown ids and no id are tool errors', async () => {
    const early = await client.callTool({ name: 'join_session', arguments: { taskId: 'T2' } })
    assert.equal(early.isError, undefined, textOf(early))
    assert.equal((early.structuredContent as { blackboard: unknown }).blackboard, null)
    const unknown = await client.callTool({ name: 'join_session', arguments: { taskId: 'nope' } })
    assert.equal(unknown.isError, true)
    assert.equal(textOf(unknown), 'no task nope on this node (TASK_NOT_FOUND)')
    const none = await client.callTool({ name: 'join_session', arguments: {} })
    assert.equal(none.isError, true)
    assert.match(textOf(none), /give either taskId or workflowId/)
  })

  it('join_session of a workflow shows its steps and their tasks; an unknown workflow is a tool error', async () => {
    const result = await client.callTool({ name: 'join_session', arguments: { workflowId: 'wf-7f3a' } })
    const { workflow } = result.structuredContent as { workflow: { name: string, steps: Array<{ id: string, status: string }> } }
    assert.equal(workflow.name, 'Build a CSV parser')
    assert.deepEqual(workflow.steps.map(s => `${s.id}:${s.status}`), ['fetch:completed', 'parse:running', 'lint:failed', 'approve:escalated', 'report:waiting'])
    assert.match(textOf(result), /- step parse running, tasks t-parse-0001, t-parse-0002: do parse/)
    const unknown = await client.callTool({ name: 'join_session', arguments: { workflowId: 'wf-none' } })
    assert.equal(unknown.isError, true)
    assert.equal(textOf(unknown), 'no workflow wf-none on this node (WORKFLOW_NOT_FOUND)')
    const both = await client.callTool({ name: 'join_session', arguments: { taskId: 'T1', workflowId: 'wf-7f3a' } })
    assert.match(textOf(both), /give either taskId or workflowId/)
  })

  it('post_finding posts the finding; get_findings reads the blackboard', async () => {
    const finding = { kind: 'observation', content: 'no tests for the parser', confidence: 0.8, evidence: ['parser.ts'], hypothesisId: 'F1', supports: true }
    const posted = await client.callTool({ name: 'post_finding', arguments: { taskId: 'T1', ...finding } })
    assert.deepEqual(posted.structuredContent, { taskId: 'T1', findingId: 'F2' })
    assert.deepEqual(node.bodies('POST', '/v1/tasks/T1/findings'), [finding])
    const board = await client.callTool({ name: 'get_findings', arguments: { taskId: 'T1' } })
    assert.deepEqual(board.structuredContent, BOARD)
    const noGroup = await client.callTool({ name: 'post_finding', arguments: { taskId: 'T9', ...finding } })
    assert.equal(noGroup.isError, true)
    assert.match(textOf(noGroup), /no live working group of task T9 \(GROUP_NOT_FOUND\)/)
    const badConfidence = await client.callTool({ name: 'post_finding', arguments: { taskId: 'T1', ...finding, confidence: 2 } })
    assert.equal(badConfidence.isError, true)
  })

  it('propose_action sends the quorum as the node reads it; vote sends the choice', async () => {
    const proposed = await client.callTool({ name: 'propose_action', arguments: { taskId: 'T1', action: 'ship it', quorum: 'threshold:0.6', timeoutMs: 5000 } })
    assert.equal((proposed.structuredContent as { proposalId: string }).proposalId, 'PR1')
    assert.deepEqual(node.bodies('POST', '/v1/tasks/T1/proposals'), [{ action: 'ship it', quorum: { kind: 'threshold', fraction: 0.6 }, minParticipation: 0.5, timeoutMs: 5000 }])
    const voted = await client.callTool({ name: 'vote', arguments: { proposalId: 'PR1', choice: 'yes', reason: 'tests pass' } })
    assert.equal((voted.structuredContent as { outcome: string }).outcome, 'approved')
    assert.deepEqual(node.bodies('POST', '/v1/proposals/PR1/votes'), [{ choice: 'yes', confidence: 1, reason: 'tests pass' }])
    const badChoice = await client.callTool({ name: 'vote', arguments: { proposalId: 'PR1', choice: 'maybe' } })
    assert.equal(badChoice.isError, true)
  })

  it('claim_task names the worker after the MCP client; no part is part: null', async () => {
    const claimed = await client.callTool({ name: 'claim_task', arguments: { skills: ['review'], waitMs: 1000 } })
    assert.deepEqual((claimed.structuredContent as { part: unknown }).part, CLAIM)
    assert.deepEqual(node.bodies('POST', '/v1/inbox/claim'), [{ skills: ['review'], worker: 'mcp:unit-client', waitMs: 1000 }])
    const none = await client.callTool({ name: 'claim_task', arguments: { skills: ['lint'], worker: 'me' } })
    assert.deepEqual(none.structuredContent, { part: null })
    assert.match(textOf(none), /no part waiting for lint/)
  })

  it('complete_task completes with output or fails with error, exactly one of them', async () => {
    const done = await client.callTool({ name: 'complete_task', arguments: { partId: 'P1', claimId: 'C1', output: { approved: true } } })
    assert.deepEqual(done.structuredContent, { partId: 'P1', taskId: 'T1', state: 'completed' })
    assert.deepEqual(node.bodies('POST', '/v1/inbox/P1/complete'), [{ claimId: 'C1', output: { approved: true } }])
    const failed = await client.callTool({ name: 'complete_task', arguments: { partId: 'P1', error: 'cannot read the patch' } })
    assert.equal((failed.structuredContent as { state: string }).state, 'failed')
    assert.deepEqual(node.bodies('POST', '/v1/inbox/P1/fail'), [{ message: 'cannot read the patch' }])
    for (const args of [{ partId: 'P1' }, { partId: 'P1', output: 1, error: 'x' }]) {
      const result = await client.callTool({ name: 'complete_task', arguments: args })
      assert.equal(result.isError, true)
      assert.match(textOf(result), /exactly one of output/)
    }
    const unknown = await client.callTool({ name: 'complete_task', arguments: { partId: 'P9', output: null } })
    assert.equal(textOf(unknown), 'no part P9 in this node\'s inbox (INBOX_PART_NOT_FOUND)')
  })

  it('report_progress passes the fraction, message and checkpoint on', async () => {
    const result = await client.callTool({ name: 'report_progress', arguments: { partId: 'P1', claimId: 'C1', fraction: 0.5, message: 'half', checkpoint: { line: 3 } } })
    assert.deepEqual(result.structuredContent, { partId: 'P1', leaseEndsAt: 80 })
    assert.deepEqual(node.bodies('POST', '/v1/inbox/P1/progress'), [{ claimId: 'C1', fraction: 0.5, message: 'half', checkpoint: { line: 3 } }])
  })

  it('wait_for inbox_part answers the part the node queues once the stream is open', async () => {
    const before = streams.length
    const waiting = client.callTool({ name: 'wait_for', arguments: { event: 'inbox_part', skills: ['review'] } })
    const stream = await streamOpened(before)
    while (node.bodies('GET', '/v1/inbox?state=waiting').length === 0) await new Promise(resolve => setImmediate(resolve))
    sse(stream, 'inbox:queued', { partId: 'P0', taskId: 'T0', skill: 'lint' })
    sse(stream, 'inbox:queued', { partId: 'P2', taskId: 'T1', skill: 'review' })
    const result = await waiting
    assert.deepEqual(result.structuredContent, { event: 'inbox_part', timedOut: false, payload: { partId: 'P2', taskId: 'T1', skill: 'review' } })
  })

  it('wait_for proposal_decided answers a decided proposal at once, an open one on its decision', async () => {
    const decided = await client.callTool({ name: 'wait_for', arguments: { event: 'proposal_decided', proposalId: 'PR0' } })
    assert.equal((decided.structuredContent as { payload: { outcome: string } }).payload.outcome, 'approved')
    const before = streams.length
    const waiting = client.callTool({ name: 'wait_for', arguments: { event: 'proposal_decided', proposalId: 'PR1' } })
    const stream = await streamOpened(before)
    while (node.bodies('GET', '/v1/proposals/PR1').length === 0) await new Promise(resolve => setImmediate(resolve))
    sse(stream, 'proposal:decided', proposal('PR1', 'decided', 'rejected'))
    const result = await waiting
    assert.deepEqual([(result.structuredContent as { timedOut: boolean }).timedOut, (result.structuredContent as { payload: { outcome: string } }).payload.outcome], [false, 'rejected'])
    const unknown = await client.callTool({ name: 'wait_for', arguments: { event: 'proposal_decided', proposalId: 'PR9' } })
    assert.equal(textOf(unknown), 'no proposal PR9 on this node (PROPOSAL_NOT_FOUND)')
  })

  it('wait_for task_finished answers the outcome; a timeout is a result saying so', async () => {
    const before = streams.length
    const waiting = client.callTool({ name: 'wait_for', arguments: { event: 'task_finished', taskId: 'T1' } })
    const stream = await streamOpened(before)
    sse(stream, 'completed', { type: 'completed', taskId: 'T1', at: 9, outcome: { taskId: 'T1', status: 'COMPLETE', ok: true, output: { n: 1 }, attempts: 1, timings: { createdAt: 1 } } })
    const result = await waiting
    const payload = (result.structuredContent as { payload: { status: string, output: unknown } }).payload
    assert.deepEqual([payload.status, payload.output], ['COMPLETE', { n: 1 }])
    const timedOut = await client.callTool({ name: 'wait_for', arguments: { event: 'task_finished', taskId: 'T1', timeoutMs: 50 } })
    assert.equal(timedOut.isError, undefined)
    assert.deepEqual(timedOut.structuredContent, { event: 'task_finished', timedOut: true })
    assert.match(textOf(timedOut), /did not finish within 50 ms/)
    const noId = await client.callTool({ name: 'wait_for', arguments: { event: 'task_finished' } })
    assert.equal(noId.isError, true)
    const tooLong = await client.callTool({ name: 'wait_for', arguments: { event: 'inbox_part', timeoutMs: 600_001 } })
    assert.equal(tooLong.isError, true)
  })

  it('wait_for stops waiting when the client cancels the request', async () => {
    const abort = new AbortController()
    const before = streams.length
    const waiting = client.callTool({ name: 'wait_for', arguments: { event: 'inbox_part' } }, { signal: abort.signal })
    await streamOpened(before)
    const closed = node.closedStreams.length
    abort.abort()
    await assert.rejects(waiting)
    while (node.closedStreams.length === closed) await new Promise(resolve => setImmediate(resolve))
    assert.deepEqual(node.closedStreams.slice(closed), ['/v1/events'])
    assert.equal((await client.callTool({ name: 'get_findings', arguments: { taskId: 'T1' } })).isError, undefined)
  })

  it('resources: the task and blackboard templates, listed from recent tasks, read as JSON', async () => {
    const { resourceTemplates } = await client.listResourceTemplates()
    assert.deepEqual(resourceTemplates.map(t => t.uriTemplate).sort(), ['swarm://tasks/{taskId}', 'swarm://tasks/{taskId}/blackboard'])
    const { resources } = await client.listResources()
    assert.deepEqual(resources.map(r => r.uri).sort(), ['swarm://tasks/T1', 'swarm://tasks/T1/blackboard'])
    const task = await client.readResource({ uri: 'swarm://tasks/T1' })
    const taskText = task.contents[0] !== undefined && 'text' in task.contents[0] ? task.contents[0].text : ''
    assert.equal((JSON.parse(taskText) as { task: { taskId: string } }).task.taskId, 'T1')
    const board = await client.readResource({ uri: 'swarm://tasks/T1/blackboard' })
    const boardText = board.contents[0] !== undefined && 'text' in board.contents[0] ? board.contents[0].text : ''
    assert.deepEqual(JSON.parse(boardText), BOARD)
    await assert.rejects(client.readResource({ uri: 'swarm://tasks/nope' }), /no task nope on this node/)
  })
})
