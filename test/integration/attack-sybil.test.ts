/**
 * Sybil cards (issue 14): one connection injects 2,000 agent cards, each signed by a fresh key,
 * as gossip (the attacker writes gossipsub RPCs by hand, so that every card is first-hand for
 * its own key) and as cards passed on in a catch-up answer. Every node learns at most
 * limits.relayedIdentities new agents relayed by one neighbour (and
 * limits.newIdentitiesPerPeerPerMinute from one neighbour's catch-up answers); what is over is
 * refused at validation, so not passed on; the flooder is graylisted; and the silence limit of
 * the real agents stays at its normal value (it would be about 600 s with 2,000 agents).
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { generateKeyPair, publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { RPC } from '@libp2p/gossipsub/message'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createMessage, encodeMessage, topics } from '@swarm/protocol'
import { allAgentsKnown, startSwarm } from '../helpers/nodes.js'
import { until } from '../helpers/wait.js'
import type { TestSwarm } from '../helpers/nodes.js'
import type { PrivateKey } from '@libp2p/interface'
import type { AgentCardBody } from '@swarm/protocol'
import type { SwarmNode } from '@swarm/node'

const SYBILS = 2_000
/** New agents one neighbour may introduce per minute, on the honest nodes. */
const CAP = 20
/** The caps on every honest node; a silence limit that a loaded test machine does not reach by accident. */
const SETTINGS = { limits: { newIdentitiesPerPeerPerMinute: CAP, relayedIdentities: { perSecond: CAP / 60, burst: CAP } }, directory: { heartbeatMs: 1_000, ttlMs: 20_000 } }
/** Gossipsub's graylist threshold as the node sets it (docs/operations.md, "Peer scoring"). */
const GRAYLIST = -80

function card (name: string): AgentCardBody {
  return {
    name,
    software: { name: 'swarm-node', version: '0.0.0-sybil' },
    skills: [{ id: 'sum', name: 'sum', level: 'expert', successRate: 1, avgCompletionMs: 1, description: '', tags: [], examples: [], inputModes: ['application/json'], outputModes: ['application/json'], hasHandler: true }],
    capacity: 8,
    load: 0,
    addrs: [],
    seq: 1,
    startedAt: Date.now()
  }
}

/** A gossipsub message of `data` on `topic` signed by `key`, as its own author would publish it. */
async function signedByAnother (key: PrivateKey, topic: string, data: Uint8Array): Promise<RPC.Message> {
  const raw: RPC.Message = { from: peerIdFromPrivateKey(key).toMultihash().bytes, data, seqno: randomBytes(8), topic }
  const signed = new Uint8Array([...new TextEncoder().encode('libp2p-pubsub:'), ...RPC.Message.encode(raw)])
  return { ...raw, signature: await key.sign(signed), key: publicKeyToProtobuf(key.publicKey) }
}

/** Polls `check` (the counters it reads have no event of their own). */
async function eventually (check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  await until(check, changed => {
    const timer = setInterval(changed, 50)
    return () => { clearInterval(timer) }
  }, timeoutMs, what)
}

/** Made-up agents (this test's names) each node took into its directory, by node name (they expire again once silent). */
const learnt = new Map<string, Set<string>>()
function countJoins (node: SwarmNode): void {
  const names = new Set<string>()
  learnt.set(node.name, names)
  node.on('agent:joined', record => { if (record.card.name.startsWith('sybil-')) names.add(record.card.name) })
}
const madeUp = (node: SwarmNode): number => Math.max(learnt.get(node.name)?.size ?? 0, node.directory.agents.list().filter(r => r.card.name.startsWith('sybil-')).length)

describe('sybil cards', () => {
  let swarm: TestSwarm
  let victim: SwarmNode
  let honest: SwarmNode
  let attacker: SwarmNode
  let normalTtlMs: number
  let started: number

  let sybilKeys: PrivateKey[]
  let hearsayIds: string[]

  beforeAll(async () => {
    // Made before the nodes start: a 2,000-key burst would stall every node of this process.
    sybilKeys = await Promise.all(Array.from({ length: SYBILS }, async () => await generateKeyPair('Ed25519')))
    hearsayIds = await Promise.all(Array.from({ length: SYBILS }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()))
    swarm = await startSwarm([{ name: 'victim', ...SETTINGS }, { name: 'honest', ...SETTINGS }, { name: 'attacker', directory: SETTINGS.directory }])
    ;[victim, honest, attacker] = swarm.nodes as [SwarmNode, SwarmNode, SwarmNode]
    await allAgentsKnown(swarm.nodes)
    for (const node of swarm.nodes) countJoins(node)
    normalTtlMs = victim.directory.ttlMs()
    started = Date.now()
  })

  afterAll(async () => { await swarm?.stop() })

  /**
   * What a node may have learnt since the start through its two neighbours (the cards each passes
   * on, by gossip or in catch-up answers): the cap and its refill over the time passed, each.
   */
  const allowance = (): number => 2 * (CAP + Math.ceil((Date.now() - started) / 60_000 * CAP))

  it('takes at most the cap of 2,000 first-hand cards gossiped through one connection, passes no more on, and graylists the flooder', async () => {
    const topic = topics.agents(victim.config.network)
    const messages = await Promise.all(sybilKeys.map(async (key, i) => await signedByAnother(key, topic, encodeMessage(createMessage('AGENT_CARD', card(`sybil-${i}`))))))
    const pubsub = attacker.libp2p.services.pubsub as unknown as { sendRpc: (id: string, rpc: RPC) => boolean }
    let peakTtlMs = 0
    const { stats } = victim.gossip
    const seen = (): number => (stats.deliveredByType.AGENT_CARD ?? 0) + (stats.rejected.LIMITED ?? 0) + (stats.rejected.FLOODING ?? 0)
    const before = seen()
    const graylisted = (): boolean => victim.peers().find(p => p.peerId === attacker.peerId.toString())?.graylisted === true
    // In RPCs of 100 cards, each once the victim took the one before (gossipsub's stream buffers
    // little: a flood written at once is cut short), until the victim graylists the attacker
    // (then gossipsub drops its RPCs unread).
    for (let i = 0; i < messages.length && !graylisted(); i += 100) {
      assert.ok(pubsub.sendRpc(victim.peerId.toString(), { subscriptions: [], messages: messages.slice(i, i + 100) }), 'the attacker has a gossip stream to the victim')
      const sent = i + 100
      await eventually(() => seen() - before >= sent || graylisted(), `the victim to validate ${sent} cards`)
      peakTtlMs = Math.max(peakTtlMs, victim.directory.ttlMs(), honest.directory.ttlMs())
    }
    assert.ok(madeUp(victim) > 0, 'the first ones are taken: nothing tells them from real agents')
    assert.ok(madeUp(victim) <= allowance(), `the victim learnt ${madeUp(victim)} made-up agents, at most ${allowance()}`)
    // The rest was refused at validation: first at no cost, then as FLOODING, until the graylist.
    assert.ok((stats.rejected.LIMITED ?? 0) >= CAP / 2, `LIMITED ${stats.rejected.LIMITED}`)
    assert.ok((stats.rejected.FLOODING ?? 0) > 0, `FLOODING ${stats.rejected.FLOODING}`)
    // Graylisted (what it sends from then on is dropped unread: see gossip-scoring.test.ts).
    await eventually(graylisted, 'the victim to graylist the flooder')
    const score = victim.peers().find(p => p.peerId === attacker.peerId.toString())?.score ?? 0
    assert.ok(score < GRAYLIST, `the flooder's score at the victim: ${score}`)
    // What the victim refused was not passed on: the honest node behind it learnt at most what the victim took.
    assert.ok(madeUp(honest) <= madeUp(victim), `the honest node learnt ${madeUp(honest)} made-up agents, the victim ${madeUp(victim)}`)
    // The real agents are still known, and forgotten as soon as before once silent.
    for (const node of [victim, honest]) assert.ok(node.directory.agents.get(attacker.peerId.toString()) !== undefined && node.directory.agents.get((node === victim ? honest : victim).peerId.toString()) !== undefined)
    assert.equal(peakTtlMs, normalTtlMs, `the silence limit stayed at ${normalTtlMs} ms (with 2,000 more agents it would be 600 s)`)
  })

  it('takes at most the cap of 2,000 cards passed on in catch-up answers', async () => {
    // The attacker's directory is full of made-up agents: its catch-up answers pass them on.
    hearsayIds.forEach((id, i) => { attacker.directory.agents.upsertHearsay(id, card(`sybil-hearsay-${i}`), Date.now()) })
    // A newcomer whose only neighbour is the attacker asks it first.
    const newcomer = await swarm.add({ name: 'newcomer', bootstrap: [attacker.addrs[0] as string], ...SETTINGS })
    countJoins(newcomer)
    const joined = Date.now()
    await eventually(() => newcomer.directory.limited['new-identity'] > 0, 'the newcomer to refuse the cards over the cap')
    const allowed = CAP + Math.ceil((Date.now() - joined) / 60_000 * CAP)
    assert.ok(madeUp(newcomer) <= allowed, `the newcomer learnt ${madeUp(newcomer)} made-up agents, at most ${allowed}`)
    // Cards passed on are hints: they do not stretch the silence limit.
    assert.equal(newcomer.directory.ttlMs(), normalTtlMs)
  })
})
