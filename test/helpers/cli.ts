import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { ChildProcess } from 'node:child_process'

/** The repository root (the tests run from build/test/...). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))
/** The swarm-node command as users run it. */
export const CLI_BIN = `${REPO_ROOT}packages/cli/bin/swarm-node.js`

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs `swarm-node args…` to completion. */
export async function runSwarmNode (args: string[], options: { env?: NodeJS.ProcessEnv, timeoutMs?: number } = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI_BIN, ...args], { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  const timer = setTimeout(() => { child.kill('SIGKILL') }, options.timeoutMs ?? 60_000)
  const code = await new Promise<number | null>(resolve => { child.on('close', c => { resolve(c) }) })
  clearTimeout(timer)
  return { code, stdout, stderr }
}

/** Parses output that must be one JSON object per line (blank lines aside); throws naming a bad line. */
export function jsonLines (stdout: string): Array<Record<string, unknown>> {
  return stdout.split('\n').filter(line => line.trim() !== '').map((line, i) => {
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch {
      throw new Error(`line ${i + 1} of the output is not JSON: ${line}`)
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`line ${i + 1} of the output is not a JSON object: ${line}`)
    return value as Record<string, unknown>
  })
}

/** A long-running `swarm-node start --json` process whose JSON lines can be awaited. */
export class NodeProcess {
  readonly child: ChildProcess
  readonly lines: Array<Record<string, unknown>> = []
  stderr = ''
  readonly #waiters = new Set<() => void>()
  readonly exited: Promise<number | null>

  constructor (args: string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, [CLI_BIN, 'start', '--json', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    const stdout = this.child.stdout
    if (stdout === null) throw new Error('no stdout')
    createInterface({ input: stdout }).on('line', line => {
      try {
        this.lines.push(JSON.parse(line) as Record<string, unknown>)
      } catch {
        this.lines.push({ event: 'text', text: line })
      }
      for (const w of this.#waiters) w()
    })
    this.child.stderr?.on('data', (d: Buffer) => { this.stderr += d.toString() })
    this.exited = new Promise(resolve => {
      this.child.on('close', code => {
        for (const w of this.#waiters) w()
        resolve(code)
      })
    })
  }

  /** Resolves with the first JSON line that matches, or rejects on timeout or exit. */
  async waitFor (match: (line: Record<string, unknown>) => boolean, what: string, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    return await new Promise((resolve, reject) => {
      const check = (): void => {
        const found = this.lines.find(match)
        if (found !== undefined) {
          done()
          resolve(found)
        } else if (this.child.exitCode !== null) {
          done()
          reject(new Error(`swarm-node exited (${this.child.exitCode}) before ${what}; stderr: ${this.stderr}`))
        }
      }
      const timer = setTimeout(() => {
        done()
        reject(new Error(`timed out waiting for ${what}; output so far: ${JSON.stringify(this.lines)} stderr: ${this.stderr}`))
      }, timeoutMs)
      const done = (): void => {
        clearTimeout(timer)
        this.#waiters.delete(check)
      }
      this.#waiters.add(check)
      check()
    })
  }

  async started (): Promise<{ peerId: string, addrs: string[], api: string }> {
    const line = await this.waitFor(l => l.event === 'started', 'the node to start')
    return line as unknown as { peerId: string, addrs: string[], api: string }
  }

  /** Sends SIGTERM and resolves with the exit code. */
  async stop (signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill(signal)
    return await this.exited
  }
}
