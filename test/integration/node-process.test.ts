/**
 * A node process and what it owns: one node per data directory (a second `swarm-node start` on
 * it exits 6 naming the holder, and the first keeps running with its api.json), and exec
 * handlers that die with their node even when it is killed with SIGKILL (the watchdog).
 */
import { afterAll, beforeAll, describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createSwarmNode, isSwarmError } from '@swarm/node'
import { NodeProcess, REPO_ROOT, runSwarmNode } from '../helpers/cli.js'
import { tempDir, testConfig } from '../helpers/nodes.js'
import { until, withTimeout } from '../helpers/wait.js'
import type { SwarmNode } from '@swarm/node'

const COMMON = ['--listen', '/ip4/127.0.0.1/tcp/0', '--api-port', '0', '--no-mdns']

/** True while a process with this pid exists. */
function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Resolves once `check()` holds, checking every 50 ms. */
async function poll (check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  await until(check, changed => {
    const timer = setInterval(changed, 50)
    return () => { clearInterval(timer) }
  }, timeoutMs, what)
}

describe('a node process and what it owns', () => {
  const dir = tempDir('swarm-node-process-')
  let node: SwarmNode

  beforeAll(async () => {
    node = await createSwarmNode(testConfig(join(dir.path, 'first'), { name: 'first' }))
  })

  afterAll(async () => {
    await node.stop()
    dir.cleanup()
  })

  it('refuses a second node on one data directory with exit 6, naming the running node', async () => {
    const dataDir = join(dir.path, 'first')
    const url = node.apiUrl
    assert.ok(url !== undefined)
    const second = await runSwarmNode(['start', ...COMMON, '--data-dir', dataDir])
    assert.equal(second.code, 6, second.stderr)
    assert.match(second.stderr, new RegExp(`in use by another swarm-node \\(pid ${process.pid}, control API ${url.replace(/[.]/g, '\\.')}\\)`))
    // The first keeps running and the CLI still finds it.
    assert.equal((JSON.parse(readFileSync(join(dataDir, 'api.json'), 'utf8')) as { url: string }).url, url)
    const status = await runSwarmNode(['status', '--json', '--data-dir', dataDir])
    assert.equal(status.code, 0, status.stderr)
    assert.equal((JSON.parse(status.stdout) as { peerId: string }).peerId, node.peerId.toString())
    // In one process too.
    await assert.rejects(createSwarmNode(testConfig(dataDir)), (err: unknown) => isSwarmError(err) && err.code === 'DATA_DIR_IN_USE')
  })

  it('releases the lock and api.json when the node stops, so the next one starts', async () => {
    const dataDir = join(dir.path, 'short-lived')
    const first = await createSwarmNode(testConfig(dataDir))
    assert.ok(existsSync(join(dataDir, 'node.lock')))
    await first.stop()
    assert.equal(existsSync(join(dataDir, 'node.lock')), false)
    assert.equal(existsSync(join(dataDir, 'api.json')), false)
    const next = await createSwarmNode(testConfig(dataDir))
    await next.stop()
  })

  it('kills the exec handler of a member killed with SIGKILL', async () => {
    const member = new NodeProcess([...COMMON, '--data-dir', join(dir.path, 'member'), '--name', 'napper', '--skill', 'nap:expert',
      '--exec', `nap='${process.execPath}' '${REPO_ROOT}test/fixtures/pid-handler.mjs'`, '--bootstrap', node.addrs[0] as string])
    try {
      const started = await member.started()
      await until(() => node.agents({ skill: 'nap' }).some(a => a.peerId === started.peerId), changed => {
        node.on('agent:joined', changed)
        return () => { node.off('agent:joined', changed) }
      }, 30_000, 'the announcer to hear of the member')
      const task = await node.announce({ description: 'nap forever', skills: [{ name: 'nap' }], input: {}, bidWindowMs: 500, deadlineMs: 120_000, maxAttempts: 1 })
      let pid: number | undefined
      for await (const event of task.events()) {
        const found = event.type === 'progress' ? /pid=(\d+)/.exec(event.message ?? '') : null
        if (found !== null) {
          pid = Number(found[1])
          break
        }
      }
      assert.ok(pid !== undefined && alive(pid), 'the handler runs')
      member.child.kill('SIGKILL')
      await withTimeout(member.exited, 10_000, 'the member to exit')
      await poll(() => !alive(pid), 10_000, `the handler (pid ${pid}) to be gone`)
      await node.cancel(task.id).catch(() => undefined)
    } finally {
      await member.stop('SIGKILL')
    }
  })
})
