import { afterAll, beforeAll, describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { FakeNodeApi, call, proposalView, serve, stored } from './fake-node-api.js'
import type { EscalationRecord } from '../../src/group/escalations.js'
import type { BlackboardView } from '../../src/group/inputs.js'
import type { ProposalView } from '../../src/group/group-session.js'

const ESCALATION = { id: 'esc-1', taskId: 'group-task-1', status: 'open', severity: 'high', source: 'retries-exhausted', reason: 'no member left' } as unknown as EscalationRecord
const BLACKBOARD: BlackboardView = { taskId: 'group-task-1', groupId: 'group-1', live: true, confidence: {}, findings: [], hypotheses: [], actions: [] }

describe('group routes: proposals, votes, blackboard', () => {
  const node = new FakeNodeApi()
  let url: string
  let stop: () => Promise<void>

  beforeAll(async () => {
    ({ url, stop } = await serve(node))
    node.tasksById.set('group-task-1', stored('group-task-1', 'RUNNING'))
    node.tasksById.set('lonely-task-1', stored('lonely-task-1', 'COMPLETE'))
    node.groups.proposalsById.set('proposal-0', proposalView('proposal-0', 'other-task-1'))
    node.groups.blackboards.set('group-task-1', BLACKBOARD)
  })
  afterAll(async () => { await stop() })

  it('POST /v1/tasks/:id/proposals validates the proposal and puts it to the task\'s group', async () => {
    const created = await call<{ proposal: ProposalView }>(url, 'POST', '/v1/tasks/group-task-1/proposals', { action: 'switch source', quorum: 'unanimous', timeoutMs: 5_000 })
    assert.equal(created.status, 201)
    assert.equal(created.json.proposal.taskId, 'group-task-1')
    assert.deepEqual(node.groups.calls.at(-1), { op: 'propose', args: ['group-task-1', { action: 'switch source', quorum: { kind: 'unanimous' }, minParticipation: 0.5, timeoutMs: 5_000 }] })
    const bad = await call(url, 'POST', '/v1/tasks/group-task-1/proposals', { action: '   ' })
    assert.equal(bad.status, 400)
    assert.match(bad.json.error.message, /say what the group would do/)
    assert.equal(node.groups.calls.filter(c => c.op === 'propose').length, 1)
  })

  it('GET /v1/proposals lists them, one task\'s with ?task=; GET /v1/proposals/:id one, 404 otherwise', async () => {
    const all = await call<{ proposals: ProposalView[] }>(url, 'GET', '/v1/proposals')
    assert.deepEqual(all.json.proposals.map(p => p.proposalId).sort(), ['proposal-0', 'proposal-1'])
    const one = await call<{ proposals: ProposalView[] }>(url, 'GET', '/v1/proposals?task=group-task-1')
    assert.deepEqual(one.json.proposals.map(p => p.proposalId), ['proposal-1'])
    assert.equal((await call(url, 'GET', `/v1/proposals?task=${'x'.repeat(65)}`)).status, 400)
    const found = await call<{ proposal: ProposalView }>(url, 'GET', '/v1/proposals/proposal-1')
    assert.equal(found.json.proposal.proposalId, 'proposal-1')
    const missing = await call(url, 'GET', '/v1/proposals/proposal-9')
    assert.equal(missing.status, 404)
    assert.equal(missing.json.error.code, 'PROPOSAL_NOT_FOUND')
  })

  it('POST /v1/proposals/:id/votes validates the vote and casts it', async () => {
    const voted = await call<{ proposal: ProposalView }>(url, 'POST', '/v1/proposals/proposal-1/votes', { choice: 'yes', reason: 'fine' })
    assert.equal(voted.status, 201)
    assert.equal(voted.json.proposal.proposalId, 'proposal-1')
    assert.deepEqual(node.groups.calls.at(-1), { op: 'vote', args: ['proposal-1', { choice: 'yes', confidence: 1, reason: 'fine' }] })
    assert.equal((await call(url, 'POST', '/v1/proposals/proposal-1/votes', { choice: 'maybe' })).status, 400)
  })

  it('GET /v1/tasks/:id/blackboard: the board, GROUP_NOT_FOUND for a task without one, TASK_NOT_FOUND for an unknown task', async () => {
    const board = await call<{ blackboard: BlackboardView }>(url, 'GET', '/v1/tasks/group-task-1/blackboard')
    assert.deepEqual(board.json.blackboard, BLACKBOARD)
    const none = await call(url, 'GET', '/v1/tasks/lonely-task-1/blackboard')
    assert.equal(none.status, 404)
    assert.equal(none.json.error.code, 'GROUP_NOT_FOUND')
    const unknown = await call(url, 'GET', '/v1/tasks/nope-nope/blackboard')
    assert.equal(unknown.status, 404)
    assert.equal(unknown.json.error.code, 'TASK_NOT_FOUND')
  })
})

describe('escalation routes', () => {
  const node = new FakeNodeApi()
  let url: string
  let stop: () => Promise<void>

  beforeAll(async () => {
    ({ url, stop } = await serve(node))
    node.groups.escalationList = [ESCALATION]
  })
  afterAll(async () => { await stop() })

  it('GET /v1/escalations passes the status and task filters on, validated', async () => {
    const all = await call<{ escalations: EscalationRecord[] }>(url, 'GET', '/v1/escalations')
    assert.deepEqual(all.json.escalations, [ESCALATION])
    await call(url, 'GET', '/v1/escalations?status=open&task=group-task-1')
    assert.deepEqual(node.groups.calls.map(c => c.args[0]), [{}, { status: 'open', taskId: 'group-task-1' }])
    const bad = await call(url, 'GET', '/v1/escalations?status=closed')
    assert.equal(bad.status, 400)
    assert.match(bad.json.error.message, /status/)
  })

  it('POST /v1/escalations/:id/resolve records the decision; an empty one is 400, an unknown id 404', async () => {
    const resolved = await call<{ escalation: EscalationRecord }>(url, 'POST', '/v1/escalations/esc-1/resolve', { decision: '  keep going ' })
    assert.equal(resolved.status, 200)
    assert.equal(resolved.json.escalation.status, 'resolved')
    assert.deepEqual(node.groups.calls.at(-1), { op: 'resolveEscalation', args: ['esc-1', 'keep going'] })
    const empty = await call(url, 'POST', '/v1/escalations/esc-1/resolve', { decision: ' ' })
    assert.equal(empty.status, 400)
    assert.match(empty.json.error.message, /say what the group should do/)
    assert.equal((await call(url, 'POST', '/v1/escalations/esc-9/resolve', { decision: 'go' })).status, 404)
  })
})
