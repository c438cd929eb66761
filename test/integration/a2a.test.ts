import assert from 'node:assert/strict'
import { readFileSync, statSync } from 'node:fs'
import { Role, TaskState } from '@a2a-js/sdk'
import { ClientFactory, ClientFactoryOptions, DefaultAgentCardResolver, JsonRpcTransportFactory } from '@a2a-js/sdk/client'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { allAgentsKnown, startSwarm } from '../helpers/nodes.js'
import type { TestSwarm } from '../helpers/nodes.js'
import type { Message, Part, SendMessageRequest, StreamResponse, Task } from '@a2a-js/sdk'
import type { Client } from '@a2a-js/sdk/client'
import type { SwarmNode } from '@swarm/node'

const CARD_PATH = '/.well-known/agent-card.json'

function text (value: string): Part {
  return { content: { $case: 'text', value }, metadata: undefined, filename: '', mediaType: 'text/plain' }
}

function data (value: unknown): Part {
  return { content: { $case: 'data', value }, metadata: undefined, filename: '', mediaType: 'application/json' }
}

function request (parts: Part[], metadata: Record<string, unknown> | undefined, returnImmediately = false): SendMessageRequest {
  const message: Message = { messageId: crypto.randomUUID(), contextId: '', taskId: '', role: Role.ROLE_USER, parts, metadata, extensions: [], referenceTaskIds: [] }
  return { tenant: '', message, configuration: { acceptedOutputModes: [], taskPushNotificationConfig: undefined, returnImmediately }, metadata: undefined }
}

function isTask (value: unknown): value is Task {
  return typeof value === 'object' && value !== null && 'status' in value && 'artifacts' in value
}

/** The data parts of a task's artifacts. */
function artifactData (task: Task): unknown[] {
  return task.artifacts.flatMap(a => a.parts.flatMap(p => p.content?.$case === 'data' ? [p.content.value] : []))
}

describe('A2A: a node serves the A2A protocol to the ecosystem', () => {
  let swarm: TestSwarm
  let gateway: SwarmNode
  let url: string
  let token: string
  let client: Client

  beforeAll(async () => {
    swarm = await startSwarm([
      { name: 'gateway', a2a: { listen: '/ip4/127.0.0.1/tcp/0' } },
      {
        name: 'worker',
        skills: [
          { name: 'echo', level: 'expert', description: 'returns its input', examples: ['echo {"x":1}'], handler: { kind: 'builtin', name: 'echo' } },
          { name: 'sleep', level: 'novice', handler: { kind: 'builtin', name: 'sleep', delayMs: 60_000 } }
        ]
      }
    ])
    await allAgentsKnown(swarm.nodes)
    gateway = swarm.nodes[0] as SwarmNode
    assert.ok(gateway.a2aUrl !== undefined, 'the A2A server runs')
    url = gateway.a2aUrl
    token = readFileSync(gateway.paths.a2aToken, 'utf8').trim()
    const withToken: typeof fetch = async (input, init) => {
      const headers = new Headers(init?.headers)
      headers.set('authorization', `Bearer ${token}`)
      return await fetch(input, { ...init, headers })
    }
    const factory = new ClientFactory(ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
      transports: [new JsonRpcTransportFactory({ fetchImpl: withToken })],
      cardResolver: new DefaultAgentCardResolver({ fetchImpl: fetch })
    }))
    client = await factory.createFromUrl(url)
  })

  afterAll(async () => { await swarm.stop() })

  it('shows its A2A URL in its status, and serves a public card with the real URL and the swarm\'s skills', async () => {
    assert.equal(gateway.status().a2a, url)
    assert.equal(statSync(gateway.paths.a2aToken).mode & 0o777, 0o600, 'the token file is private')
    assert.equal(swarm.nodes[1]?.status().a2a, null, 'A2A is off by default')
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/)
    assert.doesNotMatch(url, /:0\//, 'port 0 became the real port')
    const res = await fetch(new URL(CARD_PATH, url))
    assert.equal(res.status, 200)
    const card = await res.json() as { name: string, supportedInterfaces: Array<{ url: string, protocolBinding: string, protocolVersion: string }>, capabilities: { streaming: boolean }, securitySchemes: Record<string, { httpAuthSecurityScheme?: { scheme: string } }>, skills: Array<{ id: string, name: string, examples: string[], tags: string[] }> }
    assert.equal(card.name, 'gateway')
    assert.ok(card.supportedInterfaces.some(i => i.url === url && i.protocolBinding === 'JSONRPC' && i.protocolVersion === '1.0'))
    assert.equal(card.capabilities.streaming, true)
    // The v1.0 wire form (ProtoJSON) of a bearer scheme, as the SDK's client reads it.
    assert.equal(card.securitySchemes.bearer?.httpAuthSecurityScheme?.scheme, 'Bearer')
    const seen = await client.getAgentCard()
    assert.equal(seen.securitySchemes.bearer?.scheme?.$case, 'httpAuthSecurityScheme')
    assert.deepEqual(seen.skills.map(s => s.id), ['echo', 'sleep'])
    const echo = card.skills.find(s => s.id === 'echo')
    assert.ok(echo, 'the card lists the skill of the other node')
    assert.deepEqual(echo.examples, ['echo {"x":1}'])
    assert.ok(echo.tags.includes('level:expert'))
    assert.deepEqual(card.skills.map(s => s.id), ['echo', 'sleep'])
  })

  it('SendMessage with skills and a data part blocks until the Task completed, with the echoed artifact', async () => {
    const result = await client.sendMessage(request([text('echo this'), data({ x: 1 })], { skills: ['echo:novice'] }))
    assert.ok(isTask(result))
    assert.equal(result.status?.state, TaskState.TASK_STATE_COMPLETED)
    assert.deepEqual(artifactData(result), [{ echo: { x: 1 } }])
    // The A2A task id is the swarm task id.
    const swarmTask = gateway.task(result.id, 'announcer')
    assert.ok(swarmTask, 'the node knows the task by its A2A id')
    assert.equal(swarmTask.task.status, 'COMPLETE')

    const got = await client.getTask({ tenant: '', id: result.id, historyLength: undefined })
    assert.equal(got.status?.state, TaskState.TASK_STATE_COMPLETED)
    assert.deepEqual(artifactData(got), [{ echo: { x: 1 } }])

    const listed = await client.listTasks({ tenant: '', contextId: '', status: TaskState.TASK_STATE_UNSPECIFIED, pageSize: 50, pageToken: '', historyLength: undefined, statusTimestampAfter: undefined, includeArtifacts: true })
    const mine = listed.tasks.find(t => t.id === result.id)
    assert.ok(mine, 'ListTasks includes the task')
    assert.equal(mine.status?.state, TaskState.TASK_STATE_COMPLETED)
    // An ended task cannot be cancelled.
    await assert.rejects(client.cancelTask({ tenant: '', id: result.id, metadata: undefined }), /cancelable/i)
  })

  it('SendStreamingMessage streams the task, working updates, the artifact and the final completed status', async () => {
    const events: StreamResponse[] = []
    for await (const event of client.sendMessageStream(request([text('stream it'), data({ y: 2 })], { skillId: 'echo' }))) events.push(event)
    const kinds = events.map(e => e.payload?.$case)
    assert.equal(kinds[0], 'task')
    const first = events[0]?.payload
    assert.equal(first?.$case === 'task' ? first.value.status?.state : undefined, TaskState.TASK_STATE_SUBMITTED, 'the stream opens with the submitted task')
    const states = events.flatMap(e => e.payload?.$case === 'statusUpdate' ? [e.payload.value.status?.state] : [])
    // Then working (group formed, progress…), and completed once, at the end.
    assert.deepEqual(states.filter((s, i) => s !== states[i - 1]), [TaskState.TASK_STATE_WORKING, TaskState.TASK_STATE_COMPLETED], `states: ${states.join(', ')}`)
    const artifact = events.find(e => e.payload?.$case === 'artifactUpdate')
    assert.ok(artifact?.payload?.$case === 'artifactUpdate')
    const part = artifact.payload.value.artifact?.parts[0]
    assert.deepEqual(part?.content, { $case: 'data', value: { echo: { y: 2 } } })
    assert.ok(kinds.indexOf('artifactUpdate') < kinds.lastIndexOf('statusUpdate'), 'the artifact comes before the final status')
  })

  it('CancelTask cancels a long task in the swarm', async () => {
    const stream = client.sendMessageStream(request([text('sleep a minute')], { skills: ['sleep:novice'] }))
    let taskId: string | undefined
    let cancelled: Promise<Task> | undefined
    const states: TaskState[] = []
    for await (const event of stream) {
      if (event.payload?.$case === 'task') taskId = event.payload.value.id
      if (event.payload?.$case !== 'statusUpdate') continue
      const state = event.payload.value.status?.state
      if (state !== undefined) states.push(state)
      if (state === TaskState.TASK_STATE_WORKING && cancelled === undefined && taskId !== undefined) {
        cancelled = client.cancelTask({ tenant: '', id: taskId, metadata: undefined })
      }
    }
    assert.ok(cancelled, 'the task was working before it was cancelled')
    assert.equal((await cancelled).status?.state, TaskState.TASK_STATE_CANCELED)
    assert.equal(states.at(-1), TaskState.TASK_STATE_CANCELED)
    assert.equal(gateway.task(taskId as string, 'announcer')?.task.status, 'CANCELLED')
  })

  it('GetTask and CancelTask reach a task the node announced otherwise (control API, CLI): the swarm task is cancelled', async () => {
    const handle = await gateway.announce({ description: 'sleep, announced through the node API', skills: [{ name: 'sleep', minLevel: 'novice', count: 1 }] })
    const seen = await client.getTask({ tenant: '', id: handle.id, historyLength: undefined })
    assert.ok(seen.status?.state === TaskState.TASK_STATE_SUBMITTED || seen.status?.state === TaskState.TASK_STATE_WORKING, `not final yet: ${seen.status?.state}`)
    const cancelled = await client.cancelTask({ tenant: '', id: handle.id, metadata: undefined })
    assert.equal(cancelled.status?.state, TaskState.TASK_STATE_CANCELED)
    assert.equal((await handle.result()).status, 'CANCELLED', 'the swarm task itself was cancelled, not only its A2A view')
    assert.equal((await client.getTask({ tenant: '', id: handle.id, historyLength: undefined })).status?.state, TaskState.TASK_STATE_CANCELED)
  })

  it('a message without skills is an InvalidParams error that lists the skills the node knows, and the server goes on', async () => {
    await assert.rejects(client.sendMessage(request([text('do something')], undefined)), (err: Error) => {
      assert.match(err.message, /metadata\.skills/)
      assert.match(err.message, /echo \(best level expert\)/)
      assert.match(err.message, /sleep/)
      return true
    })
    // The same for a stream: an error before any event.
    await assert.rejects(async () => { for await (const event of client.sendMessageStream(request([text('do something')], undefined))) assert.fail(`no event expected, got ${event.payload?.$case}`) }, /echo \(best level expert\)/)
    const after = await client.sendMessage(request([data('still here')], { skills: ['echo:novice'] }))
    assert.ok(isTask(after))
    assert.equal(after.status?.state, TaskState.TASK_STATE_COMPLETED)
  })

  it('answers 401 without the token, and a JSON-RPC error to a body that is not JSON', async () => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'A2A-Version': '1.0' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'GetTask', params: { id: 'x' } }) })
    assert.equal(res.status, 401)
    const bad = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: '{not json' })
    const body = await bad.json() as { error: { code: number } }
    assert.equal(body.error.code, -32700)
    const unknown = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'A2A-Version': '1.0', authorization: `Bearer ${token}` }, body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'NoSuchMethod', params: {} }) })
    assert.equal(((await unknown.json()) as { error: { code: number } }).error.code, -32601)
    // A v1.0 method name without the A2A-Version header is read as v0.3, where it does not exist.
    const noHeader = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'GetTask', params: { id: 'x' } }) })
    assert.equal(((await noHeader.json()) as { error: { code: number } }).error.code, -32601)
    // And it keeps serving: the card, and a task.
    const card = await fetch(new URL(CARD_PATH, url))
    assert.equal(card.status, 200)
    const after = await client.sendMessage(request([data('after bad requests')], { skills: ['echo:novice'] }))
    assert.ok(isTask(after))
    assert.equal(after.status?.state, TaskState.TASK_STATE_COMPLETED)
  })

  it('takes raw v0.3 calls (no A2A-Version header): message/send, tasks/get and message/stream, answered in v0.3 form', async () => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 7,
        method: 'message/send',
        params: {
          message: { kind: 'message', messageId: 'legacy-1', role: 'user', parts: [{ kind: 'text', text: 'old client' }, { kind: 'data', data: { legacy: true } }], metadata: { skills: ['echo:novice'] } },
          configuration: { blocking: true }
        }
      })
    })
    assert.equal(res.status, 200)
    const body = await res.json() as { id: number, result?: { kind: string, id: string, status: { state: string }, artifacts?: Array<{ parts: Array<{ kind: string, data?: unknown }> }> }, error?: unknown }
    assert.equal(body.id, 7)
    assert.equal(body.error, undefined, JSON.stringify(body.error))
    assert.equal(body.result?.kind, 'task')
    assert.equal(body.result?.status.state, 'completed')
    assert.deepEqual(body.result?.artifacts?.[0]?.parts.find(p => p.kind === 'data')?.data, { echo: { legacy: true } })
    const got = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ jsonrpc: '2.0', id: 8, method: 'tasks/get', params: { id: body.result?.id } }) })
    const task = await got.json() as { result?: { status: { state: string } } }
    assert.equal(task.result?.status.state, 'completed')
    // message/stream: server-sent events in v0.3 form, ending completed.
    const streamed = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'message/stream', params: { message: { kind: 'message', messageId: 'legacy-2', role: 'user', parts: [{ kind: 'data', data: { legacy: 2 } }], metadata: { skills: ['echo:novice'] } } } })
    })
    assert.match(streamed.headers.get('content-type') ?? '', /text\/event-stream/)
    const results = (await streamed.text()).split('\n').filter(l => l.startsWith('data: ')).map(l => (JSON.parse(l.slice('data: '.length)) as { result: { kind: string, status?: { state: string }, final?: boolean } }).result)
    assert.equal(results[0]?.kind, 'task')
    assert.ok(results.some(r => r.kind === 'artifact-update'))
    assert.equal(results.at(-1)?.kind, 'status-update')
    assert.equal(results.at(-1)?.status?.state, 'completed')
  })
})
