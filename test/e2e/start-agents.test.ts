import assert from 'node:assert/strict'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { NodeProcess, runSwarmNode } from '../helpers/cli.js'
import { tempDir } from '../helpers/nodes.js'

const COMMON = ['--listen', '/ip4/127.0.0.1/tcp/0', '--api-port', '0', '--no-mdns']

describe('swarm-node start: three processes find each other', () => {
  const dir = tempDir('swarm-e2e-')
  const nodes: NodeProcess[] = []
  const dataDir = (i: number): string => join(dir.path, `n${i}`)
  let firstPeerId = ''

  beforeAll(async () => {
    const first = new NodeProcess([...COMMON, '--data-dir', dataDir(0), '--name', 'registry-ish', '--skill', 'analytics:expert'])
    nodes.push(first)
    const started = await first.started()
    firstPeerId = started.peerId
    const bootstrap = started.addrs[0] ?? ''
    assert.ok(bootstrap.includes(`/p2p/${started.peerId}`), 'the banner prints a dialable address with the peer id')
    nodes.push(new NodeProcess([...COMMON, '--data-dir', dataDir(1), '--name', 'painter', '--skill', 'viz:intermediate', '--bootstrap', bootstrap]))
    nodes.push(new NodeProcess([...COMMON, '--data-dir', dataDir(2), '--name', 'writer', '--skill', 'summarize:advanced', '--skill', 'viz:novice', '--bootstrap', bootstrap]))
    await Promise.all(nodes.map(async n => await n.started()))
  })

  afterAll(async () => {
    await Promise.all(nodes.map(async n => await n.stop('SIGKILL')))
    dir.cleanup()
  })

  it('swarm-node agents --json on every node lists all three with their skills', async () => {
    // Each node prints an agent:joined line per agent it learns; wait for two on each.
    for (const node of nodes) {
      await node.waitFor(() => node.lines.filter(l => l.event === 'agent:joined').length >= 2, 'two agent:joined lines')
    }
    for (let i = 0; i < 3; i++) {
      const result = await runSwarmNode(['agents', '--json', '--data-dir', dataDir(i)])
      assert.equal(result.code, 0, result.stderr)
      const agents = JSON.parse(result.stdout) as Array<{ name: string, skills: Array<{ name: string, level: string }> }>
      const byName = Object.fromEntries(agents.map(a => [a.name, a.skills.map(s => `${s.name}:${s.level}`).sort()]))
      assert.deepEqual(byName, {
        'registry-ish': ['analytics:expert'],
        painter: ['viz:intermediate'],
        writer: ['summarize:advanced', 'viz:novice']
      })
    }
  })

  it('agents --skill filters by level, status and peers answer, text output is readable', async () => {
    const viz = await runSwarmNode(['agents', '--json', '--skill', 'viz:intermediate', '--data-dir', dataDir(0)])
    assert.equal(viz.code, 0, viz.stderr)
    assert.deepEqual((JSON.parse(viz.stdout) as Array<{ name: string }>).map(a => a.name), ['painter'])

    const status = await runSwarmNode(['status', '--json', '--data-dir', dataDir(1)])
    assert.equal(status.code, 0, status.stderr)
    const s = JSON.parse(status.stdout) as { name: string, agents: number, peers: number }
    assert.equal(s.name, 'painter')
    assert.equal(s.agents, 3)
    assert.ok(s.peers >= 1)

    const peers = await runSwarmNode(['peers', '--json', '--data-dir', dataDir(0)])
    assert.equal(peers.code, 0, peers.stderr)
    assert.ok((JSON.parse(peers.stdout) as unknown[]).length >= 2)

    const text = await runSwarmNode(['agents', '--data-dir', dataDir(2)])
    assert.equal(text.code, 0)
    assert.match(text.stdout, /^NAME\s+PEER\s+LOAD\s+REP\s+SEEN\s+SKILLS/)
    assert.match(text.stdout, /writer \(self\)/)
  })

  it('keeps its key private and its peer id across a restart', async () => {
    const first = nodes[0]
    assert.ok(first)
    assert.equal(statSync(join(dataDir(0), 'peer.key')).mode & 0o777, 0o600)
    assert.equal(statSync(join(dataDir(0), 'api-token')).mode & 0o777, 0o600)
    assert.equal(await first.stop('SIGTERM'), 0, 'a clean shutdown exits 0')
    assert.ok(first.lines.some(l => l.event === 'stopped'))
    const again = new NodeProcess([...COMMON, '--data-dir', dataDir(0), '--name', 'registry-ish', '--skill', 'analytics:expert'])
    nodes[0] = again
    const started = await again.started()
    assert.equal(started.peerId, firstPeerId)
  })

  it('refuses a port in use with exit 6 and a message that says what to do', async () => {
    const running = nodes[1]
    assert.ok(running)
    const s = await runSwarmNode(['status', '--json', '--data-dir', dataDir(1)])
    const addr = (JSON.parse(s.stdout) as { addrs: string[] }).addrs[0] ?? ''
    const port = /\/tcp\/(\d+)/.exec(addr)?.[1]
    assert.ok(port)
    const clash = await runSwarmNode(['start', '--no-mdns', '--api-port', '0', '--data-dir', join(dir.path, 'clash'), '--listen', `/ip4/127.0.0.1/tcp/${port}`])
    assert.equal(clash.code, 6)
    assert.match(clash.stderr, /already in use.*--listen/)
  })

  it('rejects a bad config with exit 2 naming the field', async () => {
    const bad = await runSwarmNode(['start', '--skill', 'viz:guru', '--data-dir', join(dir.path, 'bad')])
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /invalid --skill "viz:guru"/)
  })

  it('checks at start, exit 2 naming the field: bootstrap peer ids, listen transports, --exec programs, skills declared twice', async () => {
    const start = async (...args: string[]): Promise<{ code: number | null, stderr: string }> => await runSwarmNode(['start', ...COMMON, '--data-dir', join(dir.path, 'checked'), ...args])
    const cases: Array<[string[], RegExp]> = [
      [['--bootstrap', '/ip4/127.0.0.1/tcp/4001/p2p/notapeerid'], /bootstrap\.0: "notapeerid" .* is not a peer id/],
      [['--listen', '/ip4/127.0.0.1/udp/0/quic-v1'], /listen\.\d: "\/ip4\/127\.0\.0\.1\/udp\/0\/quic-v1" is not a transport this node has/],
      [['--skill', 'viz:novice', '--exec', 'viz=/nonexistent/prog'], /skills\.0\.handler\.command: the program "\/nonexistent\/prog" of skill viz cannot be run/],
      [['--skill', 'viz:expert', '--skill', 'viz:novice'], /the skill "viz" is declared twice/]
    ]
    for (const [args, pattern] of cases) {
      const result = await start(...args)
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`)
      assert.match(result.stderr, pattern)
    }
  })

  it('warns at start of a skill without a handler: advertised, but it cannot work', async () => {
    const first = nodes[0]
    assert.ok(first)
    await first.waitFor(() => first.lines.some(l => l.event === 'warning' && l.code === 'NO_HANDLER' && l.skill === 'analytics'), 'a NO_HANDLER warning for analytics')
  })
})
