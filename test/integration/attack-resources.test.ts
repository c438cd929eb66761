/**
 * Resource abuse (issue 14): a member floods its announcer with large escalations, proposes a
 * vote that lasts 30 days, and any peer sends a small request type padded to a large frame. The
 * escalations are refused or limited and the announcer's database stays small, the proposal
 * ends with the task, the padded frame is refused as OVERSIZED; a legitimate 6 MiB input by
 * reference still reaches its handler whole.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { existsSync, statSync } from 'node:fs'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { PROTOCOL_VERSION, createMessage, decodeMessage, newId, protocolIds, topics } from '@swarm/protocol'
import { frame, rawRequest } from '../helpers/attacker.js'
import { FIXTURES, builtinSkill, byName, startNegotiationSwarm } from '../helpers/negotiation.js'
import { until } from '../helpers/wait.js'
import type { TestSwarm } from '../helpers/nodes.js'
import type { SwarmNode } from '@swarm/node'

const DAY = 24 * 3600 * 1000

/** The announcer's database on disk, its write-ahead log included. */
function databaseBytes (node: SwarmNode): number {
  const db = node.paths.database
  return [db, `${db}-wal`].filter(existsSync).reduce((sum, path) => sum + statSync(path).size, 0)
}

/** The code of an ERROR reply, the type of another, or `closed` when the stream ended without one. */
function replyCode (bytes: Uint8Array | undefined): string {
  if (bytes === undefined) return 'closed'
  const reply = decodeMessage(bytes)
  return reply.type === 'ERROR' ? reply.body.code : reply.type
}

/** Polls `check` (what it reads has no event of its own). */
async function eventually (check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  await until(check, changed => {
    const timer = setInterval(changed, 50)
    return () => { clearInterval(timer) }
  }, timeoutMs, what)
}

describe('resource abuse by a peer and by a member', () => {
  let swarm: TestSwarm
  let boss: SwarmNode
  let attacker: SwarmNode

  beforeAll(async () => {
    swarm = await startNegotiationSwarm([
      // The announcer keeps its database on disk, to be measured.
      { name: 'boss', storage: 'file' },
      { name: 'worker', skills: [{ name: 'measure', level: 'expert', handler: { kind: 'module', path: `${FIXTURES}input-size-handler.mjs`, export: 'measure' } }] },
      // A member of the boss's group that misbehaves: its skill keeps the group working for a while.
      { name: 'attacker', skills: [builtinSkill('slow', 'expert', 'sleep', 40_000)] }
    ])
    boss = byName(swarm, 'boss')
    attacker = byName(swarm, 'attacker')
  })

  afterAll(async () => { await swarm?.stop() })

  it('refuses a small request type padded to a large frame as OVERSIZED', async () => {
    const offer = JSON.stringify({
      v: PROTOCOL_VERSION,
      id: newId(),
      ts: Date.now(),
      type: 'SKILL_OFFER',
      body: { taskId: newId(), attempt: 1, skills: [{ name: 'slow', level: 'expert', successRate: 1, avgCompletionMs: 1 }], score: 1, estimateMs: 1, load: 0, capacity: 1, leaseExpiresAt: Date.now() + 10_000, signature: 'A'.repeat(86) }
    })
    // 200 KiB of JSON whitespace: the schema cannot tell, the frame limit of SKILL_OFFER (16 KiB) can.
    const padded = new TextEncoder().encode(`${offer.slice(0, -1)}${' '.repeat(200 * 1024)}}`)
    const reply = await rawRequest(attacker, boss.peerId, protocolIds.direct(boss.config.network), padded)
    assert.equal(replyCode(reply), 'OVERSIZED')
  })

  it('passes a 6 MiB input by reference to the handler whole', async () => {
    const input = { blob: 'z'.repeat(6 * 1024 * 1024), note: 'a large input by reference' }
    const json = JSON.stringify(input)
    const task = await boss.announce({ description: 'measure a large input', skills: [{ name: 'measure' }], input, bidWindowMs: 2_000, deadlineMs: 120_000 })
    const outcome = await task.result()
    assert.equal(outcome.status, 'COMPLETE', outcome.reason)
    assert.deepEqual(outcome.output, { measure: { bytes: Buffer.byteLength(json), sha256: createHash('sha256').update(json).digest('hex') } })
  })

  it('clamps a 30-day proposal to the task\'s deadline, and bounds what a flood of escalations makes the announcer keep', async () => {
    const announcedAt = Date.now()
    const deadlineMs = 90_000
    const task = await boss.announce({ description: 'take your time', skills: [{ name: 'slow' }], bidWindowMs: 1_000, deadlineMs })
    await eventually(() => attacker.bidder.assignments().some(a => a.taskId === task.id && a.running), 'the attacker to start its part')
    const assignment = attacker.bidder.assignments().find(a => a.taskId === task.id)
    assert.ok(assignment !== undefined)
    const { groupId } = assignment
    const taskDeadline = announcedAt + deadlineMs

    // A proposal that asks for 30 days, published by a member (sealed with the group's key like any).
    const proposal = createMessage('PROPOSAL', {
      proposalId: newId(), taskId: task.id, groupId, action: 'wait a month', quorum: { kind: 'majority' }, minParticipation: 0.5, voters: [attacker.peerId.toString()], deadline: Date.now() + 30 * DAY
    })
    await attacker.gossip.publish(topics.group(boss.config.network, groupId), proposal)
    await eventually(() => boss.groups.proposal(proposal.body.proposalId) !== undefined, 'the announcer to open the proposal')
    const opened = boss.groups.proposal(proposal.body.proposalId)
    assert.ok(opened !== undefined && opened.deadline <= taskDeadline + 1_000, `the proposal ends by the task's deadline, not in 30 days (${new Date(opened?.deadline ?? 0).toISOString()})`)

    // 100 escalations of 900 KiB: refused for their context (the frame itself is within the stream's limit).
    const before = databaseBytes(boss)
    const protocol = protocolIds.direct(boss.config.network)
    const big = frame('ESCALATE', { taskId: task.id, groupId, severity: 'high', issue: 'look at this', context: { blob: 'x'.repeat(900 * 1024) }, attemptedResolutions: [] })
    const bigCodes = new Set<string>()
    for (let i = 0; i < 100; i++) bigCodes.add(replyCode(await rawRequest(attacker, boss.peerId, protocol, big)))
    assert.ok(!bigCodes.has('ACK'), `no large escalation is taken (${[...bigCodes].join(', ')})`)
    assert.ok(bigCodes.has('OVERSIZED'))

    // 100 small ones as fast as it can: a burst is taken, the rest is over the member's rate.
    const codes: string[] = []
    const started = Date.now()
    for (let i = 0; i < 100; i++) {
      codes.push(replyCode(await rawRequest(attacker, boss.peerId, protocol, frame('ESCALATE', { taskId: task.id, groupId, severity: 'low', issue: `issue ${i}`, context: { blob: 'y'.repeat(8 * 1024) }, attemptedResolutions: [] }))))
    }
    const taken = codes.filter(c => c === 'ACK').length
    // The default rate: a burst of 5, then one every 5 s.
    const allowed = 5 + Math.ceil((Date.now() - started) / 5_000)
    assert.ok(taken >= 1 && taken <= allowed, `${taken} escalations taken, at most ${allowed}`)
    assert.ok(codes.includes('RATE_LIMITED'))
    assert.equal(boss.groups.escalations({ taskId: task.id }).length, taken)
    const grown = databaseBytes(boss) - before
    assert.ok(grown < 4 * 1024 * 1024, `the announcer's database grew by ${grown} bytes (it grew by 88 MiB before the limits)`)
    await task.cancel('done testing').catch(() => {})
  })
})
