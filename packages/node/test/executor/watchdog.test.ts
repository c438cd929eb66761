/**
 * The exec watchdog's program: when the pipe from its node closes, it stops every process group
 * still registered with it, and leaves alone the groups that were unregistered.
 */
import { afterEach, describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { ChildProcess } from 'node:child_process'

const PROGRAM = fileURLToPath(new URL('../../src/executor/watchdog-process.js', import.meta.url))

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** A process sleeping in a group of its own, as exec handlers run. */
function sleeper (): ChildProcess & { pid: number } {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 60000)'], { detached: true, stdio: 'ignore' })
  assert.ok(child.pid !== undefined)
  return child as ChildProcess & { pid: number }
}

describe('exec watchdog process', () => {
  const started: ChildProcess[] = []

  afterEach(() => {
    for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    started.length = 0
  })

  it('kills the registered groups when its stdin closes, and not the unregistered ones', async () => {
    const kept = sleeper()
    const doomed = sleeper()
    started.push(kept, doomed)
    const watchdog = spawn(process.execPath, [PROGRAM], { stdio: ['pipe', 'ignore', 'ignore'] })
    started.push(watchdog)
    const exited = new Promise(resolve => { watchdog.on('exit', resolve) })
    watchdog.stdin?.write(`+${doomed.pid}\n+${kept.pid}\n-${kept.pid}\n`)
    watchdog.stdin?.end()
    const signal = await new Promise(resolve => { doomed.on('exit', (_code, sig) => { resolve(sig) }) })
    assert.equal(signal, 'SIGTERM', 'the registered group is stopped')
    await exited
    assert.equal(alive(kept.pid), true, 'an unregistered group is left alone')
  })
})
