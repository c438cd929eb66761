/**
 * One node per data directory: the running node holds `node.lock` (its pid), so that a second
 * node on the same folder (same identity, same database) refuses to start instead of running
 * next to the first and removing its `api.json` when it stops.
 */
import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { resolve } from 'node:path'
import { SwarmError } from './errors.js'

/** What the lock file holds. */
export interface LockOwner {
  pid: number
  hostname: string
  /** Epoch ms when the lock was taken. */
  since: number
}

/** A held lock, released (only if it is still ours) by `release`. */
export interface DataDirLock {
  readonly path: string
  /** The pid of a dead holder whose stale lock was taken over, for the log. */
  readonly tookOverFrom?: LockOwner
  release: () => void
}

/** Lock files held by this process: a lock naming our own pid is stale unless it is in here. */
const heldHere = new Set<string>()

/** Attempts to take the lock before giving up (each lost race to another starter is one). */
const MAX_ATTEMPTS = 5

/** True when a process with this pid exists (EPERM: it exists, owned by someone else). */
export function pidAlive (pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The holder named in a lock file; undefined when the file is gone, unreadable or not a lock. */
function readLockOwner (path: string): LockOwner | undefined | 'gone' {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'gone'
    return undefined
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockOwner>
    if (typeof parsed.pid !== 'number') return undefined
    return { pid: parsed.pid, hostname: typeof parsed.hostname === 'string' ? parsed.hostname : '', since: typeof parsed.since === 'number' ? parsed.since : 0 }
  } catch {
    return undefined
  }
}

/**
 * Whether the holder of a lock still runs. Our own pid counts as alive only when this process
 * holds the lock: a lock left with our pid is from an earlier process that had the same pid
 * (typical in containers, where the node is often pid 1).
 */
function holderAlive (path: string, owner: LockOwner): boolean {
  if (owner.pid === process.pid) return heldHere.has(path)
  return pidAlive(owner.pid)
}

/** Creates the lock file with its content in one step (link fails if it exists). */
function tryCreate (path: string, owner: LockOwner): boolean {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`
  writeFileSync(tmp, JSON.stringify(owner) + '\n', { mode: 0o600 })
  try {
    linkSync(tmp, path)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw err
  } finally {
    rmSync(tmp, { force: true })
  }
}

/**
 * Moves a stale lock aside (rename is atomic: of two starters, one wins). If what was moved is
 * not the stale lock any more (another starter replaced it meanwhile), it is put back.
 */
function removeStale (path: string, stale: LockOwner | undefined): void {
  const aside = `${path}.stale-${process.pid}`
  try {
    renameSync(path, aside)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw err
  }
  const moved = readLockOwner(aside)
  const same = moved === undefined ? stale === undefined : moved !== 'gone' && stale !== undefined && moved.pid === stale.pid && moved.since === stale.since
  if (same) rmSync(aside, { force: true })
  else renameSync(aside, path)
}

/**
 * Takes the lock of a data directory, or throws DATA_DIR_IN_USE naming the running holder
 * (`describeHolder` adds what the user needs to reach it, e.g. its control API). A lock whose
 * holder is dead (or unreadable) is taken over; `tookOverFrom` says from whom.
 */
export function acquireDataDirLock (file: string, describeHolder: (owner: LockOwner) => string = () => ''): DataDirLock {
  const path = resolve(file)
  const me: LockOwner = { pid: process.pid, hostname: hostname(), since: Date.now() }
  let tookOverFrom: LockOwner | undefined
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    try {
      if (tryCreate(path, me)) {
        heldHere.add(path)
        return { path, ...(tookOverFrom !== undefined ? { tookOverFrom } : {}), release: () => { releaseLock(path, me) } }
      }
    } catch (err) {
      throw new SwarmError('DATA_DIR', `cannot create the lock file ${path}: ${(err as Error).message}; pass --data-dir with a folder you can write`, { path }, { cause: err })
    }
    const owner = readLockOwner(path)
    if (owner === 'gone') continue
    if (owner !== undefined && holderAlive(path, owner)) {
      const extra = describeHolder(owner)
      throw new SwarmError('DATA_DIR_IN_USE',
        `data directory ${path.replace(/[/\\]node\.lock$/, '')} is in use by another swarm-node (pid ${owner.pid}${extra !== '' ? `, ${extra}` : ''}): stop that node first, or pass --data-dir with another folder`,
        { path, pid: owner.pid, hostname: owner.hostname })
    }
    tookOverFrom = owner ?? { pid: 0, hostname: '', since: 0 }
    removeStale(path, owner)
  }
  throw new SwarmError('DATA_DIR_IN_USE', `could not take the lock ${path}: other nodes are starting on the same data directory; start one node per data directory`, { path })
}

/** Removes the lock file if it still names this holder (never another process's lock). */
function releaseLock (path: string, me: LockOwner): void {
  heldHere.delete(path)
  const owner = readLockOwner(path)
  if (owner === 'gone' || owner === undefined) return
  if (owner.pid === me.pid && owner.since === me.since) rmSync(path, { force: true })
}
