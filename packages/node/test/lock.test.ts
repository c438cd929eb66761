/**
 * The data directory's lock: taken exclusively, refused while its holder lives (naming it),
 * taken over from a dead holder, released only by its holder.
 */
import { afterEach, beforeEach, describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { acquireDataDirLock, pidAlive } from '../src/lock.js'
import { isSwarmError } from '../src/errors.js'

/** The pid of a process that has exited (and been reaped). */
function deadPid (): number {
  const child = spawnSync(process.execPath, ['-e', ''])
  assert.ok(child.pid !== undefined && child.pid > 0)
  assert.equal(pidAlive(child.pid), false)
  return child.pid
}

describe('data directory lock', () => {
  let dir: string
  let path: string

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'swarm-lock-'))
    path = join(dir, 'node.lock')
  })

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true })
  })

  it('writes this process\'s pid and removes the file on release', () => {
    const lock = acquireDataDirLock(path)
    assert.equal(lock.tookOverFrom, undefined)
    assert.equal((JSON.parse(readFileSync(path, 'utf8')) as { pid: number }).pid, process.pid)
    lock.release()
    assert.equal(existsSync(path), false)
  })

  it('refuses a second holder in the same process while the first holds it', () => {
    const lock = acquireDataDirLock(path)
    assert.throws(() => acquireDataDirLock(path, () => 'control API http://127.0.0.1:7400'), (err: unknown) => {
      assert.ok(isSwarmError(err))
      assert.equal(err.code, 'DATA_DIR_IN_USE')
      assert.match(err.message, new RegExp(`pid ${process.pid}, control API http://127\\.0\\.0\\.1:7400`))
      assert.match(err.message, /--data-dir/)
      return true
    })
    lock.release()
    acquireDataDirLock(path).release()
  })

  it('refuses a lock whose holder is another live process', () => {
    writeFileSync(path, JSON.stringify({ pid: process.ppid, hostname: 'h', since: 1 }))
    assert.throws(() => acquireDataDirLock(path), (err: unknown) => isSwarmError(err) && err.code === 'DATA_DIR_IN_USE' && err.message.includes(`pid ${process.ppid}`))
    assert.equal((JSON.parse(readFileSync(path, 'utf8')) as { pid: number }).pid, process.ppid, 'the live holder keeps its lock')
  })

  it('takes over the lock of a dead process and says from whom', () => {
    const pid = deadPid()
    writeFileSync(path, JSON.stringify({ pid, hostname: 'h', since: 1 }))
    const lock = acquireDataDirLock(path)
    assert.equal(lock.tookOverFrom?.pid, pid)
    assert.equal((JSON.parse(readFileSync(path, 'utf8')) as { pid: number }).pid, process.pid)
    lock.release()
  })

  it('takes over a lock naming this pid that this process does not hold (an earlier process with the same pid)', () => {
    writeFileSync(path, JSON.stringify({ pid: process.pid, hostname: 'h', since: 1 }))
    const lock = acquireDataDirLock(path)
    assert.equal(lock.tookOverFrom?.pid, process.pid)
    lock.release()
  })

  it('takes over an unreadable lock file', () => {
    writeFileSync(path, 'not json')
    const lock = acquireDataDirLock(path)
    assert.ok(lock.tookOverFrom !== undefined)
    lock.release()
  })

  it('does not remove a lock that another process took meanwhile', () => {
    const lock = acquireDataDirLock(path)
    writeFileSync(path, JSON.stringify({ pid: process.ppid, hostname: 'h', since: 2 }))
    lock.release()
    assert.equal(existsSync(path), true)
  })
})
