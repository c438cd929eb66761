/**
 * Gossipsub peer scoring with real nodes over TCP (net/gossip-score.ts): a peer that publishes
 * undecodable messages on a skill topic, or that sends malformed direct frames, falls below the
 * victim's graylist threshold; what it publishes afterwards, valid or not, is dropped unread,
 * while an honest peer's announcement is delivered; `peers` (node API, HTTP and the CLI) and
 * `/metrics` show the score.
 */
import { afterAll, beforeAll, describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { createSwarmNode } from '@swarm/node'
import { createMessage, encodeMessage, protocolIds, topics } from '@swarm/protocol'
import { frame, publishRaw, rawRequest } from '../helpers/attacker.js'
import { runSwarmNode } from '../helpers/cli.js'
import { builtinSkill } from '../helpers/negotiation.js'
import { tempDir, testConfig } from '../helpers/nodes.js'
import type { LogSink, NodeConfigInput, PeerInfo, SwarmNode } from '@swarm/node'
import type { BodyInput } from '@swarm/protocol'

/** Gossipsub's graylist threshold as the node sets it (docs/operations.md, "Peer scoring"). */
const GRAYLIST = -80
/** Invalid messages that graylist a sender on a skill topic by the invalid-message penalty alone (P4: −20 × n²). */
const INVALID_TO_GRAYLIST = 3
/** Malformed direct frames that graylist a sender through the penalty book (severe: 20 each; 5 × 20 > 80). */
const FRAMES_TO_GRAYLIST = 5

/** Counts the victim's log lines saying gossipsub dropped an RPC of a peer it graylists, by peer. */
class DropLog implements LogSink {
  readonly #drops = new Map<string, number>()
  write (line: string): void {
    if (!line.includes('unacceptable peer')) return
    const msg = String((JSON.parse(line) as { msg?: unknown }).msg ?? '')
    const peer = msg.split(' ').at(-1) ?? ''
    this.#drops.set(peer, (this.#drops.get(peer) ?? 0) + 1)
  }

  of (peer: SwarmNode): number {
    return this.#drops.get(peer.peerId.toString()) ?? 0
  }
}

/** Re-checks `check` every 25 ms (what it reads has no event) until it holds. */
async function eventually (check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 25))
  }
}

function announceBody (taskId: string): BodyInput<'TASK_ANNOUNCE'> {
  const now = Date.now()
  // The victim has echo at novice: it hears the announcement but does not bid on it.
  return { taskId, description: 'scoring test', skills: [{ name: 'echo', minLevel: 'expert' }], maxGroupSize: 1, priority: 'normal', deadline: now + 60_000, bidWindowMs: 1_000, input: { kind: 'none' }, announcerAddrs: [], attempt: 1, createdAt: now }
}

let staleCopies = 0
/** A well-formed announcement from ten minutes ago: the validator ignores it (STALE), at no cost to the sender. */
function staleAnnouncement (): Uint8Array {
  return encodeMessage(createMessage('TASK_ANNOUNCE', announceBody(`stale-task-${staleCopies++}`), { ts: Date.now() - 600_000 }), Number.MAX_SAFE_INTEGER)
}

const rejected = (node: SwarmNode, reason: string): number => node.gossip.stats.rejected[reason] ?? 0
const peerOf = (node: SwarmNode, peer: SwarmNode): PeerInfo | undefined => node.peers().find(p => p.peerId === peer.peerId.toString())

describe('gossipsub peer scoring: a sender of invalid gossip or malformed frames is graylisted', () => {
  const dir = tempDir('swarm-scoring-')
  const drops = new DropLog()
  /** What the victim's handlers got on the skill topic: signer and task. */
  const delivered: Array<{ from: string, taskId?: string }> = []
  const nodes: SwarmNode[] = []
  let victim: SwarmNode
  let honest: SwarmNode
  let topic: string

  const start = async (name: string, extra: Partial<NodeConfigInput> = {}, sinks: LogSink[] = []): Promise<SwarmNode> => {
    const bootstrap = nodes[0] === undefined ? [] : [nodes[0].addrs[0] as string]
    const node = await createSwarmNode(testConfig(join(dir.path, name), { name, storage: 'memory', bootstrap, ...extra }), { logSinks: sinks })
    nodes.push(node)
    return node
  }

  /** A new peer that the victim's gossipsub knows and that knows the victim is on the skill topic. */
  const attackerPeer = async (name: string): Promise<SwarmNode> => {
    const node = await start(name)
    await eventually(() => victim.libp2p.services.pubsub.getPeers().some(p => p.equals(node.peerId)), `the victim's gossipsub to know ${name}`)
    await eventually(() => node.libp2p.services.pubsub.getSubscribers(topic).some(p => p.equals(victim.peerId)), `${name} to see the victim on ${topic}`)
    return node
  }

  /**
   * Has `attacker` publish stale copies (free: ignored) until the victim drops one unread. Gossipsub
   * reads a peer whose score was last seen ≥ 0 for up to a second without looking at its score
   * again; a drop proves that window is over and that the victim no longer reads the peer at all.
   */
  const untilDropped = async (attacker: SwarmNode): Promise<void> => {
    for (let copies = 0; copies < 1_000; copies++) {
      const [dropped, ignored] = [drops.of(attacker), rejected(victim, 'STALE')]
      await publishRaw(attacker, topic, staleAnnouncement())
      await eventually(() => drops.of(attacker) > dropped || rejected(victim, 'STALE') > ignored, 'the victim to read or drop a stale copy')
      if (drops.of(attacker) > dropped) return
    }
    throw new Error('the victim kept reading the attacker')
  }

  /** The attacker's valid announcement is dropped unread while the honest peer's is delivered. */
  const assertDroppedButHonestDelivered = async (attacker: SwarmNode, tag: string): Promise<void> => {
    const before = { drops: drops.of(attacker), rejected: Object.values(victim.gossip.stats.rejected).reduce((a, b) => a + b, 0) }
    assert.ok(await publishRaw(attacker, topic, frame('TASK_ANNOUNCE', announceBody(`attacker-task-${tag}`))) > 0, 'the attacker sent it to the victim')
    await eventually(() => drops.of(attacker) > before.drops, 'the victim to drop the attacker\'s announcement')
    await honest.gossip.publish(topic, createMessage('TASK_ANNOUNCE', announceBody(`honest-task-${tag}`)))
    await eventually(() => delivered.some(d => d.from === honest.peerId.toString() && d.taskId === `honest-task-${tag}`), 'the honest announcement')
    assert.deepEqual(delivered.filter(d => d.from === attacker.peerId.toString()), [], 'nothing of the attacker reached the victim\'s handlers')
    assert.equal(Object.values(victim.gossip.stats.rejected).reduce((a, b) => a + b, 0), before.rejected, 'the attacker\'s announcement was not even validated')
  }

  beforeAll(async () => {
    victim = await start('victim', { skills: [builtinSkill('echo', 'novice', 'echo')] }, [drops])
    topic = topics.skill(victim.config.network, 'echo')
    victim.gossip.subscribe(topic, 'skill', ({ from, message }) => { delivered.push({ from: from.toString(), ...(message.type === 'TASK_ANNOUNCE' ? { taskId: message.body.taskId } : {}) }) })
    honest = await start('honest')
    await eventually(() => honest.libp2p.services.pubsub.getSubscribers(topic).some(p => p.equals(victim.peerId)), 'the honest peer to see the victim on the skill topic')
  })

  afterAll(async () => {
    await Promise.allSettled(nodes.map(async node => { await node.stop() }))
    dir.cleanup()
  })

  it(`graylists a peer after ${INVALID_TO_GRAYLIST} undecodable messages on a skill topic and drops what it sends next`, async () => {
    const attacker = await attackerPeer('flooder')
    for (let i = 0; i < INVALID_TO_GRAYLIST; i++) await publishRaw(attacker, topic, new TextEncoder().encode(`not a swarm message ${i}`))
    await eventually(() => rejected(victim, 'MALFORMED') >= INVALID_TO_GRAYLIST, 'the victim to reject the garbage')
    await eventually(() => (peerOf(victim, attacker)?.score ?? 0) < GRAYLIST, `the attacker's score below ${GRAYLIST}`)
    const seen = peerOf(victim, attacker)
    assert.equal(seen?.graylisted, true)
    assert.ok((seen?.penalty ?? 0) >= 50, `the penalty book charged it too: ${seen?.penalty}`)
    const fair = peerOf(victim, honest)
    assert.ok(fair?.score !== undefined && fair.score >= -10 && fair.graylisted === false, `the honest peer keeps its standing: ${fair?.score}`)

    await untilDropped(attacker)
    await assertDroppedButHonestDelivered(attacker, 'gossip')

    // What an operator sees: the HTTP route, the CLI, the metrics.
    const headers = { authorization: `Bearer ${victim.apiToken}` }
    const { peers } = await (await fetch(`${victim.apiUrl!}/v1/peers`, { headers })).json() as { peers: PeerInfo[] }
    const listed = peers.find(p => p.peerId === attacker.peerId.toString())
    assert.ok(listed?.score !== undefined && listed.score < GRAYLIST && listed.graylisted === true, JSON.stringify(listed))
    const cli = await runSwarmNode(['peers', '--api', victim.apiUrl!, '--token', victim.apiToken])
    assert.equal(cli.code, 0, cli.stderr)
    const line = cli.stdout.split('\n').find(l => l.startsWith(attacker.peerId.toString()))
    assert.match(line ?? '', /-\d+\.\d \(graylisted\)/, cli.stdout)
    const metrics = await (await fetch(`${victim.apiUrl!}/metrics`, { headers })).text()
    const scoreLine = metrics.split('\n').find(l => l.startsWith(`swarm_peer_score{peer="${attacker.peerId.toString()}"}`))
    assert.ok(scoreLine !== undefined && Number(scoreLine.split(' ').at(-1)) < GRAYLIST, `swarm_peer_score of the attacker: ${scoreLine}`)
    const graylisted = metrics.split('\n').find(l => l.startsWith('swarm_graylisted_peers '))
    assert.ok(Number(graylisted?.split(' ').at(-1)) >= 1, `swarm_graylisted_peers: ${graylisted}`)
  })

  it(`graylists a peer after ${FRAMES_TO_GRAYLIST} malformed direct frames, through the penalty book`, async () => {
    const attacker = await attackerPeer('framer')
    const malformedBefore = rejected(victim, 'MALFORMED')
    const protocol = protocolIds.direct(victim.config.network)
    for (let i = 0; i < FRAMES_TO_GRAYLIST; i++) await rawRequest(attacker, victim.peerId, protocol, new TextEncoder().encode(`garbage frame ${i}`))
    await eventually(() => (peerOf(victim, attacker)?.score ?? 0) < GRAYLIST, `the framer's score below ${GRAYLIST}`)
    const seen = peerOf(victim, attacker)
    assert.equal(seen?.graylisted, true)
    assert.ok((seen?.penalty ?? 0) > -GRAYLIST, `penalty ${seen?.penalty}`)
    assert.equal(rejected(victim, 'MALFORMED'), malformedBefore, 'it sent no invalid gossip: the frames alone did it')

    await untilDropped(attacker)
    await assertDroppedButHonestDelivered(attacker, 'frames')
  })
})
