/**
 * Private swarms and access lists, with real nodes over TCP: nodes with one swarm key connect
 * and learn each other; a node without the key, or with another key, cannot connect, and the
 * keyed node says why in its log; a peer on the deny list, or blocked at run time, is refused
 * (and a block survives a restart of the node that made it).
 */
import { afterAll, beforeAll, describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { createSwarmNode, writeSwarmKey } from '@swarm/node'
import { allAgentsKnown, tempDir, testConfig } from '../helpers/nodes.js'
import { until, withTimeout } from '../helpers/wait.js'
import type { LogSink, NodeConfigInput, SwarmNode } from '@swarm/node'

/** A log sink that keeps the lines and wakes those waiting for one. */
class CapturedLog implements LogSink {
  readonly lines: Array<Record<string, unknown>> = []
  readonly #waiters = new Set<() => void>()
  write (line: string): void {
    this.lines.push(JSON.parse(line) as Record<string, unknown>)
    for (const w of this.#waiters) w()
  }

  async waitFor (match: (line: Record<string, unknown>) => boolean, what: string): Promise<Record<string, unknown>> {
    await until(() => this.lines.some(match), changed => {
      this.#waiters.add(changed)
      return () => { this.#waiters.delete(changed) }
    }, 20_000, what)
    return this.lines.find(match) as Record<string, unknown>
  }
}

/** Dials `to` at its listen addresses (so that a refusal is the gater's or the key's, not a missing address). */
async function dialAt (from: SwarmNode, to: SwarmNode): Promise<unknown> {
  await from.messenger.learnAddrs(to.peerId, to.addrs)
  return await from.libp2p.dial(to.peerId)
}

/**
 * Asserts that `to` refuses `from`: a dial may fail at once or be hung up on by `to`'s gater
 * right after the handshake, but `to` never has an open connection with `from`, and `from` ends
 * with none.
 */
async function refused (from: SwarmNode, to: SwarmNode, what: string): Promise<void> {
  let opened = false
  const onOpen = (e: { detail: { remotePeer: SwarmNode['peerId'] } }): void => { if (e.detail.remotePeer.equals(from.peerId)) opened = true }
  to.libp2p.addEventListener('connection:open', onOpen)
  try {
    await dialAt(from, to).catch(() => {})
    await until(() => from.libp2p.getConnections(to.peerId).length === 0, changed => {
      from.libp2p.addEventListener('connection:close', changed)
      return () => { from.libp2p.removeEventListener('connection:close', changed) }
    }, 10_000, `${what}: the connection to be closed`)
  } finally {
    to.libp2p.removeEventListener('connection:open', onOpen)
  }
  assert.equal(opened, false, `${what}: the refusing node never had the connection open`)
  assert.equal(to.libp2p.getConnections(from.peerId).length, 0, what)
}

describe('private swarms and access lists', () => {
  const dir = tempDir('swarm-private-')
  const key = join(dir.path, 'swarm.key')
  const otherKey = join(dir.path, 'other.key')
  const nodes: SwarmNode[] = []
  const seedLog = new CapturedLog()
  let seed: SwarmNode

  const start = async (name: string, extra: Partial<NodeConfigInput> = {}, log?: CapturedLog): Promise<SwarmNode> => {
    const node = await createSwarmNode(testConfig(join(dir.path, name), { name, ...extra }), log !== undefined ? { logSinks: [log] } : {})
    nodes.push(node)
    return node
  }

  beforeAll(async () => {
    writeSwarmKey(key)
    writeSwarmKey(otherKey)
    seed = await start('seed', { swarmKey: key, skills: [{ name: 'sum', level: 'expert' }] }, seedLog)
  })

  afterAll(async () => {
    await Promise.allSettled(nodes.map(async n => { await n.stop() }))
    dir.cleanup()
  })

  it('nodes with the same key connect and learn each other', async () => {
    const member = await start('member', { swarmKey: key, bootstrap: [seed.addrs[0] ?? ''], skills: [{ name: 'mean', level: 'expert' }] })
    await allAgentsKnown([seed, member])
    assert.ok(seed.libp2p.getConnections(member.peerId).length > 0)
  })

  it('a node without the key cannot connect, and the keyed node logs why', async () => {
    const outsiderLog = new CapturedLog()
    const outsider = await start('outsider', { bootstrap: [seed.addrs[0] ?? ''] }, outsiderLog)
    // Its side says so too: its bootstrap dial fails in the encryption handshake.
    await outsiderLog.waitFor(l => l.level === 'warn' && typeof l.msg === 'string' && l.msg.includes('cannot reach the bootstrap peer') && l.msg.includes('--swarm-key'), 'the outsider to say why it cannot join')
    const line = await seedLog.waitFor(l => l.level === 'warn' && typeof l.msg === 'string' && l.msg.includes('refused') && l.msg.includes('--swarm-key'), 'the seed to refuse the outsider')
    assert.match(String(line.msg), /the other node (has no swarm key|did not prove it has this swarm key)/)
    await refused(outsider, seed, 'a dial through the API fails too')
    assert.equal(seed.libp2p.getConnections(outsider.peerId).length, 0)
    assert.equal(outsider.directory.agents.get(seed.peerId.toString()), undefined)
  })

  it('a node with another key cannot connect either', async () => {
    const stranger = await start('stranger', { swarmKey: otherKey })
    await refused(stranger, seed, 'another key')
    await seedLog.waitFor(l => l.level === 'warn' && typeof l.msg === 'string' && /another swarm key|did not prove/.test(l.msg), 'the seed to refuse the stranger')
    assert.equal(seed.libp2p.getConnections(stranger.peerId).length, 0)
  })

  it('refuses a peer on the deny list, and one blocked at run time, also after a restart', async () => {
    const denied = await start('denied', { swarmKey: key })
    const guard = await start('guard', { swarmKey: key, deny: [denied.peerId.toString()] })
    await refused(denied, guard, 'the denied peer cannot connect')
    await assert.rejects(dialAt(guard, denied), 'nor be dialled')

    const pest = await start('pest', { swarmKey: key })
    await dialAt(pest, guard)
    const view = await guard.block(pest.peerId.toString(), 'flooding')
    assert.deepEqual(view.blocked.map(b => b.peerId), [pest.peerId.toString()])
    await withTimeout(until(() => guard.libp2p.getConnections(pest.peerId).length === 0, changed => {
      guard.libp2p.addEventListener('connection:close', changed)
      return () => { guard.libp2p.removeEventListener('connection:close', changed) }
    }, 10_000, 'the pest to be hung up on'), 11_000, 'hang-up')
    await refused(pest, guard, 'a blocked peer cannot come back')

    // The block is kept in the data directory.
    const guardDir = guard.paths.root
    await guard.stop()
    const again = await start('guard-again', { dataDir: guardDir, swarmKey: key })
    assert.deepEqual(again.access().blocked.map(b => [b.peerId, b.reason]), [[pest.peerId.toString(), 'flooding']])
    await refused(pest, again, 'blocked after the restart')
    again.unblock(pest.peerId.toString())
    await dialAt(pest, again)
  })
})
