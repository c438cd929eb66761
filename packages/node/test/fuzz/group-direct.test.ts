/**
 * Fuzzing the group layer's entries: the announcer's direct handlers (GROUP_SYNC_REQUEST,
 * ESCALATE, CLAIM_REQUEST, CLAIM_RELEASE, CLAIM_ANSWER) through a real DirectRouter, and its
 * group-topic handler (proposals, votes, blackboard updates, data writes ...), of a GroupService
 * over the real SwarmStore in memory, in a group of two members on the fake group bus. Random and
 * mutated messages about the group (or others) come from a member and from strangers: every
 * direct answer decodes, nothing throws out, a refused request and a stranger's gossip leave no
 * row in the store; afterwards the member that never took part still gets its claim granted,
 * its escalation acknowledged and its sync answered.
 */
import { afterAll, beforeAll, describe, it, vi } from 'vitest'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { CHANNEL_MESSAGE_TYPES, createMessage } from '@swarm/protocol'
import { GroupService } from '../../src/group/group-service.js'
import { silentLogger } from '../../src/logger.js'
import { DirectRouter } from '../../src/net/direct-router.js'
import { systemClock } from '../../src/ports/clock.js'
import { SwarmStore } from '../../src/store/store.js'
import { FakeGroupBus, groupPeers } from '../fakes/fake-group-bus.js'
import { fakeSigner } from '../fakes/fake-signer.js'
import { GROUP_ID, TASK_ID, TOPIC, groupNodes, membersOf } from '../group/group-harness.js'
import { FUZZ_TIMEOUT_MS, assertNoPollution, fuzz, hostileMessages, validMessages } from './arbitraries.js'
import { answer, assertDecodable, refused, settle } from './direct-helpers.js'
import type { GroupNode } from '../group/group-harness.js'
import type { PeerId } from '@libp2p/interface'

const DIRECT_TYPES = ['GROUP_SYNC_REQUEST', 'ESCALATE', 'CLAIM_REQUEST', 'CLAIM_RELEASE', 'CLAIM_ANSWER', 'TASK_UPDATE', 'GROUP_INVITE'] as const

describe('fuzz: the group service (announcer role) behind the direct router and on its topic', () => {
  let bus: FakeGroupBus
  let store: SwarmStore
  let service: GroupService
  let router: DirectRouter
  let members: GroupNode[]
  let fuzzer: PeerId
  let quiet: PeerId
  let strangers: PeerId[]

  /** Everything of the group's the store holds, to compare before and after a request. */
  const rows = (): string => JSON.stringify([store.listEscalations(), store.listProposals(), store.getClaims(GROUP_ID) ?? null, store.listBlackboards(TASK_ID)])

  beforeAll(async () => {
    vi.useFakeTimers()
    bus = new FakeGroupBus()
    const [self, a, b, ...others] = await groupPeers(6) as [PeerId, PeerId, PeerId, ...PeerId[]]
    store = SwarmStore.open(':memory:')
    router = new DirectRouter()
    const ports = bus.node(self)
    service = new GroupService({
      gossip: ports.gossip,
      messenger: ports.messenger,
      direct: router,
      store,
      clock: systemClock,
      logger: silentLogger(),
      events: { emit: () => {} },
      audit: () => {},
      signer: fakeSigner(self)
    }, { self, network: 'unit', resyncMs: 1_500 })
    service.start()
    members = groupNodes(bus, [a, b])
    fuzzer = a
    quiet = b
    strangers = others
    const info = { taskId: TASK_ID, groupId: GROUP_ID, announcer: self.toString(), members: membersOf(members) }
    service.join({ ...info, role: 'announcer' })
    for (const m of members) m.service.join({ ...info, role: 'member' })
    await settle()
  })

  afterAll(() => {
    service.stop()
    for (const m of members) m.service.stop()
    store.close()
    vi.useRealTimers()
    assertNoPollution()
  })

  it('a member\'s release of a resource it does not hold is refused and stores nothing (found by this fuzz)', async () => {
    const before = rows()
    const { reply } = await answer(router, createMessage('CLAIM_RELEASE', { taskId: TASK_ID, groupId: GROUP_ID, resourceId: 'never-held' }), fuzzer)
    assert.equal(reply.type === 'CLAIM_ANSWER' ? reply.body.status : reply.type, 'refused')
    assert.equal(rows(), before)
  }, FUZZ_TIMEOUT_MS)

  it('answers every direct request with a decodable message, never throws, and stores nothing for a refused one', async () => {
    const ctx = { taskIds: [TASK_ID], groupIds: [GROUP_ID], peers: [fuzzer, quiet, ...strangers].map(String), skills: ['work'], resourceIds: ['printer', 'gpu'] }
    const requests = hostileMessages(validMessages(ctx, DIRECT_TYPES), 'direct')
    let refusedCount = 0
    let taken = 0
    await fc.assert(fc.asyncProperty(requests, fc.constantFrom(fuzzer, ...strangers), async (message, from) => {
      await settle()
      const before = rows()
      const { reply, timeMoved } = await answer(router, message, from)
      assertDecodable(reply, message)
      if (!refused(reply)) taken++
      if (refused(reply) && !timeMoved) {
        refusedCount++
        assert.equal(rows(), before, `a refused ${message.type} (${reply.type === 'ERROR' ? reply.body.code : reply.type}) left a row in the store`)
      }
    }), fuzz('group direct', 120))
    // Both sides were met: the generators reach past the checks, not only into them.
    assert.ok(refusedCount > 0 && taken > 0, `refused ${refusedCount}, taken ${taken}`)
  }, FUZZ_TIMEOUT_MS)

  it('takes nothing a stranger gossips on the group topic, and never throws on what a member gossips', async () => {
    const ctx = { taskIds: [TASK_ID], groupIds: [GROUP_ID], peers: [fuzzer, quiet, ...strangers].map(String), skills: ['work'] }
    const gossip = hostileMessages(validMessages(ctx, CHANNEL_MESSAGE_TYPES.group), 'group')
    await fc.assert(fc.asyncProperty(gossip, fc.constantFrom(fuzzer, ...strangers), async (message, from) => {
      await settle()
      const before = rows()
      const accepted = await bus.inject(TOPIC, message, from)
      await settle()
      if (strangers.some(s => s.equals(from))) {
        assert.equal(accepted, 0, `the group took a stranger's ${message.type}`)
        assert.equal(rows(), before, `a stranger's ${message.type} left a row in the store`)
      }
    }), fuzz('group topic', 120))
  }, FUZZ_TIMEOUT_MS)

  it('keeps serving: the quiet member\'s claim is granted, its escalation acknowledged, its sync answered', async () => {
    const claim = await answer(router, createMessage('CLAIM_REQUEST', { taskId: TASK_ID, groupId: GROUP_ID, resourceId: 'after-fuzz', priority: 0, leaseMs: 1_000 }), quiet)
    assert.equal(claim.reply.type === 'CLAIM_ANSWER' ? claim.reply.body.status : claim.reply.type, 'granted')
    const escalation = await answer(router, createMessage('ESCALATE', { taskId: TASK_ID, groupId: GROUP_ID, severity: 'low', issue: 'after the fuzz' }), quiet)
    assert.equal(escalation.reply.type, 'ACK', JSON.stringify(escalation.reply.body))
    const sync = await answer(router, createMessage('GROUP_SYNC_REQUEST', { taskId: TASK_ID, groupId: GROUP_ID, stateVector: 'AA==' }), quiet)
    assert.equal(sync.reply.type, 'GROUP_SYNC_RESPONSE', JSON.stringify(sync.reply.body))
  }, FUZZ_TIMEOUT_MS)
})
