/**
 * Vote certificates over TCP (docs/protocol.md "Vote certificates"): a real group of three
 * members votes on a proposal; every participant stores the decision with the signed votes
 * and its certificate verifies through `verifyProposal` (checked from the store, against the
 * members this node knew, without asking anyone); a stored certificate with one vote changed
 * fails; a member's vote whose signature is forged is refused by the others and its sender is
 * charged in their penalty books.
 */
import assert from 'node:assert/strict'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { pathToFileURL } from 'node:url'
import { createMessage, topics } from '@swarm/protocol'
import { FIXTURES, builtinSkill, byName, nextEvent, startNegotiationSwarm } from '../helpers/negotiation.js'
import { until } from '../helpers/wait.js'
import type { TestSwarm } from '../helpers/nodes.js'
import type { ProposalView, SwarmNode } from '@swarm/node'

const GROUP_FIXTURE = `${FIXTURES}group-handlers.mjs`
const MEMBERS = ['v1', 'v2', 'v3']

type WithMesh = { getMeshPeers?: (topic: string) => string[] }

function mesh (node: SwarmNode, topic: string): string[] {
  const pubsub = node.libp2p.services.pubsub as SwarmNode['libp2p']['services']['pubsub'] & WithMesh
  return pubsub.getMeshPeers?.(topic) ?? pubsub.getSubscribers(topic).map(p => p.toString())
}

/** Re-checks `check` every 20 ms (what it waits for has no event of its own). */
async function polled (check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  await until(check, changed => {
    const tick = setInterval(changed, 20)
    return () => { clearInterval(tick) }
  }, timeoutMs, what)
}

async function decidedOn (node: SwarmNode, proposalId: string): Promise<ProposalView> {
  const current = node.groups.proposal(proposalId)
  if (current !== undefined && current.status === 'decided') return current
  return await nextEvent(node, 'proposal:decided', p => p.proposalId === proposalId, 20_000)
}

describe('vote certificates of a real group', () => {
  let swarm: TestSwarm
  let boss: SwarmNode
  let members: SwarmNode[]
  let taskId: string
  let topic: string
  let openGate: (name: string) => void
  const gate = `votes-${Date.now()}`

  beforeAll(async () => {
    ({ openGate } = await import(pathToFileURL(GROUP_FIXTURE).href) as { openGate: (name: string) => void })
    const research = { name: 'research', level: 'expert' as const, handler: { kind: 'module' as const, path: GROUP_FIXTURE, export: 'research' } }
    swarm = await startNegotiationSwarm([
      { name: 'boss', skills: [builtinSkill('echo', 'novice', 'echo')] },
      ...MEMBERS.map(name => ({ name, skills: [research] }))
    ])
    boss = byName(swarm, 'boss')
    members = MEMBERS.map(name => byName(swarm, name))
    const joined = Promise.all(members.map(async m => await nextEvent(m, 'work:started', () => true, 30_000)))
    const task = await boss.announce({
      description: 'decide together',
      skills: [{ name: 'research', minLevel: 'novice', count: 3 }],
      maxGroupSize: 3,
      input: { gate },
      bidWindowMs: 2_000,
      deadlineMs: 120_000,
      maxAttempts: 1
    })
    taskId = task.id
    await joined
    const groupId = boss.groups.groupOf(taskId)?.groupId
    assert.ok(groupId, 'the announcer is in the group')
    topic = topics.group(boss.config.network, groupId)
    await polled(() => members.every(m => m.groups.inGroup(taskId) && mesh(boss, topic).includes(m.peerId.toString()) && mesh(m, topic).includes(boss.peerId.toString())), 'the group topic mesh')
  })

  afterAll(async () => {
    openGate(gate)
    await swarm.stop()
  })

  it('every participant\'s stored certificate verifies; one with a vote changed fails', async () => {
    const everyone = [boss, ...members]
    const [v1, v2, v3] = members as [SwarmNode, SwarmNode, SwarmNode]
    const opened = Promise.all(everyone.filter(n => n !== v1).map(async n => await nextEvent(n, 'proposal:opened', p => p.action === 'publish the report')))
    const proposal = await v1.group(taskId).propose({ action: 'publish the report', quorum: 'majority', minParticipation: 1, timeoutMs: 30_000 })
    await opened
    v1.groups.vote(proposal.proposalId, { choice: 'yes', confidence: 0.9 })
    v2.groups.vote(proposal.proposalId, { choice: 'no', confidence: 0.6, reason: 'needs another pass' })
    v3.groups.vote(proposal.proposalId, { choice: 'yes', confidence: 0.8 })
    const decided = await Promise.all(everyone.map(async n => await decidedOn(n, proposal.proposalId)))
    for (const view of decided) assert.equal(view.outcome, 'approved')

    // Each node checks what it stored, from its own store and member list.
    const results = new Map<string, { ok: boolean, problems: string[] }>()
    await polled(() => {
      for (const n of everyone) {
        void n.groups.verifyProposal(proposal.proposalId).then(r => { if (r !== undefined) results.set(n.name, r) })
      }
      return everyone.every(n => results.get(n.name)?.ok === true)
    }, 'a verified certificate on every node')
    for (const n of everyone) {
      const check = await n.groups.verifyProposal(proposal.proposalId)
      assert.equal(check?.ok, true, `${n.name}: ${check?.problems.join('; ') ?? 'no proposal'}`)
      assert.ok(check?.checks.some(c => c.includes('3 of 3 votes signed')), check?.checks.join('\n'))
      assert.ok(check?.checks.some(c => c.includes('approved: 2 yes, 1 no')))
    }

    // v3's store: v2's "no" turned into a "yes" (and the counts with it).
    const stored = v3.store.getProposal(proposal.proposalId)
    assert.ok(stored)
    const record = structuredClone(stored.proposal) as { certificate: { for: number, against: number, votes: Array<{ voter: string, choice: string }> } }
    const vote = record.certificate.votes.find(v => v.voter === v2.peerId.toString())
    assert.ok(vote)
    vote.choice = 'yes'
    record.certificate.for = 3
    record.certificate.against = 0
    v3.store.saveProposal({ ...stored, proposal: record })
    const tampered = await v3.groups.verifyProposal(proposal.proposalId)
    assert.equal(tampered?.ok, false)
    assert.ok(tampered?.problems.some(p => p.includes(`vote of ${v2.peerId.toString()}: its signature does not verify`)), tampered?.problems.join('\n'))
  })

  it('refuses a member\'s vote with a forged signature and charges its sender', async () => {
    const [v1, v2] = members as [SwarmNode, SwarmNode, SwarmNode]
    const proposal = await boss.group(taskId).propose({ action: 'rename the output', quorum: 'unanimous', timeoutMs: 30_000 })
    await polled(() => members.every(m => m.groups.proposal(proposal.proposalId) !== undefined), 'members to hear the proposal')
    const before = boss.groups.stats.votesRejected.BAD_SIGNATURE ?? 0
    const penaltyBefore = boss.peers().find(p => p.peerId === v1.peerId.toString())?.penalty ?? 0
    // v1 sends a "no" (a veto) under a signature of nothing: sealed with the group's key by its
    // own router, so only the signature can give it away.
    await v1.gossip.publish(topic, createMessage('VOTE', { proposalId: proposal.proposalId, groupId: proposal.groupId, choice: 'no', confidence: 1, sig: 'A'.repeat(86) }))
    await polled(() => (boss.groups.stats.votesRejected.BAD_SIGNATURE ?? 0) > before && (v2.groups.stats.votesRejected.BAD_SIGNATURE ?? 0) > 0, 'the forged vote refused')
    for (const n of [boss, v2]) assert.equal(n.groups.proposal(proposal.proposalId)?.status, 'open', `no veto at ${n.name}`)
    assert.deepEqual(boss.groups.proposal(proposal.proposalId)?.votes, [])
    assert.ok((boss.peers().find(p => p.peerId === v1.peerId.toString())?.penalty ?? 0) > penaltyBefore, 'v1 is charged in the announcer\'s penalty book')
  })
})
