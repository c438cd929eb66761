/**
 * `swarm-node mcp`'s tools of the node and its tasks over a fake control API, through a real
 * MCP client: the tool list with its input schemas, what each tool asks the node and returns,
 * bad arguments and node errors as tool errors after which the server goes on serving.
 */
import assert from 'node:assert/strict'
import { afterAll, afterEach, beforeAll, describe, it } from 'vitest'
import { clientNameOf } from '../src/mcp/context.js'
import { FakeNode, PEER, connect, nodeError, openStream, sse, taskDetail, textOf } from './mcp-fake-node.js'
import type { Client } from '@modelcontextprotocol/client'
import type { Routes } from './mcp-fake-node.js'

const STATUS = {
  peerId: PEER,
  name: 'desk',
  network: 'swarm-test',
  software: { name: 'swarm-node', version: '0.1.0' },
  uptimeMs: 1000,
  addrs: ['/ip4/127.0.0.1/tcp/4001'],
  api: 'http://127.0.0.1:7400',
  dataDir: '/tmp/desk',
  connections: 2,
  peers: 2,
  agents: 3,
  capacity: 4,
  load: 1,
  skills: [{ name: 'review', level: 'expert', successRate: 1, avgCompletionMs: 10 }]
}

const AGENT = { peerId: PEER, name: 'desk', self: true, skills: STATUS.skills, capacity: 4, load: 1, addrs: [], version: '0.1.0', lastSeen: 1, reputation: null }

const OUTCOME = { taskId: 'T1', status: 'COMPLETE', ok: true, output: { review: { approved: true } }, attempts: 1, timings: { createdAt: 1, finishedAt: 5, totalMs: 4 } }

const ROUTES: Routes = {
  'GET /v1/status': () => ({ json: STATUS }),
  'GET /v1/agents(\\?.*)?': () => ({ json: { agents: [AGENT] } }),
  'POST /v1/tasks': body => {
    const spec = body as { skills: Array<{ name: string }> }
    if (spec.skills.some(s => s.name === 'fresco')) return nodeError(422, 'NO_CAPABLE_PEERS', 'no peer can take this task: skill "fresco" at level novice or above: no agent with it is known')
    return { status: 201, json: { taskId: 'T1', status: 'ANNOUNCED' } }
  },
  'GET /v1/tasks/T1/events': () => res => {
    openStream(res, [['announced', { type: 'announced', taskId: 'T1', at: 1 }], ['started', { type: 'started', taskId: 'T1', at: 2 }]])
    sse(res, 'completed', { type: 'completed', taskId: 'T1', at: 5, outcome: OUTCOME })
    res.end()
  },
  'GET /v1/tasks/T1': () => ({ json: taskDetail('T1', 'COMPLETE', { outcome: OUTCOME }) }),
  'GET /v1/tasks/([^/?]+)': (_body, m) => nodeError(404, 'TASK_NOT_FOUND', `no task ${m[1] ?? ''} on this node`),
  'POST /v1/tasks/T1/cancel': body => ({ json: { taskId: 'T1', status: 'CANCELLED', reason: (body as { reason?: string }).reason } }),
  'POST /v1/tasks/([^/]+)/cancel': (_body, m) => nodeError(404, 'TASK_NOT_FOUND', `no task ${m[1] ?? ''} on this node`)
}

describe('swarm-node mcp: node and task tools', () => {
  const node = new FakeNode(ROUTES)
  let client: Client

  beforeAll(async () => {
    await node.start()
    client = await connect(node)
  })

  afterEach(() => { node.asked.length = 0 })

  afterAll(async () => {
    await client.close()
    await node.stop()
  })

  it('lists every tool with an input schema', async () => {
    const { tools } = await client.listTools()
    assert.deepEqual(tools.map(t => t.name).sort(), [
      'announce_task', 'cancel_task', 'claim_task', 'complete_task', 'get_findings', 'get_task', 'join_session',
      'list_agents', 'post_finding', 'propose_action', 'report_progress', 'swarm_status', 'vote', 'wait_for'
    ])
    for (const tool of tools) {
      assert.equal(tool.inputSchema.type, 'object', tool.name)
      assert.ok(tool.outputSchema !== undefined, `${tool.name} has an output schema`)
      assert.ok((tool.description ?? '').length > 20, `${tool.name} says what it does`)
    }
    const announce = tools.find(t => t.name === 'announce_task')
    assert.deepEqual([...(announce?.inputSchema.required ?? [])].sort(), ['description', 'skills'])
    const claim = tools.find(t => t.name === 'claim_task')?.inputSchema.properties?.waitMs as { maximum?: number } | undefined
    assert.equal(claim?.maximum, 300_000)
  })

  it('swarm_status answers the node status as text and structured content', async () => {
    const result = await client.callTool({ name: 'swarm_status', arguments: {} })
    assert.equal(result.isError, undefined)
    assert.deepEqual(result.structuredContent, STATUS)
    assert.match(textOf(result), /desk .* network swarm-test: 2 peers, 3 agents known, load 1\/4, skills review:expert/)
  })

  it('list_agents filters by skill and level as swarm-node agents does', async () => {
    const result = await client.callTool({ name: 'list_agents', arguments: { skill: 'review', minLevel: 'advanced' } })
    assert.deepEqual((result.structuredContent as { agents: unknown[] }).agents, [AGENT])
    assert.deepEqual(node.asked.map(a => a.url), ['/v1/agents?skill=review&minLevel=advanced'])
    const levelAlone = await client.callTool({ name: 'list_agents', arguments: { minLevel: 'advanced' } })
    assert.equal(levelAlone.isError, true)
    assert.match(textOf(levelAlone), /give skill too/)
  })

  it('announce_task without wait posts the spec (skills as announce --skill takes them) and returns the task id', async () => {
    const result = await client.callTool({ name: 'announce_task', arguments: { description: 'review the patch', skills: ['review:advanced:2', 'lint'], input: { patch: 'diff' }, verify: true, wait: false } })
    assert.deepEqual(result.structuredContent, { taskId: 'T1', status: 'ANNOUNCED', finished: false })
    assert.deepEqual(node.bodies('POST', '/v1/tasks'), [{
      description: 'review the patch',
      skills: [{ name: 'review', minLevel: 'advanced', count: 2 }, { name: 'lint', minLevel: 'novice', count: 1 }],
      input: { patch: 'diff' },
      verify: 'majority'
    }])
  })

  it('announce_task follows the task to its end and returns its output', async () => {
    const result = await client.callTool({ name: 'announce_task', arguments: { description: 'review the patch', skills: ['review'] } })
    assert.equal(result.isError, undefined, textOf(result))
    const data = result.structuredContent as { taskId: string, status: string, finished: boolean, ok: boolean, output: unknown }
    assert.deepEqual([data.taskId, data.status, data.finished, data.ok, data.output], ['T1', 'COMPLETE', true, true, { review: { approved: true } }])
    assert.match(textOf(result), /task T1 COMPLETE; output: \{"review":\{"approved":true\}\}/)
  })

  it('a task nobody can do is a tool error with the node\'s message and code', async () => {
    const result = await client.callTool({ name: 'announce_task', arguments: { description: 'paint', skills: ['fresco'] } })
    assert.equal(result.isError, true)
    assert.match(textOf(result), /no peer can take this task: skill "fresco".*\(NO_CAPABLE_PEERS\)/)
  })

  it('bad arguments are tool errors and the server keeps serving', async () => {
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ['announce_task', { description: 'x', skills: ['review:guru'] }, /invalid --skill "review:guru"/],
      ['announce_task', { description: 'x', skills: ['review', 'review:expert'] }, /skill review is given twice/],
      ['announce_task', { description: 'x' }, /skills/],
      ['announce_task', { description: 'x', skills: ['review'], deadlineMs: 5 }, /deadlineMs/],
      ['get_task', { taskId: 42 }, /taskId/],
      ['swarm_status', { extra: true }, /extra/]
    ]
    for (const [name, args, message] of cases) {
      const result = await client.callTool({ name, arguments: args })
      assert.equal(result.isError, true, `${name} ${JSON.stringify(args)}`)
      assert.match(textOf(result), message)
    }
    assert.deepEqual(node.bodies('POST', '/v1/tasks'), [], 'nothing was announced')
    await assert.rejects(client.callTool({ name: 'no_such_tool', arguments: {} }), /no_such_tool not found/)
    assert.equal((await client.callTool({ name: 'swarm_status', arguments: {} })).isError, undefined)
  })

  it('get_task returns the task view; an unknown id is the node\'s 404 as a tool error', async () => {
    const found = await client.callTool({ name: 'get_task', arguments: { taskId: 'T1' } })
    assert.equal((found.structuredContent as { task: { status: string } }).task.status, 'COMPLETE')
    assert.match(textOf(found), /task T1 COMPLETE \(announcer\): review the patch; output:/)
    const unknown = await client.callTool({ name: 'get_task', arguments: { taskId: 'nope' } })
    assert.equal(unknown.isError, true)
    assert.equal(textOf(unknown), 'no task nope on this node (TASK_NOT_FOUND)')
  })

  it('cancel_task sends the reason; an unknown task is a tool error', async () => {
    const cancelled = await client.callTool({ name: 'cancel_task', arguments: { taskId: 'T1', reason: 'not needed' } })
    assert.deepEqual(cancelled.structuredContent, { taskId: 'T1', status: 'CANCELLED', reason: 'not needed' })
    assert.deepEqual(node.bodies('POST', '/v1/tasks/T1/cancel'), [{ reason: 'not needed' }])
    const unknown = await client.callTool({ name: 'cancel_task', arguments: { taskId: 'nope' } })
    assert.equal(unknown.isError, true)
    assert.match(textOf(unknown), /TASK_NOT_FOUND/)
  })

  it('an unreachable node is a tool error, not a crash', async () => {
    const other = new FakeNode({})
    await other.start()
    const lonely = await connect(other)
    await other.stop()
    const result = await lonely.callTool({ name: 'swarm_status', arguments: {} })
    assert.equal(result.isError, true)
    assert.match(textOf(result), /cannot reach the node .*\(NODE_UNREACHABLE\)/)
    await lonely.close()
  })

  it('the client\'s name is the request envelope\'s (2026-era clients), else the initialize one\'s', () => {
    assert.equal(clientNameOf({ 'io.modelcontextprotocol/clientInfo': { name: 'desktop', version: '3' } }, 'old'), 'desktop')
    assert.equal(clientNameOf({}, 'old'), 'old')
    assert.equal(clientNameOf(undefined, undefined), undefined)
    assert.equal(clientNameOf({ 'io.modelcontextprotocol/clientInfo': { name: '' } }, 'old'), 'old')
  })
})
