import { PeerAccess } from './net/access.js'
import { readSwarmKey } from './net/private-network.js'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { readApiInfo } from './api/control-api.js'
import { metricsEnabled, parseConfig } from './config.js'
import { ensureDataDir } from './data-dir.js'
import { SwarmError } from './errors.js'
import { loadOrCreatePrivateKey, loadOrCreateToken } from './identity.js'
import { acquireDataDirLock } from './lock.js'
import { createLogger, fileSink, stderrSink } from './logger.js'
import { NodeMetrics } from './metrics/node-metrics.js'
import { keySigner } from './net/key-signer.js'
import { buildLibp2p } from './net/libp2p.js'
import { PeerPenalties } from './net/penalties.js'
import { SwarmNode } from './node.js'
import { systemClock } from './ports/clock.js'
import { SwarmStore } from './store/store.js'
import type { NodeConfig, NodeConfigInput } from './config.js'
import type { DataDirLock } from './lock.js'
import type { DataDirPaths } from './data-dir.js'
import type { Logger, LogSink } from './logger.js'
import type { SwarmLibp2p } from './net/libp2p.js'
import type { PrivateKey } from '@libp2p/interface'

export interface CreateSwarmNodeOptions {
  /** A logger to use instead of the node's JSON-lines log file. */
  logger?: Logger
  /** Extra log sinks next to the log file. */
  logSinks?: LogSink[]
  /** Start right away (default true). */
  start?: boolean
  /**
   * The node's identity, instead of the key in the data directory (e.g. the registry's fixed
   * key, so that its address is known before it starts).
   */
  privateKey?: PrivateKey
}

/** The sink of the node's JSON-lines log: a file, or standard error for `-`. */
function logSink (logFile: string): LogSink {
  if (logFile === '-') return stderrSink()
  try {
    mkdirSync(dirname(logFile), { recursive: true, mode: 0o700 })
    return fileSink(logFile)
  } catch (err) {
    throw new SwarmError('DATA_DIR', `cannot write the log file ${logFile}: ${(err as Error).message}; pass --log-file with a file you can write, or --log-file - for standard error`, { logFile })
  }
}

/** How the user reaches the node holding a data directory: its control API, from `api.json`. */
function holderApi (apiInfo: string, pid: number): string {
  const info = readApiInfo(apiInfo)
  return info !== undefined && info.pid === pid ? `control API ${info.url}` : 'control API not published'
}

/**
 * Creates (and by default starts) a swarm node: validates the config, takes the data
 * directory's lock (one node per data directory), loads or creates its identity and API token
 * there, opens the log and the store, assembles libp2p, and hands all of it to the node, which
 * wires its services. The lock is released when the node stops, or here if anything fails.
 */
export async function createSwarmNode (input: NodeConfigInput | NodeConfig = {}, options: CreateSwarmNodeOptions = {}): Promise<SwarmNode> {
  const config = parseConfig(input)
  const paths = ensureDataDir(config.dataDir)
  const lock = acquireDataDirLock(paths.lock, owner => holderApi(paths.apiInfo, owner.pid))
  try {
    return await assemble(config, paths, lock, options)
  } catch (err) {
    lock.release()
    throw err
  }
}

async function assemble (config: NodeConfig, paths: DataDirPaths, lock: DataDirLock, options: CreateSwarmNodeOptions): Promise<SwarmNode> {
  const sinks: LogSink[] = [logSink(config.logFile ?? paths.log), ...(options.logSinks ?? [])]
  if (config.logToStderr && config.logFile !== '-') sinks.push(stderrSink())
  const logger = options.logger ?? createLogger({ level: config.logLevel, sinks, fields: config.name !== undefined ? { node: config.name } : {} })
  if (lock.tookOverFrom !== undefined) logger.warn('took over the stale lock of a node that is gone', { lock: lock.path, pid: lock.tookOverFrom.pid })
  const privateKey = options.privateKey ?? await loadOrCreatePrivateKey(paths.privateKey)
  const apiToken = loadOrCreateToken(paths.apiToken)
  const blocked = new Set<string>()
  const access = new PeerAccess({ allow: config.allow, deny: config.deny, ...(config.storage === 'memory' ? {} : { file: paths.blocked }) }, logger.child('access'))
  const swarmKey = config.swarmKey !== undefined ? readSwarmKey(config.swarmKey) : undefined
  const store = SwarmStore.open(config.storage === 'memory' ? ':memory:' : paths.database)
  const metrics = metricsEnabled(config) ? new NodeMetrics({ process: config.metrics.process }) : undefined
  // The penalty book comes before libp2p: gossipsub's peer score reads it (net/gossip-score.ts).
  const penalties = new PeerPenalties({ clock: systemClock }, config.penalties)
  let libp2p: SwarmLibp2p
  try {
    libp2p = await buildLibp2p({ privateKey, config, blocked, logger, permits: peer => access.permits(peer), penaltyScore: peer => penalties.score(peer), ...(swarmKey !== undefined ? { swarmKey } : {}), ...(metrics !== undefined ? { metricsRegistry: metrics.registry } : {}) })
  } catch (err) {
    store.close()
    throw err
  }
  const node = new SwarmNode({ config, paths, libp2p, logger, apiToken, store, clock: systemClock, blocked, access, penalties, signer: keySigner(privateKey), lock, ...(metrics !== undefined ? { metrics } : {}) })
  if (options.start !== false) await node.start()
  return node
}
