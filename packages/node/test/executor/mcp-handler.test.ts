/**
 * The `mcp` handler against MCP servers built with the official SDK (1.x): one started over
 * stdio from a fixture, one reached over Streamable HTTP in this process.
 */
import { afterAll, beforeAll, describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { fileURLToPath } from 'node:url'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import { z } from 'zod'
import { HandlerError, runHandler } from '../../src/executor/index.js'
import { mcpHandler } from '../../src/executor/mcp-handler.js'
import { toolArguments, toolOutput } from '../../src/executor/mcp-result.js'
import { silentLogger } from '../../src/logger.js'
import type { HandlerContext, RunHandlerContext } from '../../src/executor/index.js'
import type { Json } from '@swarm/protocol'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'

// Compiled to dist/test/executor; the fixtures stay in the source tree.
const SERVER = fileURLToPath(new URL('../../../test/fixtures/executor/mcp-server.mjs', import.meta.url))

function context (signal: AbortSignal = new AbortController().signal): HandlerContext & { progress: RunHandlerContext['progress'], seen: Array<{ fraction: number, message?: string }> } {
  const seen: Array<{ fraction: number, message?: string }> = []
  return {
    taskId: 'task-mcp',
    groupId: 'group-mcp',
    skill: 'add',
    description: 'add two numbers',
    members: [],
    deadline: Date.now() + 60_000,
    attempt: 1,
    signal,
    progress: (fraction, message) => { seen.push({ fraction, ...(message !== undefined ? { message } : {}) }) },
    saveCheckpoint: () => {},
    log: silentLogger(),
    seen
  }
}

async function failure (promise: Promise<unknown>): Promise<HandlerError> {
  try {
    await promise
  } catch (err) {
    assert.ok(err instanceof HandlerError, `expected a HandlerError, got ${String(err)}`)
    return err
  }
  assert.fail('expected the handler to fail')
}

const stdio = (tool: string): ReturnType<typeof mcpHandler> => mcpHandler({ kind: 'mcp', tool, command: process.execPath, args: [SERVER] })

describe('mcp-result', () => {
  it('passes an object input as the arguments and wraps anything else', () => {
    assert.deepEqual(toolArguments({ a: 1 }), { a: 1 })
    assert.deepEqual(toolArguments('text'), { input: 'text' })
    assert.deepEqual(toolArguments([1, 2]), { input: [1, 2] })
  })

  it('takes the structured content, else the text (parsed when JSON), describing other content', () => {
    assert.deepEqual(toolOutput({ content: [{ type: 'text', text: '3' }], structuredContent: { sum: 3 } }), { sum: 3 })
    assert.deepEqual(toolOutput({ content: [{ type: 'text', text: '{"x":1}' }] }), { x: 1 })
    assert.equal(toolOutput({ content: [{ type: 'text', text: 'plain words' }] }), 'plain words')
    assert.deepEqual(toolOutput({ content: [{ type: 'text', text: 'a' }, { type: 'image', mimeType: 'image/png', data: '…' }] }), ['a', { type: 'image', mimeType: 'image/png' }])
    assert.equal(toolOutput({ content: [] }), null)
  })
})

describe('the mcp handler over stdio (a server the handler starts)', () => {
  it('returns the tool\'s structured result', async () => {
    assert.deepEqual(await stdio('add')({ a: 2, b: 3 }, context()), { sum: 5 })
  })

  it('passes a non-object input as { input } and returns a text result as text', async () => {
    assert.equal(await stdio('shout')('quiet please', context()), 'QUIET PLEASE')
  })

  it('turns a tool error into HANDLER_TOOL_ERROR with the tool\'s message', async () => {
    const err = await failure(stdio('boom')({}, context()))
    assert.equal(err.code, 'HANDLER_TOOL_ERROR')
    assert.match(err.message, /the tool "boom" of the MCP server .* failed: the reactor is on fire/)
  })

  it('reports bad arguments with the server\'s own validation message', async () => {
    const err = await failure(stdio('add')({ a: 'two', b: 3 }, context()))
    assert.equal(err.code, 'HANDLER_TOOL_ERROR')
    assert.match(err.message, /\ba\b/)
  })

  it('names the tools the server has when the tool does not exist', async () => {
    const err = await failure(stdio('multiply')({}, context()))
    assert.equal(err.code, 'HANDLER_NOT_FOUND')
    assert.match(err.message, /has no tool "multiply"; it has add, shout, boom, slow/)
  })

  it('forwards the tool\'s progress and stops the server when the part is stopped', async () => {
    const ctx = context()
    let stop = (): void => {}
    const progressed = new Promise<void>(resolve => { stop = resolve })
    const outer = new AbortController()
    const running = runHandler(stdio('slow'), {}, { ...ctx, signal: outer.signal, progress: (fraction, message) => { ctx.seen.push({ fraction, ...(message !== undefined ? { message } : {}) }); stop() } }, 60_000)
    await progressed
    assert.deepEqual(ctx.seen, [{ fraction: 0.25, message: 'warming up' }])
    outer.abort(new HandlerError('HANDLER_ABORTED', 'the task was cancelled'))
    const outcome = await running
    assert.equal(outcome.ok, false)
    assert.equal(outcome.ok === false ? outcome.error.code : '', 'HANDLER_ABORTED')
  })

  it('says the server could not be started, naming it', async () => {
    const err = await failure(mcpHandler({ kind: 'mcp', tool: 'add', command: '/nonexistent/mcp-server' })({}, context()))
    assert.equal(err.code, 'HANDLER_CRASHED')
    assert.match(err.message, /the MCP server "\/nonexistent\/mcp-server" could not be reached/)
  })

  it('refuses a configuration with both or neither of command and url', () => {
    assert.throws(() => mcpHandler({ kind: 'mcp', tool: 'add' }), /exactly one of command .* or url/)
    assert.throws(() => mcpHandler({ kind: 'mcp', tool: 'add', command: 'x', url: 'http://127.0.0.1:1/mcp' }), /exactly one of command/)
  })
})

describe('the mcp handler over Streamable HTTP (a server reached by URL)', () => {
  let server: Server
  let url: string

  beforeAll(async () => {
    // Stateless: a server and a transport per request, as the SDK documents it.
    server = createServer((req, res) => {
      const mcp = new McpServer({ name: 'http-tools', version: '1.0.0' })
      mcp.registerTool('join', { inputSchema: { words: z.array(z.string()) }, outputSchema: { text: z.string() } },
        async ({ words }) => ({ content: [{ type: 'text', text: words.join(' ') }], structuredContent: { text: words.join(' ') } }))
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined })
      res.on('close', () => { void transport.close(); void mcp.close() })
      void mcp.connect(transport).then(async () => { await transport.handleRequest(req, res) })
    })
    await new Promise<void>(resolve => { server.listen(0, '127.0.0.1', resolve) })
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise(resolve => server.close(resolve))
  })

  it('calls the tool at the URL and returns its structured result', async () => {
    const handler = mcpHandler({ kind: 'mcp', tool: 'join', url })
    const output: Json = await handler({ words: ['swarm', 'of', 'tools'] }, context())
    assert.deepEqual(output, { text: 'swarm of tools' })
  })

  it('says the server cannot be reached (HANDLER_HTTP) when nothing listens there', async () => {
    const err = await failure(mcpHandler({ kind: 'mcp', tool: 'join', url: 'http://127.0.0.1:9/mcp' })({}, context()))
    assert.equal(err.code, 'HANDLER_HTTP')
    assert.match(err.message, /the MCP server at http:\/\/127\.0\.0\.1:9\/mcp could not be reached/)
  })
})
