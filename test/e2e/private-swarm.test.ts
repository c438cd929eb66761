/**
 * A private swarm of `swarm-node` processes: `keygen` writes the key, two nodes started with it
 * form a working group, and a third without it cannot join (it is never connected, never in the
 * directory, never offered work), with the reason in both logs.
 */
import assert from 'node:assert/strict'
import { readFileSync, watch, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { NodeProcess, REPO_ROOT, jsonLines, runSwarmNode } from '../helpers/cli.js'
import { tempDir } from '../helpers/nodes.js'
import { until } from '../helpers/wait.js'

const COMMON = ['--listen', '/ip4/127.0.0.1/tcp/0', '--api-port', '0', '--no-mdns']

/** Resolves once the log file has a line matching `pattern` (watching the file as it grows). */
async function logSays (file: string, pattern: RegExp): Promise<void> {
  await until(() => pattern.test(readFileSync(file, 'utf8')), changed => {
    const watcher = watch(file, changed)
    return () => { watcher.close() }
  }, 20_000, `${file} to match ${String(pattern)}`)
}

describe('swarm-node: a private swarm', () => {
  const dir = tempDir('swarm-e2e-private-')
  const dataDir = (name: string): string => join(dir.path, name)
  const key = join(dir.path, 'swarm.key')
  const release = join(dir.path, 'release')
  const nodes: Record<string, NodeProcess> = {}
  const ids: Record<string, string> = {}

  beforeAll(async () => {
    const made = await runSwarmNode(['keygen', '--swarm-key', key])
    assert.equal(made.code, 0, made.stderr)
    assert.equal((await runSwarmNode(['keygen', '--swarm-key', key])).code, 2, 'an existing key is not replaced')
    writeFileSync(release, 'go')
    const exec = `sum='${process.execPath}' '${REPO_ROOT}test/fixtures/hold-handler.mjs'`
    nodes.worker = new NodeProcess([...COMMON, '--swarm-key', key, '--data-dir', dataDir('worker'), '--name', 'worker', '--skill', 'sum:expert', '--exec', exec])
    const started = await nodes.worker.started()
    ids.worker = started.peerId
    const bootstrap = started.addrs[0] ?? ''
    nodes.desk = new NodeProcess([...COMMON, '--swarm-key', key, '--data-dir', dataDir('desk'), '--name', 'desk', '--bootstrap', bootstrap])
    nodes.outsider = new NodeProcess([...COMMON, '--data-dir', dataDir('outsider'), '--name', 'outsider', '--skill', 'sum:expert', '--exec', exec, '--bootstrap', bootstrap])
    ids.desk = (await nodes.desk.started()).peerId
    ids.outsider = (await nodes.outsider.started()).peerId
    await nodes.desk.waitFor(l => l.event === 'agent:joined' && l.name === 'worker', 'desk to learn about the worker')
  }, 60_000)

  afterAll(async () => {
    await Promise.all(Object.values(nodes).map(async n => await n.stop('SIGKILL')))
    dir.cleanup()
  })

  it('the two nodes with the key form a group; the one without it is not let in', async () => {
    const result = await runSwarmNode(['announce', 'add', '--skill', 'sum:novice', '--input-json', JSON.stringify({ releaseFile: release }), '--wait', '--json', '--data-dir', dataDir('desk')])
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`)
    const events = jsonLines(result.stdout)
    const formed = events.find(e => e.type === 'formed') as { members: Array<{ peerId: string }> } | undefined
    assert.ok(formed !== undefined, result.stdout)
    assert.deepEqual(formed?.members.map(m => m.peerId), [ids.worker])
    assert.ok(!events.some(e => e.type === 'offer' && e.peerId === ids.outsider), 'the outsider never offered')

    const agents = await runSwarmNode(['agents', '--json', '--data-dir', dataDir('desk')])
    const known = (JSON.parse(agents.stdout) as Array<{ peerId: string }>).map(a => a.peerId)
    assert.ok(known.includes(ids.worker ?? ''))
    assert.ok(!known.includes(ids.outsider ?? ''), 'the outsider is not in the directory')
    const status = await runSwarmNode(['status', '--json', '--data-dir', dataDir('outsider')])
    assert.equal((JSON.parse(status.stdout) as { connections: number }).connections, 0, 'the outsider has no connection')

    // Both sides say why, in their logs.
    await logSays(join(dataDir('worker'), 'node.log'), /connection with [^"]* refused: [^"]*--swarm-key/)
    await logSays(join(dataDir('outsider'), 'node.log'), /cannot reach the bootstrap peer [^"]*: the encryption handshake failed[^"]*--swarm-key/)
  }, 60_000)
})
