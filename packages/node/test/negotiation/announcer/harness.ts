/**
 * An Announcer over fakes of all its ports, and fake agents that answer it: the unit tests of
 * the announcer play the other peers through the fake messenger (scripted per peer and message
 * type) and the fake direct registry (offers, results and progress arriving), on vitest's fake
 * clock (the announcer reads time only through its Clock, here systemClock over the faked
 * globals). Nothing touches a network.
 */
import { vi } from 'vitest'
import { createMessage, topics } from '@swarm/protocol'
import { NodeConfigSchema } from '../../../src/config.js'
import { Announcer } from '../../../src/negotiation/announcer/index.js'
import { silentLogger } from '../../../src/logger.js'
import { systemClock } from '../../../src/ports/clock.js'
import { FAKE_SIGNATURE, RecordingAwards, trustingSigner } from '../../fakes/fake-awards.js'
import { FakeGossip } from '../../fakes/fake-gossip.js'
import { ANY_PEER, FakeDirectRegistry, FakeMessenger, ack } from '../../fakes/fake-messenger.js'
import { RecordingEvents, fakePeerIds } from '../../fakes/fake-events.js'
import type { AnnouncedTask, AnnouncerEvents, AnnouncerGroupHooks, AnnouncerSettings, GroupOutcome } from '../../../src/negotiation/announcer/index.js'
import type { AnnouncerComponents, UnfinishedTask } from '../../../src/negotiation/announcer/types.js'
import type { ReputationOutcome, ReputationPort } from '../../../src/ports/ledger.js'
import type { FakeReply } from '../../fakes/fake-messenger.js'
import type { PeerId } from '@libp2p/interface'
import type { Json, Level, SwarmMessage, TaskAnnounceBody } from '@swarm/protocol'

export const NETWORK = 'unit'

/** What a fake agent offers: its skills, and how busy it is. */
export interface FakeAgent {
  skills: Array<{ name: string, level?: Level, successRate?: number, avgCompletionMs?: number }>
  load?: number
  capacity?: number
}

/** An agent whose offer scores about 0.9 for a novice-level skill. */
export function strong (skill: string): FakeAgent {
  return { skills: [{ name: skill, level: 'expert', successRate: 1, avgCompletionMs: 0 }], load: 0, capacity: 4 }
}

/** An agent whose offer scores about 0.25: below the default early-close score of 0.45. */
export function weak (skill: string): FakeAgent {
  return { skills: [{ name: skill, level: 'novice', successRate: 0, avgCompletionMs: 1e9 }], load: 3, capacity: 4 }
}

/** The SKILL_OFFER an agent sends for one attempt of a task. */
export function offerOf (taskId: string, attempt: number, agent: FakeAgent): Extract<SwarmMessage, { type: 'SKILL_OFFER' }> {
  return createMessage('SKILL_OFFER', {
    taskId,
    attempt,
    skills: agent.skills.map(s => ({ name: s.name, level: s.level ?? 'novice', successRate: s.successRate ?? 1, avgCompletionMs: s.avgCompletionMs ?? 1_000 })),
    score: 0.5,
    estimateMs: 1_000,
    load: agent.load ?? 0,
    capacity: agent.capacity ?? 4,
    leaseExpiresAt: Date.now() + 10_000,
    signature: FAKE_SIGNATURE
  })
}

/** Reputation kept in memory: every peer starts at 0.5; outcomes are recorded for assertions. */
export class FakeReputation implements ReputationPort {
  readonly recorded: Array<{ peerId: string, outcome: ReputationOutcome }> = []
  of (): number { return 0.5 }
  observed (): { successes: number, total: number } { return { successes: 0, total: 0 } }
  record (peerId: string, outcome: ReputationOutcome): void { this.recorded.push({ peerId, outcome }) }
  /** Outcomes recorded for one peer. */
  outcomesOf (peerId: PeerId | string): ReputationOutcome[] {
    return this.recorded.filter(r => r.peerId === peerId.toString()).map(r => r.outcome)
  }
}

/** The group layer: records what the announcer tells it; `verdict` answers verifications. */
export class FakeGroups implements AnnouncerGroupHooks {
  readonly formedGroups: Array<{ taskId: string, groupId: string }> = []
  readonly changes: Array<{ groupId: string, members: string[] }> = []
  readonly dissolvedGroups: string[] = []
  readonly escalations: Array<{ taskId: string, issue: string }> = []
  readonly verifications: Array<{ taskId: string, attempt: number, timeoutMs: number }> = []
  verdict: GroupOutcome = 'approved'
  formed (info: { taskId: string, groupId: string }): void { this.formedGroups.push({ taskId: info.taskId, groupId: info.groupId }) }
  membersChanged (groupId: string, members: Array<{ peerId: string }>): void { this.changes.push({ groupId, members: members.map(m => m.peerId) }) }
  dissolved (_taskId: string, groupId: string): void { this.dissolvedGroups.push(groupId) }
  async verify (info: { taskId: string, attempt: number, timeoutMs: number }): Promise<{ outcome: GroupOutcome }> {
    this.verifications.push({ taskId: info.taskId, attempt: info.attempt, timeoutMs: info.timeoutMs })
    return { outcome: this.verdict }
  }

  escalate (info: { taskId: string, issue: string }): void { this.escalations.push({ taskId: info.taskId, issue: info.issue }) }
}

export interface Harness {
  announcer: Announcer
  self: PeerId
  gossip: FakeGossip
  messenger: FakeMessenger
  direct: FakeDirectRegistry
  events: RecordingEvents<AnnouncerEvents>
  reputation: FakeReputation
  groups: FakeGroups
  /** The awards the announcer made, with the signed offers it kept. */
  awards: RecordingAwards
  audits: Array<{ taskId: string, action: string, detail?: Json }>
  saved: AnnouncedTask[]
  /** Tasks the store holds from an earlier run, given to the announcer when it starts. */
  stored: UnfinishedTask[]
  /** Stored tasks the announcer gave up on, with why. */
  abandoned: Array<{ taskId: string, reason: string }>
  /** Checkpoints persisted through the ledger port, in order. */
  checkpointsSaved: Array<{ taskId: string, checkpoint: Json }>
  /** skill → peer ids the directory knows (capable agents). */
  capable: Map<string, string[]>
  connected: Set<string>
  /** Announcements handed to this node's own bidder. */
  local: TaskAnnounceBody[]
  settings: AnnouncerSettings
  /** Audit actions so far, in order. */
  actions: () => string[]
  /** An offer arriving directly from `peer`. */
  offer: (peer: PeerId, taskId: string, agent: FakeAgent, attempt?: number) => Promise<SwarmMessage>
  /** A member's result arriving directly. */
  result: (peer: PeerId, taskId: string, skill: string, result: { ok: boolean, output?: Json }) => Promise<SwarmMessage>
  /** A progress update on the group topic, signed by `peer`; false when the announcer does not listen. */
  progress: (peer: PeerId, taskId: string, skill: string, update: { progress: number, checkpoint?: Json, message?: string }) => boolean
  /** The group id the announcer formed for a task (from its state). */
  groupOf: (taskId: string) => string
  /** Stops the announcer, letting its notices settle on the fake clock. */
  close: () => Promise<void>
}

/**
 * Scripts `peer` to play a willing agent: it answers a direct announcement with its offer and
 * accepts invites (every peer acknowledges its start unless a test scripts otherwise).
 */
export function willing (h: Harness, peer: PeerId, agent: FakeAgent): void {
  h.messenger
    .on(peer, 'TASK_ANNOUNCE', message => offerOf(message.body.taskId, message.body.attempt, agent))
    .on(peer, 'GROUP_INVITE', message => createMessage('GROUP_ACCEPT', { taskId: message.body.taskId, groupId: message.body.groupId }))
}

/** Scripts how `peer` answers invites (e.g. a GROUP_REJECT, or silent()). */
export function answersInvites (h: Harness, peer: PeerId, reply: FakeReply<'GROUP_INVITE'>): void {
  h.messenger.on(peer, 'GROUP_INVITE', reply)
}

/** An announcer over fresh fakes, with the negotiation defaults of config.ts unless overridden. */
export async function announcerHarness (overrides: Partial<AnnouncerSettings> = {}, extra: Pick<AnnouncerComponents, 'offerLimiter'> = {}): Promise<Harness> {
  const [self] = await fakePeerIds(1)
  if (self === undefined) throw new Error('no peer id')
  const settings: AnnouncerSettings = { ...NodeConfigSchema.parse({ dataDir: '/nonexistent' }).negotiation, ...overrides }
  const gossip = new FakeGossip()
  const messenger = new FakeMessenger()
  messenger.on(ANY_PEER, 'TASK_START', ack())
  const direct = new FakeDirectRegistry()
  const events = new RecordingEvents<AnnouncerEvents>()
  const reputation = new FakeReputation()
  const groups = new FakeGroups()
  const awards = new RecordingAwards()
  const audits: Harness['audits'] = []
  const saved: AnnouncedTask[] = []
  const stored: UnfinishedTask[] = []
  const abandoned: Harness['abandoned'] = []
  const checkpointsSaved: Harness['checkpointsSaved'] = []
  const capable = new Map<string, string[]>()
  const connected = new Set<string>()
  const local: TaskAnnounceBody[] = []
  const announcer = new Announcer({
    gossip,
    messenger,
    direct,
    clock: systemClock,
    logger: silentLogger(),
    reputation,
    signer: trustingSigner,
    awards,
    ledger: {
      save: task => { saved.push(task) },
      unfinished: () => stored,
      abandon: (task, reason) => { abandoned.push({ taskId: task.taskId, reason }) },
      saveCheckpoint: (taskId, checkpoint) => { checkpointsSaved.push({ taskId, checkpoint }) },
      audit: (taskId, action, detail) => { audits.push({ taskId, action, ...(detail !== undefined ? { detail } : {}) }) }
    },
    events,
    directory: { capablePeers: skill => capable.get(skill) ?? [], addrsOf: () => [] },
    connectedPeers: () => connected,
    addrs: () => [],
    ensureReachable: async () => {},
    localBidder: body => { local.push(body) },
    groups,
    ...extra
  }, { network: NETWORK, self, negotiation: settings })
  const h: Harness = {
    announcer, self, gossip, messenger, direct, events, reputation, groups, awards, audits, saved, stored, abandoned, checkpointsSaved, capable, connected, local, settings,
    actions: () => audits.map(a => a.action),
    offer: async (peer, taskId, agent, attempt = 1) => await direct.call(offerOf(taskId, attempt, agent), peer),
    result: async (peer, taskId, skill, result) => await direct.call(createMessage('TASK_COMPLETE', { taskId, groupId: h.groupOf(taskId), skill, ok: result.ok, durationMs: 5, ...(result.output !== undefined ? { output: result.output } : {}) }), peer),
    progress: (peer, taskId, skill, update) => {
      const groupId = h.groupOf(taskId)
      return gossip.deliver(topics.group(NETWORK, groupId), createMessage('TASK_UPDATE', { taskId, groupId, skill, ...update }), peer)
    },
    groupOf: taskId => {
      const groupId = announcer.state(taskId)?.groupId
      if (groupId === undefined) throw new Error(`task ${taskId} has no group`)
      return groupId
    },
    close: async () => {
      const stopped = announcer.stop()
      await vi.advanceTimersByTimeAsync(10_000)
      await stopped
    }
  }
  return h
}
