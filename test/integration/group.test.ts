/**
 * Working groups that decide together, over real TCP: a 5-member group writes findings
 * concurrently and every member ends with the same blackboard; a majority vote is decided the
 * same way on every member from signed votes; forged, late and unknown votes are refused and
 * counted; a proposal without quorum reaches a human as an escalation whose resolution the members
 * see; a claim on a resource is held by one member at a time (granted by the announcer, queued,
 * handed over on release or lease end); the group verifies the result before the task completes
 * (VERIFIED); the blackboard is kept with the task after the group dissolves.
 */
import assert from 'node:assert/strict'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { pathToFileURL } from 'node:url'
import { Blackboard } from '@swarm/node'
import { PROTOCOL_VERSION, createMessage, encodeMessage, newId, topics } from '@swarm/protocol'
import { FIXTURES, builtinSkill, byName, nextEvent, startNegotiationSwarm } from '../helpers/negotiation.js'
import { until, withTimeout } from '../helpers/wait.js'
import type { TestSwarm } from '../helpers/nodes.js'
import type { ProposalView, SwarmNode, SwarmNodeEvents, TaskHandle } from '@swarm/node'
import type { SwarmMessage } from '@swarm/protocol'

const GROUP_FIXTURE = `${FIXTURES}group-handlers.mjs`
const MEMBERS = ['m1', 'm2', 'm3', 'm4', 'm5']
/** A vote signature's shape that signs nothing: these votes are refused before it is checked. */
const NO_SIGNATURE = 'A'.repeat(86)

/** The implementation has getMeshPeers, the public interface of gossipsub does not. */
type WithMesh = { getMeshPeers?: (topic: string) => string[] }

function mesh (node: SwarmNode, topic: string): string[] {
  const pubsub = node.libp2p.services.pubsub as SwarmNode['libp2p']['services']['pubsub'] & WithMesh
  return pubsub.getMeshPeers?.(topic) ?? pubsub.getSubscribers(topic).map(p => p.toString())
}

/** Re-checks `check` on `event` of every node and every 20 ms (for counters that have no event). */
async function eventually (nodes: SwarmNode[], events: Array<keyof SwarmNodeEvents & string>, check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  await until(check, changed => {
    for (const n of nodes) for (const e of events) n.on(e, changed)
    const tick = setInterval(changed, 20)
    return () => {
      clearInterval(tick)
      for (const n of nodes) for (const e of events) n.off(e, changed)
    }
  }, timeoutMs, what)
}

/** Resolves with `proposal:decided` of `proposalId` on `node` (or its view if already decided). */
async function decidedOn (node: SwarmNode, proposalId: string): Promise<ProposalView> {
  const current = node.groups.proposal(proposalId)
  if (current !== undefined && current.status === 'decided') return current
  return await nextEvent(node, 'proposal:decided', p => p.proposalId === proposalId, 20_000)
}

describe('a working group of 5 members deciding together over TCP', () => {
  let swarm: TestSwarm
  let boss: SwarmNode
  let members: SwarmNode[]
  let outsider: SwarmNode
  let task: TaskHandle
  let topic: string
  let openGate: (name: string) => void
  const gate = `group-${Date.now()}`

  beforeAll(async () => {
    ({ openGate } = await import(pathToFileURL(GROUP_FIXTURE).href) as { openGate: (name: string) => void })
    const research = { name: 'research', level: 'expert' as const, handler: { kind: 'module' as const, path: GROUP_FIXTURE, export: 'research' } }
    swarm = await startNegotiationSwarm([
      { name: 'boss', skills: [builtinSkill('echo', 'novice', 'echo')] },
      ...MEMBERS.map(name => ({ name, skills: [research] })),
      { name: 'outsider', skills: [builtinSkill('echo', 'novice', 'echo')] }
    ])
    boss = byName(swarm, 'boss')
    outsider = byName(swarm, 'outsider')
    members = MEMBERS.map(name => byName(swarm, name))
    const joined = Promise.all(members.map(async m => await nextEvent(m, 'work:started', () => true, 30_000)))
    task = await boss.announce({
      description: 'research together',
      skills: [{ name: 'research', minLevel: 'novice', count: 5 }],
      maxGroupSize: 5,
      input: { gate },
      bidWindowMs: 3_000,
      deadlineMs: 120_000,
      maxAttempts: 1,
      verify: 'majority'
    })
    await joined
    const groupId = boss.groups.groupOf(task.id)?.groupId
    assert.ok(groupId, 'the announcer is in the group')
    topic = topics.group(boss.config.network, groupId)
    // The group topic's mesh: the announcer reaches every member, every member the announcer.
    await eventually([boss, ...members], [], () =>
      members.every(m => m.groups.inGroup(task.id) && mesh(boss, topic).includes(m.peerId.toString()) && mesh(m, topic).includes(boss.peerId.toString())),
    'the group topic mesh')
  })

  afterAll(async () => {
    openGate(gate)
    await swarm.stop()
  })

  it('concurrent findings from all 5 members converge to the same blackboard everywhere', async () => {
    const everyone = [boss, ...members]
    // Each handler posted one finding through its context when it started; now every member
    // writes three more at the same time, and one also states a hypothesis that others support.
    const hypothesisId = members[0]?.group(task.id).blackboard.postHypothesis('the data has a weekly cycle') ?? ''
    await Promise.all(members.map(async (m, i) => {
      const board = m.group(task.id).blackboard
      for (let k = 0; k < 3; k++) board.postFinding({ kind: k === 2 ? 'conclusion' : 'observation', content: `${MEMBERS[i] ?? ''} finding ${k}`, confidence: 0.6 + 0.1 * k })
    }))
    const expected = 5 + 15
    await eventually(everyone, ['blackboard:changed'], () => everyone.every(n => n.groups.blackboard(task.id)?.findings.length === expected && n.groups.blackboard(task.id)?.hypotheses.length === 1),
      `${expected} findings and 1 hypothesis on all 6 nodes`)
    members[1]?.group(task.id).blackboard.postFinding({ kind: 'observation', content: 'seven-day autocorrelation 0.8', confidence: 0.8, hypothesisId, supports: true })
    await eventually(everyone, ['blackboard:changed'], () => everyone.every(n => n.groups.blackboard(task.id)?.findings.length === expected + 1), 'the supporting finding everywhere')
    const reference = boss.groups.blackboard(task.id)
    assert.ok(reference)
    for (const n of members) {
      const view = n.groups.blackboard(task.id)
      assert.deepEqual(view?.findings, reference.findings, `${n.name} has the announcer's findings`)
      assert.deepEqual(view?.hypotheses, reference.hypotheses)
      assert.deepEqual(view?.confidence, reference.confidence)
    }
    // Every member wrote its own entries (authors are the members' peer ids).
    const authors = new Set(reference.findings.map(f => f.author))
    assert.deepEqual(authors, new Set(members.map(m => m.peerId.toString())))
    assert.ok((reference.confidence[hypothesisId] ?? 0) > 0.7)
  })

  it('a late joiner gets the full blackboard over the direct sync protocol', async () => {
    const member = members[2]
    assert.ok(member)
    const groupId = boss.groups.groupOf(task.id)?.groupId ?? ''
    const reply = await member.messenger.request(boss.peerId, createMessage('GROUP_SYNC_REQUEST', { taskId: task.id, groupId, stateVector: Buffer.from(new Blackboard().encodeStateVector()).toString('base64') }))
    assert.equal(reply.type, 'GROUP_SYNC_RESPONSE')
    const fresh = new Blackboard()
    if (reply.type === 'GROUP_SYNC_RESPONSE') fresh.applyUpdate(new Uint8Array(Buffer.from(reply.body.update, 'base64')))
    assert.deepEqual(fresh.snapshot().findings, boss.groups.blackboard(task.id)?.findings)
    // Someone outside the group is refused.
    const refused = await outsider.messenger.request(boss.peerId, createMessage('GROUP_SYNC_REQUEST', { taskId: task.id, groupId, stateVector: 'AA==' }))
    assert.equal(refused.type, 'ERROR')
    if (refused.type === 'ERROR') assert.equal(refused.body.code, 'NOT_A_MEMBER')
  })

  it('a majority vote from signed votes decides the same way on every member', async () => {
    const everyone = [boss, ...members]
    const opened = Promise.all(members.map(async m => await nextEvent(m, 'proposal:opened', p => p.action === 'use the weekly model')))
    const proposal = await boss.group(task.id).propose({ action: 'use the weekly model', quorum: 'majority', minParticipation: 0.6, timeoutMs: 20_000 })
    assert.deepEqual([...proposal.voters].sort(), members.map(m => m.peerId.toString()).sort(), 'the voters are the members')
    await opened
    // m5 first votes no, then changes its mind: the later vote replaces the earlier one.
    const [m1, m2, m3, m4, m5] = members as [SwarmNode, SwarmNode, SwarmNode, SwarmNode, SwarmNode]
    m5.groups.vote(proposal.proposalId, { choice: 'no', confidence: 0.4 })
    m5.groups.vote(proposal.proposalId, { choice: 'yes', confidence: 0.9, reason: 'the autocorrelation convinced me' })
    await eventually([boss], [], () => boss.groups.proposal(proposal.proposalId)?.votes.some(v => v.voter === m5.peerId.toString() && v.choice === 'yes') === true, 'the announcer to count the changed vote')
    await Promise.all([
      Promise.resolve(m1.groups.vote(proposal.proposalId, { choice: 'yes', confidence: 0.8 })),
      Promise.resolve(m2.groups.vote(proposal.proposalId, { choice: 'no', confidence: 0.7, reason: 'too few weeks of data' })),
      Promise.resolve(m3.groups.vote(proposal.proposalId, { choice: 'yes' })),
      Promise.resolve(m4.groups.vote(proposal.proposalId, { choice: 'no' }))
    ])
    const decided = await Promise.all(everyone.map(async n => await decidedOn(n, proposal.proposalId)))
    for (const [i, view] of decided.entries()) assert.equal(view.outcome, 'approved', `${everyone[i]?.name ?? ''} decided approved`)
    // The announcer counted m5 once, as yes.
    const bossView = boss.groups.proposal(proposal.proposalId)
    assert.equal(bossView?.votes.filter(v => v.voter === m5.peerId.toString()).length, 1)
    // A vote after the decision is refused.
    assert.throws(() => m2.groups.vote(proposal.proposalId, { choice: 'yes' }), (err: Error & { code?: string }) => err.code === 'VOTE_REJECTED')
    // The announcer is not a member: it may propose but not vote.
    const other = await boss.group(task.id).propose({ action: 'announcer tries to vote', timeoutMs: 20_000 })
    assert.throws(() => boss.groups.vote(other.proposalId, { choice: 'yes' }), /not one of the proposal's voters/)
  })

  it('refuses and counts forged votes: from outside the group, claiming another voter, for unknown proposals', async () => {
    const proposal = await boss.group(task.id).propose({ action: 'guarded decision', quorum: 'unanimous', timeoutMs: 30_000 })
    const groupId = proposal.groupId
    await eventually(members, ['proposal:opened'], () => members.every(m => m.groups.proposal(proposal.proposalId) !== undefined), 'members to hear the proposal')
    const before = { unsealed: boss.gossip.stats.rejected.UNSEALED ?? 0, unknown: boss.groups.stats.votesRejected.UNKNOWN_PROPOSAL ?? 0, invalid: boss.gossip.stats.rejected.INVALID_MESSAGE ?? 0 }

    // 1. A peer outside the group signs a vote and publishes it on the group topic: it has no
    // key of the group, so its vote is not sealed, and the topic takes only sealed messages.
    const forged = encodeMessage(createMessage('VOTE', { proposalId: proposal.proposalId, groupId, choice: 'no', confidence: 1, sig: NO_SIGNATURE }))
    await outsider.libp2p.services.pubsub.publish(topic, forged)
    // 2. A member sends a vote whose body names another voter (the sender is the signer: no such
    // field exists), sealed with the group's key by its own router.
    const m1 = members[0] as SwarmNode
    const claiming = { v: PROTOCOL_VERSION, id: newId(), ts: Date.now(), type: 'VOTE', body: { proposalId: proposal.proposalId, groupId, choice: 'no', confidence: 1, voter: members[1]?.peerId.toString() } }
    await m1.gossip.publish(topic, claiming as unknown as SwarmMessage)
    // 3. A member votes on a proposal nobody made.
    await m1.gossip.publish(topic, createMessage('VOTE', { proposalId: newId(), groupId, choice: 'yes', confidence: 1, sig: NO_SIGNATURE }))

    await eventually([boss], [], () =>
      (boss.gossip.stats.rejected.UNSEALED ?? 0) > before.unsealed &&
      (boss.gossip.stats.rejected.INVALID_MESSAGE ?? 0) > before.invalid &&
      (boss.groups.stats.votesRejected.UNKNOWN_PROPOSAL ?? 0) > before.unknown,
    'the announcer to refuse and count the three forged votes')
    // None of them counted: a single "no" would have vetoed the unanimous proposal.
    const view = boss.groups.proposal(proposal.proposalId)
    assert.equal(view?.status, 'open')
    assert.deepEqual(view?.votes, [])
  })

  it('a proposal without quorum becomes an escalation that a human resolves and the members see', async () => {
    const created = nextEvent(boss, 'escalation:created', e => e.source === 'no-quorum', 20_000)
    const membersCreated = Promise.all(members.map(async m => await nextEvent(m, 'escalation:created', e => e.source === 'no-quorum', 20_000)))
    const proposal = await boss.group(task.id).propose({ action: 'rewrite everything', quorum: 'majority', minParticipation: 1, timeoutMs: 1_500 })
    await eventually(members, ['proposal:opened'], () => members.every(m => m.groups.proposal(proposal.proposalId) !== undefined), 'members to hear the proposal')
    members[0]?.groups.vote(proposal.proposalId, { choice: 'yes' })
    members[1]?.groups.vote(proposal.proposalId, { choice: 'no' })
    const decided = await Promise.all([boss, ...members].map(async n => await decidedOn(n, proposal.proposalId)))
    for (const view of decided) assert.equal(view.outcome, 'no-quorum')
    const escalation = await created
    assert.equal(escalation.proposalId, proposal.proposalId)
    assert.equal(escalation.status, 'open')
    const seen = await membersCreated
    for (const e of seen) assert.equal(e.id, escalation.id)
    assert.ok(boss.groups.escalations({ status: 'open' }).some(e => e.id === escalation.id))

    // A vote after the deadline is refused locally, and counted by the others when sent anyway.
    const late = members[2] as SwarmNode
    assert.throws(() => late.groups.vote(proposal.proposalId, { choice: 'yes' }), (err: Error & { code?: string }) => err.code === 'VOTE_REJECTED' && /deadline/.test(err.message))
    const lateBefore = boss.groups.stats.votesRejected.AFTER_DEADLINE ?? 0
    await late.gossip.publish(topic, createMessage('VOTE', { proposalId: proposal.proposalId, groupId: proposal.groupId, choice: 'yes', confidence: 1, sig: NO_SIGNATURE }))
    await eventually([boss], [], () => (boss.groups.stats.votesRejected.AFTER_DEADLINE ?? 0) > lateBefore, 'the late vote to be refused')

    // A member cannot resolve it: the announcer keeps it.
    assert.throws(() => members[0]?.groups.resolveEscalation(escalation.id, 'no'), (err: Error & { code?: string }) => err.code === 'ESCALATION_STATE')
    const resolvedOnMembers = Promise.all(members.map(async m => await nextEvent(m, 'escalation:resolved', e => e.id === escalation.id)))
    const resolved = boss.groups.resolveEscalation(escalation.id, 'keep the current design')
    assert.equal(resolved.status, 'resolved')
    for (const e of await resolvedOnMembers) assert.equal(e.decision, 'keep the current design')
    assert.throws(() => boss.groups.resolveEscalation(escalation.id, 'again'), (err: Error & { code?: string }) => err.code === 'ESCALATION_STATE')
    assert.equal(boss.groups.escalations({ status: 'resolved' }).find(e => e.id === escalation.id)?.decision, 'keep the current design')
  })

  it('a member escalates through its announcer', async () => {
    const created = nextEvent(boss, 'escalation:created', e => e.source === 'member')
    const { escalationId } = await (members[3] as SwarmNode).group(task.id).escalate({ issue: 'the source API rate-limits us', severity: 'high', attemptedResolutions: ['backed off 3 times'] })
    const record = await created
    assert.equal(record.id, escalationId)
    assert.equal(record.raisedBy, members[3]?.peerId.toString())
  })

  it('a claim is exclusive: the announcer grants it to one member, queues the other, and hands it over on release or lease end', async () => {
    const [a, b, c] = members as [SwarmNode, SwarmNode, SwarmNode]
    const gpu = 'gpu-0'
    const id = (n: SwarmNode): string => n.peerId.toString()
    // Two members claim at once: exactly one holds it, whatever the priorities and arrival order.
    const [ra, rb] = await Promise.all([a.group(task.id).claim(gpu, 60_000, 0), b.group(task.id).claim(gpu, 60_000, 5)])
    assert.notEqual(ra.granted, rb.granted, 'one of two simultaneous claims is granted')
    const [holder, waiter] = ra.granted ? [a, b] : [b, a]
    const waiting = waiter.group(task.id).claimStatus(gpu)
    assert.deepEqual([waiting.granted, waiting.holder, waiting.position], [false, id(holder), 1])
    assert.equal(boss.groups.claimStatus(task.id, gpu).holder, id(holder))

    // A release by a member that does not hold it is refused and changes nothing.
    const refused = await c.group(task.id).claim(gpu, 0)
    assert.deepEqual([refused.refused, refused.holder], [true, id(holder)])
    assert.equal(boss.groups.claimStatus(task.id, gpu).holder, id(holder))

    // The holder releases: the waiting member is told that it holds it now.
    const turn = nextEvent(waiter, 'claim:granted', e => e.resourceId === gpu && e.taskId === task.id)
    await holder.group(task.id).claim(gpu, 0)
    await turn
    assert.equal(waiter.group(task.id).claimStatus(gpu).granted, true)
    assert.equal(holder.group(task.id).claimStatus(gpu).granted, false)
    assert.equal(boss.groups.claimStatus(task.id, gpu).holder, id(waiter))

    // The new holder's lease ends without a release: the next claimant gets it.
    await waiter.group(task.id).claim(gpu, 1_500)
    const queued = await c.group(task.id).claim(gpu, 60_000)
    assert.deepEqual([queued.granted, queued.position], [false, 1])
    await nextEvent(c, 'claim:granted', e => e.resourceId === gpu && e.taskId === task.id, 10_000)
    assert.equal(c.group(task.id).claimStatus(gpu).granted, true)
    assert.equal(waiter.group(task.id).claimStatus(gpu).granted, false)
    assert.equal(boss.groups.claimStatus(task.id, gpu).holder, id(c))
    const actions = boss.task(task.id)?.audit.map(e => e.action) ?? []
    for (const action of ['claim-granted', 'claim-queued', 'claim-release-refused', 'claim-released']) assert.ok(actions.includes(action), `audit has ${action}`)
  })

  it('verifies the result by majority before completing (VERIFIED) and keeps the blackboard with the task', async () => {
    const outcome = withTimeout(task.result(), 30_000, 'the task to end')
    openGate(gate)
    const result = await outcome
    assert.equal(result.status, 'VERIFIED', result.reason)
    assert.equal(result.ok, true)
    const state = boss.task(task.id)
    assert.equal(state?.task.status, 'VERIFIED')
    const actions = state?.audit.map(e => e.action) ?? []
    for (const action of ['verification-requested', 'proposal-opened', 'proposal-decided', 'verification-decided', 'state:COMPLETE->VERIFIED', 'group-dissolved']) {
      assert.ok(actions.includes(action), `audit has ${action}`)
    }
    const verification = boss.groups.proposals(task.id).find(p => (p.params as { kind?: string } | undefined)?.kind === 'verification')
    assert.equal(verification?.outcome, 'approved')
    // The group dissolved: the blackboard is the one kept with the task.
    await eventually([boss], [], () => boss.groups.blackboard(task.id)?.live === false, 'the blackboard to be stored')
    const kept = boss.groups.blackboard(task.id)
    assert.equal(kept?.findings.length, 21)
    assert.equal(boss.store.listBlackboards(task.id)[0]?.live, false)
  })
})
