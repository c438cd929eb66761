/**
 * A throw-away Redis server for the broker baseline: Debian's redis-server on 127.0.0.1, a free
 * port, no persistence. Started and always stopped by the bench.
 */
import { spawn, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import type { ChildProcess } from 'node:child_process'

/** Where a running server is (what a client process needs to reach and watch it). */
export interface RedisTarget {
  url: string
  pid: number
  version: string
}

export interface RedisServer extends RedisTarget {
  port: number
  stop: () => Promise<void>
}

const BINARY = 'redis-server'

/** The redis-server version line, or undefined when the binary is not installed. */
export function redisServerVersion (): string | undefined {
  const probe = spawnSync(BINARY, ['--version'], { encoding: 'utf8' })
  if (probe.error !== undefined || probe.status !== 0) return undefined
  return /v=([\d.]+)/.exec(probe.stdout)?.[1] ?? probe.stdout.trim()
}

async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => { resolve(port) })
    })
  })
}

/** Clock ticks per second of /proc/<pid>/stat times (100 on Linux builds in practice). */
const CLOCK_TICKS = 100

/** CPU seconds (user + system) a process used so far, from /proc; undefined elsewhere. */
export function procCpuSeconds (pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name (which is in parentheses and may hold spaces).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const utime = Number(fields[11])
    const stime = Number(fields[12])
    return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) / CLOCK_TICKS : undefined
  } catch {
    return undefined
  }
}

/** Resident memory of a process, bytes, from /proc; undefined elsewhere. */
export function procRssBytes (pid: number): number | undefined {
  try {
    const kib = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
    return kib === undefined ? undefined : Number(kib) * 1024
  } catch {
    return undefined
  }
}

async function waitReady (child: ChildProcess, timeoutMs: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    let output = ''
    const timer = setTimeout(() => { done(new Error(`redis-server did not start within ${timeoutMs} ms: ${output.slice(-500)}`)) }, timeoutMs)
    const onData = (chunk: Buffer): void => {
      output += chunk.toString()
      if (output.includes('Ready to accept connections')) done()
    }
    const onExit = (code: number | null): void => { done(new Error(`redis-server exited with code ${String(code)}: ${output.slice(-500)}`)) }
    const done = (err?: Error): void => {
      clearTimeout(timer)
      child.stdout?.off('data', onData)
      child.off('exit', onExit)
      if (err === undefined) resolve()
      else reject(err)
    }
    child.stdout?.on('data', onData)
    child.once('exit', onExit)
  })
}

/** Starts redis-server on 127.0.0.1 with a free port; throws when it does not come up. */
export async function startRedisServer (version: string): Promise<RedisServer> {
  const port = await freePort()
  const child = spawn(BINARY, [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--maxclients', '10000', '--loglevel', 'notice', '--logfile', ''
  ], { stdio: ['ignore', 'pipe', 'pipe'] })
  const stopped = new Promise<void>(resolve => { child.once('exit', () => { resolve() }) })
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    const timer = setTimeout(() => { child.kill('SIGKILL') }, 5_000)
    await stopped
    clearTimeout(timer)
  }
  // Stop the server with the bench, also when it dies of an uncaught error.
  const onExit = (): void => { if (child.exitCode === null) child.kill('SIGKILL') }
  process.once('exit', onExit)
  try {
    await waitReady(child, 10_000)
  } catch (err) {
    await stop()
    process.off('exit', onExit)
    throw err
  }
  const pid = child.pid ?? -1
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid,
    version,
    stop: async () => {
      await stop()
      process.off('exit', onExit)
    }
  }
}
