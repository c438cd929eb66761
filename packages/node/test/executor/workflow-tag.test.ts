/**
 * The workflow tag of a task (HandlerContext.workflow) as handlers outside the node's process get
 * it: an `exec` program in its SWARM_WORKFLOW_* variables, an `http` service in the body it is
 * POSTed. A task outside a workflow gets none of them.
 */
import { afterAll, beforeAll, describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { silentLogger } from '../../src/logger.js'
import { execHandler, httpHandler } from '../../src/executor/index.js'
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import type { HandlerContext } from '../../src/executor/index.js'
import type { Json, WorkflowTag } from '@swarm/protocol'

// Compiled to dist/test/executor; the fixtures stay in the source tree.
const EXEC_FIXTURE = join(fileURLToPath(new URL('../../../test/fixtures/executor/', import.meta.url)), 'exec-fixture.mjs')
const TAG: WorkflowTag = { workflowId: 'wf-000001', stepId: 'review', iteration: 3, buildsOn: ['clean', 'code_2'] }

function context (workflow?: WorkflowTag): HandlerContext {
  return {
    taskId: 'task-0001',
    groupId: 'group-0001',
    skill: 'review',
    description: 'Review the code',
    members: [],
    deadline: Date.now() + 60_000,
    attempt: 1,
    signal: new AbortController().signal,
    progress: () => {},
    saveCheckpoint: () => {},
    log: silentLogger(),
    ...(workflow !== undefined ? { workflow } : {})
  }
}

describe('exec handler: the workflow tag', () => {
  const handler = execHandler({ kind: 'exec', command: process.execPath, args: [EXEC_FIXTURE, 'echo'] })
  const envOf = async (ctx: HandlerContext): Promise<Record<string, string>> => ((await handler({}, ctx)) as { env: Record<string, string> }).env

  it('names the workflow, the step, its iteration and the steps it builds on in SWARM_WORKFLOW_*', async () => {
    const env = await envOf(context(TAG))
    assert.equal(env.SWARM_WORKFLOW_ID, 'wf-000001')
    assert.equal(env.SWARM_WORKFLOW_STEP, 'review')
    assert.equal(env.SWARM_WORKFLOW_ITERATION, '3')
    assert.equal(env.SWARM_WORKFLOW_BUILDS_ON, 'clean,code_2')
  })

  it('sets none of them outside a workflow', async () => {
    const env = await envOf(context())
    assert.deepEqual(Object.keys(env).filter(k => k.startsWith('SWARM_WORKFLOW_')), [])
    assert.equal(env.SWARM_TASK_ID, 'task-0001')
  })
})

describe('http handler: the workflow tag', () => {
  let server: Server
  let url = ''
  const bodies: Json[] = []

  beforeAll(async () => {
    server = createServer((req, res) => {
      let text = ''
      req.setEncoding('utf8')
      req.on('data', (chunk: string) => { text += chunk })
      req.on('end', () => {
        bodies.push(JSON.parse(text) as Json)
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')
      })
    })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/work`
  })

  afterAll(async () => {
    await new Promise<void>(resolve => server.close(() => { resolve() }))
  })

  it('POSTs the tag with the task, and no tag outside a workflow', async () => {
    const handler = httpHandler({ kind: 'http', url })
    await handler({ clean: 'rows' }, context(TAG))
    await handler({}, context())
    const [tagged, plain] = bodies as Array<Record<string, Json>>
    assert.deepEqual(tagged?.workflow, { ...TAG })
    assert.deepEqual(tagged?.input, { clean: 'rows' })
    assert.ok(plain !== undefined && !('workflow' in plain))
  })
})
