/**
 * What the MCP unit tests share: a fake control API (a node:http server answering the routes a
 * test gives it, recording every request) and a real SDK client connected to the swarm MCP
 * server over the SDK's in-memory transport pair.
 */
import { createServer } from 'node:http'
import { Client, InMemoryTransport } from '@modelcontextprotocol/client'
import { ApiClient } from '../src/api-client.js'
import { createMcpServer } from '../src/mcp/server.js'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

const TOKEN = 'mcp-test-token'
export const PEER = '12D3KooWDpJ7As7BWAwRMfu1VU8WsG8Qb7uwYKswXrNS3RNA6XX3'

/** A request the fake node got. */
export interface Asked {
  method: string
  url: string
  body: unknown
}

/** What a route answers: JSON with a status, or a hand-written response (event streams). */
export type Answer = { status?: number, json: unknown } | ((res: ServerResponse, req: IncomingMessage) => void)
export type Route = (body: unknown, match: RegExpExecArray) => Answer

/** A route table: `"METHOD /path-regex"` → route. */
export type Routes = Record<string, Route>

export class FakeNode {
  readonly asked: Asked[] = []
  /** Event streams the MCP server opened and closed again. */
  closedStreams: string[] = []
  routes: Routes
  readonly #server: Server
  url = ''

  constructor (routes: Routes) {
    this.routes = routes
    this.#server = createServer((req, res) => { this.#handle(req, res) })
  }

  async start (): Promise<void> {
    await new Promise<void>(resolve => this.#server.listen(0, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`
  }

  async stop (): Promise<void> {
    this.#server.closeAllConnections()
    await new Promise<void>(resolve => this.#server.close(() => { resolve() }))
  }

  /** The bodies of the requests to `method url`. */
  bodies (method: string, url: string): unknown[] {
    return this.asked.filter(a => a.method === method && a.url === url).map(a => a.body)
  }

  #handle (req: IncomingMessage, res: ServerResponse): void {
    let text = ''
    req.on('data', (chunk: Buffer) => { text += chunk.toString() })
    req.on('end', () => {
      const url = req.url ?? ''
      const method = req.method ?? 'GET'
      const body: unknown = text === '' ? undefined : JSON.parse(text)
      this.asked.push({ method, url, body })
      if (req.headers.authorization !== `Bearer ${TOKEN}`) return send(res, 401, { error: { code: 'API_UNAUTHORIZED', message: 'bad token' } })
      for (const [key, route] of Object.entries(this.routes)) {
        const [m, pattern] = key.split(' ')
        const match = new RegExp(`^${pattern ?? ''}$`).exec(url)
        if (m !== method || match === null) continue
        const answer = route(body, match)
        if (typeof answer === 'function') {
          res.on('close', () => { this.closedStreams.push(url) })
          answer(res, req)
        } else {
          send(res, answer.status ?? 200, answer.json)
        }
        return
      }
      send(res, 404, { error: { code: 'NOT_FOUND', message: `no route ${method} ${url}` } })
    })
  }
}

function send (res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(value))
}

/** Starts an event stream and writes these events (more can be written later with `sse`). */
export function openStream (res: ServerResponse, events: Array<[string, unknown]> = []): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' })
  for (const [event, data] of events) sse(res, event, data)
}

export function sse (res: ServerResponse, event: string, data: unknown): void {
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
}

/** A node error as the control API answers it. */
export function nodeError (status: number, code: string, message: string): Answer {
  return { status, json: { error: { code, message } } }
}

/** A real MCP client connected to the swarm MCP server of `node`. */
export async function connect (node: FakeNode, name = 'unit-client'): Promise<Client> {
  const server = createMcpServer(new ApiClient({ url: node.url, token: TOKEN }))
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair()
  await server.connect(serverSide)
  const client = new Client({ name, version: '1.0.0' })
  await client.connect(clientSide)
  return client
}

/** The text of a tool result. */
export function textOf (result: { content?: unknown }): string {
  const content = Array.isArray(result.content) ? result.content as Array<{ type: string, text?: string }> : []
  return content.filter(c => c.type === 'text').map(c => c.text ?? '').join('\n')
}

/** A task as `GET /v1/tasks/:id` answers it. */
export function taskDetail (taskId: string, status: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const summary = { taskId, status, description: 'review the patch', skills: [{ name: 'review', minLevel: 'novice', count: 1 }], createdAt: 1, updatedAt: 2, durationMs: 1, attempts: 1, maxAttempts: 3, members: [] }
  return {
    task: { taskId, role: 'announcer', status, createdAt: 1, updatedAt: 2, spec: {}, state: { status, attempt: 1, maxAttempts: 3, members: [{ peerId: PEER, skills: ['review'] }], history: [] }, summary, groupId: 'G1', ...extra },
    audit: [{ at: 1, actor: PEER, action: 'announced' }]
  }
}
