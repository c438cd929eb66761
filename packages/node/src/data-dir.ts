import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { SwarmError } from './errors.js'

/** The files a node keeps in its data directory. */
export interface DataDirPaths {
  root: string
  /** libp2p private key, protobuf-encoded, mode 0600. */
  privateKey: string
  /** Bearer token of the control API, mode 0600. */
  apiToken: string
  /** Bearer token of the A2A server (created when it first starts), mode 0600. */
  a2aToken: string
  /** Where the running node's control API listens (written at start, removed at stop by its writer). */
  apiInfo: string
  /** Held by the running node (its pid): one node per data directory. */
  lock: string
  /** Embedded SQLite database. */
  database: string
  /** JSON-lines log. */
  log: string
  /** Peers blocked at run time (`swarm-node block`), kept across restarts. */
  blocked: string
}

export function dataDirPaths (root: string): DataDirPaths {
  return {
    root,
    privateKey: join(root, 'peer.key'),
    apiToken: join(root, 'api-token'),
    a2aToken: join(root, 'a2a-token'),
    apiInfo: join(root, 'api.json'),
    lock: join(root, 'node.lock'),
    database: join(root, 'swarm.db'),
    log: join(root, 'node.log'),
    blocked: join(root, 'blocked.json')
  }
}

/**
 * Creates `path` and its missing parents one level at a time. Not `mkdirSync(…, { recursive })`:
 * under a file system that refuses new entries with ENOENT (/proc, /sys) Node's recursive mkdir
 * retries forever, and the node would hang at start instead of saying the folder is unusable.
 */
function makeDirs (path: string): void {
  const missing: string[] = []
  for (let dir = resolve(path); !existsSync(dir); dir = dirname(dir)) {
    missing.unshift(dir)
    if (dirname(dir) === dir) break
  }
  for (const dir of missing) mkdirSync(dir, { mode: 0o700 })
}

/** Creates the data directory (mode 0700) if needed and checks that it is a writable folder. */
export function ensureDataDir (root: string): DataDirPaths {
  try {
    makeDirs(root)
    if (!statSync(root).isDirectory()) throw new Error('not a directory')
    chmodSync(root, 0o700)
  } catch (err) {
    throw new SwarmError('DATA_DIR', `cannot use data directory ${root}: ${(err as Error).message}; pass --data-dir with a folder you can write`, { root })
  }
  return dataDirPaths(root)
}
