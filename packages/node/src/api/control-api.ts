import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { ControlApiServer } from './server.js'
import { nodeRoutes } from './routes/index.js'
import type { NodeApi } from './node-api.js'
import type { NodeConfig } from '../config.js'
import type { Logger } from '../logger.js'
import type { Startable } from '@libp2p/interface'

export interface ControlApiInit {
  api: NodeConfig['api']
  token: string
  /** Where the CLI finds the API of the node of a data directory (`api.json`). */
  infoFile: string
}

/** What `api.json` holds: where the node of a data directory serves its control API. */
export interface ApiInfo {
  url: string
  peerId: string
  pid: number
}

/** Reads `api.json`; undefined when it is missing or not one. */
export function readApiInfo (file: string): ApiInfo | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<ApiInfo>
    if (typeof parsed.url !== 'string' || typeof parsed.pid !== 'number') return undefined
    return { url: parsed.url, peerId: typeof parsed.peerId === 'string' ? parsed.peerId : '', pid: parsed.pid }
  } catch {
    return undefined
  }
}

/**
 * The control API as a part of the node's lifecycle: serves the routes over the node's API on
 * start and writes `api.json` (URL, peer id, pid) for the CLI; closes on stop and removes the
 * file only if it is still the one this process wrote (never another node's).
 */
export class ControlApi implements Startable {
  readonly #node: NodeApi
  readonly #init: ControlApiInit
  readonly #log: Logger
  #server?: ControlApiServer
  #written?: ApiInfo

  constructor (node: NodeApi, init: ControlApiInit, logger: Logger) {
    this.#node = node
    this.#init = init
    this.#log = logger
  }

  get url (): string | undefined {
    return this.#server?.url
  }

  async start (): Promise<void> {
    const { api, token, infoFile } = this.#init
    if (!api.enabled) return
    this.#server = new ControlApiServer({ host: api.host, port: api.port, token, routes: nodeRoutes(this.#node), logger: this.#log })
    const url = await this.#server.start()
    if (api.public) this.#log.warn('the control API is public: other machines can reach it (every request needs the token)', { url, host: api.host })
    const info: ApiInfo = { url, peerId: this.#node.peerId.toString(), pid: process.pid }
    writeFileSync(infoFile, JSON.stringify(info) + '\n', { mode: 0o600 })
    this.#written = info
  }

  async stop (): Promise<void> {
    if (this.#server === undefined) return
    await this.#server.stop()
    const written = this.#written
    this.#written = undefined
    const onDisk = readApiInfo(this.#init.infoFile)
    if (onDisk === undefined) return
    if (written !== undefined && onDisk.pid === written.pid && onDisk.url === written.url) rmSync(this.#init.infoFile, { force: true })
    else this.#log.warn('api.json is not the one this node wrote; left in place', { file: this.#init.infoFile, pid: onDisk.pid, url: onDisk.url })
  }
}
