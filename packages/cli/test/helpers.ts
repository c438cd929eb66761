/** What the CLI's unit tests share: an Output that records, a CLI runner, and a usage-error check. */
import assert from 'node:assert/strict'
import { CliError, EXIT } from '../src/exit-codes.js'
import { runCli } from '../src/main.js'
import type { Output } from '../src/output.js'

export interface CapturingOutput extends Output {
  lines: string[]
  jsons: unknown[]
  errors: string[]
}

/** An Output that keeps every line, JSON value and error it is given. */
export function capture (): CapturingOutput {
  const lines: string[] = []
  const jsons: unknown[] = []
  const errors: string[] = []
  return {
    lines,
    jsons,
    errors,
    line: (text = '') => { lines.push(text) },
    json: value => { jsons.push(value) },
    error: text => { errors.push(text) }
  }
}

/** Runs the CLI as `swarm-node ...args`, capturing its output. */
export async function runCaptured (args: string[]): Promise<{ code: number, out: CapturingOutput }> {
  const out = capture()
  const code = await runCli(['node', 'swarm-node', ...args], out)
  return { code, out }
}

/** Asserts that `fn` throws a usage CliError whose message matches every pattern. */
export function assertUsage (fn: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof CliError, `expected a CliError, got ${String(err)}`)
    assert.equal(err.exitCode, EXIT.USAGE)
    for (const pattern of patterns) assert.match(err.message, pattern)
    return true
  })
}
