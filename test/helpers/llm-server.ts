/**
 * A local model server for tests (no model can run on these machines): it speaks the real wire
 * protocols of OpenAI's chat completions (`POST /v1/chat/completions`, JSON or `stream: true`
 * server-sent events with the usage in the last chunk; `GET /v1/models`) and of Ollama
 * (`POST /api/chat`, an NDJSON stream; `GET /api/tags`), so that the real `openai` and `ollama`
 * clients talk to it. Each model answers what the test scripts; every request is recorded (what
 * the clients sent: model, sampling, messages), and the server counts requests in flight.
 */
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ChatMessageSeen {
  role: string
  content: string
}

/** One request as the server received it. */
export interface RecordedRequest {
  api: 'openai' | 'ollama'
  path: string
  model: string
  messages: ChatMessageSeen[]
  stream: boolean
  temperature?: number
  maxTokens?: number
  topP?: number
  format?: string
  authorization?: string
}

/** What a model does with a request. */
export interface ModelScript {
  /** The answer: text, or made from the request. */
  answer: string | ((request: RecordedRequest) => string)
  /** Pause before each streamed piece (a slow model). */
  pieceDelayMs?: number
  /** Characters per streamed piece. */
  pieceChars?: number
}

/** A failure served instead of an answer (the next request of any model, in order). */
export interface ScriptedFailure {
  status: number
  /** The error text (OpenAI: error.message; Ollama: error). */
  message: string
}

export interface LlmTestServer {
  /** http://127.0.0.1:<port> (Ollama's root). */
  url: string
  /** http://127.0.0.1:<port>/v1 (the OpenAI base URL). */
  openaiUrl: string
  readonly requests: RecordedRequest[]
  /** The models and what they answer; add or change them at any time. */
  readonly models: Map<string, ModelScript>
  /** Failures served before any answer, first in first out. */
  readonly failures: ScriptedFailure[]
  /** Chat requests being answered now, and the most at once so far. */
  readonly inFlight: { now: number, max: number }
  close: () => Promise<void>
}

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

async function readJson (req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  const text = Buffer.concat(chunks).toString('utf8')
  return text === '' ? {} : JSON.parse(text) as Record<string, unknown>
}

function num (value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined
}

function pieces (text: string, size: number): string[] {
  const out: string[] = []
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size))
  return out
}

/** About a token for every 4 characters, at least 1. */
const tokens = (text: string): number => Math.max(1, Math.ceil(text.length / 4))

export async function startLlmServer (models: Record<string, ModelScript> = {}): Promise<LlmTestServer> {
  const state = {
    requests: [] as RecordedRequest[],
    models: new Map(Object.entries(models)),
    failures: [] as ScriptedFailure[],
    inFlight: { now: 0, max: 0 }
  }

  const json = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body))
  }

  const openaiChat = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readJson(req)
    const recorded: RecordedRequest = {
      api: 'openai',
      path: req.url ?? '',
      model: String(body.model),
      messages: (body.messages as ChatMessageSeen[] | undefined) ?? [],
      stream: body.stream === true,
      ...(num(body.temperature) !== undefined ? { temperature: num(body.temperature) } : {}),
      ...(num(body.max_tokens) !== undefined ? { maxTokens: num(body.max_tokens) } : {}),
      ...(num(body.top_p) !== undefined ? { topP: num(body.top_p) } : {}),
      ...(req.headers.authorization !== undefined ? { authorization: req.headers.authorization } : {})
    }
    state.requests.push(recorded)
    const failure = state.failures.shift()
    if (failure !== undefined) return json(res, failure.status, { error: { message: failure.message, type: 'test', code: null } })
    const script = state.models.get(recorded.model)
    if (script === undefined) return json(res, 404, { error: { message: `The model \`${recorded.model}\` does not exist.`, type: 'invalid_request_error', code: 'model_not_found' } })
    const answer = typeof script.answer === 'function' ? script.answer(recorded) : script.answer
    const usage = { prompt_tokens: tokens(recorded.messages.map(m => m.content).join(' ')), completion_tokens: tokens(answer) }
    const id = `chatcmpl-${state.requests.length}`
    const created = Math.floor(Date.now() / 1000)
    if (!recorded.stream) {
      return json(res, 200, { id, object: 'chat.completion', created, model: recorded.model, choices: [{ index: 0, message: { role: 'assistant', content: answer }, finish_reason: 'stop' }], usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } })
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' })
    const send = (chunk: unknown): void => { res.write(`data: ${JSON.stringify(chunk)}\n\n`) }
    const chunk = (delta: Record<string, unknown>, finish: string | null): unknown => ({ id, object: 'chat.completion.chunk', created, model: recorded.model, choices: [{ index: 0, delta, finish_reason: finish }] })
    send(chunk({ role: 'assistant', content: '' }, null))
    for (const piece of pieces(answer, script.pieceChars ?? 8)) {
      if (script.pieceDelayMs !== undefined) await sleep(script.pieceDelayMs)
      // The client went away (it gave up): stop, as a real server does.
      if (res.destroyed) return
      send(chunk({ content: piece }, null))
    }
    send(chunk({}, 'stop'))
    const includeUsage = (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true
    if (includeUsage) send({ id, object: 'chat.completion.chunk', created, model: recorded.model, choices: [], usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } })
    res.write('data: [DONE]\n\n')
    res.end()
  }

  const ollamaChat = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readJson(req)
    const options = (body.options as Record<string, unknown> | undefined) ?? {}
    const recorded: RecordedRequest = {
      api: 'ollama',
      path: req.url ?? '',
      model: String(body.model),
      messages: (body.messages as ChatMessageSeen[] | undefined) ?? [],
      stream: body.stream !== false,
      ...(num(options.temperature) !== undefined ? { temperature: num(options.temperature) } : {}),
      ...(num(options.num_predict) !== undefined ? { maxTokens: num(options.num_predict) } : {}),
      ...(num(options.top_p) !== undefined ? { topP: num(options.top_p) } : {}),
      ...(typeof body.format === 'string' ? { format: body.format } : {}),
      ...(req.headers.authorization !== undefined ? { authorization: req.headers.authorization } : {})
    }
    state.requests.push(recorded)
    const failure = state.failures.shift()
    if (failure !== undefined) return json(res, failure.status, { error: failure.message })
    const script = state.models.get(recorded.model)
    if (script === undefined) return json(res, 404, { error: `model "${recorded.model}" not found, try pulling it first` })
    const answer = typeof script.answer === 'function' ? script.answer(recorded) : script.answer
    const createdAt = new Date().toISOString()
    const final = { model: recorded.model, created_at: createdAt, message: { role: 'assistant', content: '' }, done: true, done_reason: 'stop', total_duration: 1_000_000, load_duration: 1000, prompt_eval_count: tokens(recorded.messages.map(m => m.content).join(' ')), prompt_eval_duration: 1000, eval_count: tokens(answer), eval_duration: 1000 }
    if (!recorded.stream) return json(res, 200, { ...final, message: { role: 'assistant', content: answer } })
    res.writeHead(200, { 'content-type': 'application/x-ndjson' })
    for (const piece of pieces(answer, script.pieceChars ?? 8)) {
      if (script.pieceDelayMs !== undefined) await sleep(script.pieceDelayMs)
      if (res.destroyed) return
      res.write(`${JSON.stringify({ model: recorded.model, created_at: createdAt, message: { role: 'assistant', content: piece }, done: false })}\n`)
    }
    res.write(`${JSON.stringify(final)}\n`)
    res.end()
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '').split('?')[0]
    if (req.method === 'GET' && path === '/v1/models') {
      return json(res, 200, { object: 'list', data: [...state.models.keys()].map(id => ({ id, object: 'model', created: 0, owned_by: 'test' })) })
    }
    if (req.method === 'GET' && path === '/api/tags') {
      return json(res, 200, { models: [...state.models.keys()].map(name => ({ name, model: name, modified_at: new Date(0).toISOString(), size: 1, digest: 'test', details: { format: 'gguf', family: 'test', parameter_size: '1B', quantization_level: 'Q4' } })) })
    }
    const chat = req.method === 'POST' && path === '/v1/chat/completions' ? openaiChat : req.method === 'POST' && path === '/api/chat' ? ollamaChat : undefined
    if (chat === undefined) return json(res, 404, { error: `no route ${req.method ?? ''} ${path ?? ''}` })
    state.inFlight.now++
    state.inFlight.max = Math.max(state.inFlight.max, state.inFlight.now)
    try {
      await chat(req, res)
    } finally {
      state.inFlight.now--
    }
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(err => {
      if (!res.headersSent) json(res, 500, { error: String(err) })
      else res.end()
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const url = `http://127.0.0.1:${port}`
  return {
    url,
    openaiUrl: `${url}/v1`,
    ...state,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>(resolve => server.close(() => { resolve() }))
    }
  }
}
