import { createServer } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createSwarmNode } from '@swarm/node'
import { until } from './wait.js'
import type { NodeConfigInput, SwarmNode } from '@swarm/node'

/** A temporary folder removed by the returned cleanup function. */
export function tempDir (prefix = 'swarm-test-'): { path: string, cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix))
  return { path, cleanup: () => { rmSync(path, { recursive: true, force: true }) } }
}

/** Settings for nodes in tests: loopback, random ports, no mDNS, quick heartbeats. */
export function testConfig (dataDir: string, extra: Partial<NodeConfigInput> = {}): NodeConfigInput {
  return {
    dataDir,
    listen: ['/ip4/127.0.0.1/tcp/0'],
    mdns: false,
    api: { port: 0 },
    logLevel: 'debug',
    directory: { heartbeatMs: 1000, ttlMs: 5000 },
    connections: { inboundConnectionThreshold: 100, maxIncomingPendingConnections: 50 },
    gossip: { ipColocationThreshold: 1000 },
    ...extra
  }
}

export interface TestSwarm {
  nodes: SwarmNode[]
  root: string
  /** Starts another node bootstrapped from the first one. */
  add(extra?: Partial<NodeConfigInput>): Promise<SwarmNode>
  stop(): Promise<void>
}

/**
 * Starts `configs.length` nodes on 127.0.0.1: the first alone, the others bootstrapped from it.
 */
export async function startSwarm (configs: Array<Partial<NodeConfigInput>>): Promise<TestSwarm> {
  const dir = tempDir()
  const nodes: SwarmNode[] = []
  let n = 0
  const add = async (extra: Partial<NodeConfigInput> = {}): Promise<SwarmNode> => {
    const first = nodes[0]
    const bootstrap = first === undefined ? [] : [first.addrs[0] as string]
    const node = await createSwarmNode(testConfig(join(dir.path, `node-${n++}`), { bootstrap, ...extra }))
    nodes.push(node)
    return node
  }
  try {
    for (const config of configs) await add(config)
  } catch (err) {
    await Promise.allSettled(nodes.map(async node => { await node.stop() }))
    dir.cleanup()
    throw err
  }
  return {
    nodes,
    root: dir.path,
    add,
    stop: async () => {
      await Promise.allSettled(nodes.map(async node => { await node.stop() }))
      dir.cleanup()
    }
  }
}

/** Waits until every node's directory lists every other node. */
export async function allAgentsKnown (nodes: SwarmNode[], timeoutMs = 15_000): Promise<void> {
  const ids = nodes.map(n => n.peerId.toString())
  await Promise.all(nodes.map(async node => {
    await until(
      () => ids.every(id => node.directory.agents.get(id) !== undefined),
      changed => {
        node.on('agent:joined', changed)
        return () => { node.off('agent:joined', changed) }
      },
      timeoutMs,
      `${node.name} to learn all ${nodes.length} agents`
    )
  }))
}

/**
 * A TCP port free on 127.0.0.1 now, below the kernel's ephemeral range (32768 and up), so that no
 * outgoing connection of another test takes it while a node using it is down (a node that must
 * come back on the same address).
 */
export async function freePort (): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const port = 20_000 + Math.floor(Math.random() * 10_000)
    const free = await new Promise<boolean>(resolve => {
      const server = createServer()
      server.once('error', () => { resolve(false) })
      server.listen(port, '127.0.0.1', () => { server.close(() => { resolve(true) }) })
    })
    if (free) return port
  }
  throw new Error('no free port in 20000-29999')
}
