/**
 * A reader that stops early (`swarm-node sim --help | head -3`) closes the command's stdout: the
 * command stops quietly with its exit code instead of crashing on EPIPE.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { describe, it } from 'vitest'
import { CLI_BIN } from '../helpers/cli.js'

describe('swarm-node writing to a closed pipe', () => {
  it('exits 0 without a stack trace when the reader has gone', async () => {
    const child = spawn(process.execPath, [CLI_BIN, 'sim', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] })
    // The reader goes away before reading anything.
    child.stdout.destroy()
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    const code = await new Promise<number | null>(resolve => { child.on('close', c => { resolve(c) }) })
    assert.equal(code, 0, stderr)
    assert.doesNotMatch(stderr, /EPIPE|Error/)
  })
})
