import { existsSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { z } from 'zod'
import { CliError, EXIT } from './exit-codes.js'

export interface ApiTarget {
  url: string
  token: string
}

export interface ApiFlags {
  api?: string
  token?: string
  dataDir?: string
}

const ApiInfoSchema = z.object({ url: z.string().url(), peerId: z.string().optional(), pid: z.number().optional() })

function defaultDataDir (): string {
  return process.env.SWARM_DATA_DIR ?? resolve(homedir(), '.swarm')
}

function readToken (dataDir: string): string | undefined {
  const path = join(dataDir, 'api-token')
  return existsSync(path) ? readFileSync(path, 'utf8').trim() : undefined
}

/**
 * Finds the control API of a running node: `--api` (with `--token`, SWARM_API_TOKEN or the
 * data directory's token), or the `api.json` the node wrote in its data directory.
 */
export function resolveApiTarget (flags: ApiFlags): ApiTarget {
  const dataDir = resolve(flags.dataDir ?? defaultDataDir())
  if (flags.api !== undefined) {
    const token = flags.token ?? process.env.SWARM_API_TOKEN ?? readToken(dataDir)
    if (token === undefined) throw new CliError(EXIT.USAGE, `no API token: pass --token, set SWARM_API_TOKEN, or --data-dir of the node (it keeps the token in <data-dir>/api-token)`)
    return { url: flags.api.replace(/\/$/, ''), token }
  }
  const infoPath = join(dataDir, 'api.json')
  if (!existsSync(infoPath)) {
    throw new CliError(EXIT.UNREACHABLE, `no running swarm-node found in ${dataDir}: start one with "swarm-node start", or point at it with --data-dir or --api`)
  }
  let info: unknown
  try {
    info = JSON.parse(readFileSync(infoPath, 'utf8'))
  } catch {
    info = undefined
  }
  const parsed = ApiInfoSchema.safeParse(info)
  const token = flags.token ?? readToken(dataDir)
  if (!parsed.success || token === undefined) {
    throw new CliError(EXIT.UNREACHABLE, `${infoPath} or the API token beside it is unreadable: restart the node, or pass --api and --token`)
  }
  return { url: parsed.data.url, token }
}

const ErrorBodySchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) })

/** The error a failed API request turns into: its code and message from the node. */
export class ApiError extends Error {
  readonly status: number
  readonly code: string
  constructor (status: number, code: string, message: string) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
  }
}

/** A small client of the control API; every response is validated by the caller's schema. */
export class ApiClient {
  readonly target: ApiTarget

  constructor (target: ApiTarget) {
    this.target = target
  }

  async request<T extends z.ZodType>(method: 'GET' | 'POST' | 'DELETE', path: string, schema: T, body?: unknown, signal?: AbortSignal): Promise<z.infer<T>> {
    let res: Response
    try {
      res = await fetch(this.target.url + path, {
        method,
        headers: { authorization: `Bearer ${this.target.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal
      })
    } catch (err) {
      throw new CliError(EXIT.UNREACHABLE, `cannot reach the node at ${this.target.url} (${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}): is it running?`)
    }
    const text = await res.text()
    let data: unknown
    try {
      data = text === '' ? {} : JSON.parse(text)
    } catch {
      throw new CliError(EXIT.FAILURE, `the node answered ${res.status} with something that is not JSON`)
    }
    if (!res.ok) {
      const err = ErrorBodySchema.safeParse(data)
      if (res.status === 401) throw new CliError(EXIT.UNREACHABLE, 'the node refused the API token (401): pass the right --data-dir or --token')
      if (err.success) throw new ApiError(res.status, err.data.error.code, err.data.error.message)
      throw new ApiError(res.status, 'HTTP_' + String(res.status), `the node answered ${res.status}`)
    }
    const parsed = schema.safeParse(data)
    if (!parsed.success) throw new CliError(EXIT.FAILURE, `unexpected answer from the node for ${path}: ${parsed.error.message}`)
    return parsed.data
  }

  async get<T extends z.ZodType>(path: string, schema: T): Promise<z.infer<T>> {
    return await this.request('GET', path, schema)
  }

  async post<T extends z.ZodType>(path: string, schema: T, body: unknown): Promise<z.infer<T>> {
    return await this.request('POST', path, schema, body)
  }

  /** Reads a server-sent events stream, yielding `{ event, data }` until it ends or is aborted. */
  async * events (path: string, signal?: AbortSignal): AsyncGenerator<{ event: string, data: unknown }> {
    let res: Response
    try {
      res = await fetch(this.target.url + path, { headers: { authorization: `Bearer ${this.target.token}`, accept: 'text/event-stream' }, signal })
    } catch (err) {
      if (signal?.aborted === true) return
      throw new CliError(EXIT.UNREACHABLE, `cannot reach the node at ${this.target.url}: ${(err as Error).message}`)
    }
    if (!res.ok || res.body === null) {
      const text = await res.text()
      const err = ErrorBodySchema.safeParse(safeJson(text))
      if (err.success) throw new ApiError(res.status, err.data.error.code, err.data.error.message)
      throw new ApiError(res.status, 'HTTP_' + String(res.status), `the node answered ${res.status}`)
    }
    const decoder = new TextDecoder()
    let buffer = ''
    try {
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true })
        let end: number
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          let event = 'message'
          const data: string[] = []
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7)
            else if (line.startsWith('data: ')) data.push(line.slice(6))
          }
          if (data.length > 0) yield { event, data: safeJson(data.join('\n')) }
        }
      }
    } catch (err) {
      if (signal?.aborted === true) return
      throw err
    }
  }
}

function safeJson (text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}
