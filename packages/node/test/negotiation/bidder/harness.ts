/**
 * A bidder over fakes, for the bidder's unit tests: one node (`self`) with the skills a test
 * gives it, announcers to play, and helpers to hear announcements and send it the announcer's
 * direct messages. Time is vitest's fake clock (the system clock reads it).
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createMessage, topics } from '@swarm/protocol'
import { SkillConfigSchema } from '../../../src/config.js'
import { Bidder } from '../../../src/negotiation/bidder/index.js'
import { SkillRegistry } from '../../../src/negotiation/skill-registry.js'
import { keySigner } from '../../../src/net/key-signer.js'
import { systemClock } from '../../../src/ports/clock.js'
import { RecordingAwards } from '../../fakes/fake-awards.js'
import { RecordingHistory } from '../../fakes/fake-member-history.js'
import { FakeBidderDirect, FakeBidderGossip, FakeBidderMessenger, RecordingEvents, fakePeers, silentLogger } from '../../fakes/fake-bidder-ports.js'
import type { HandlerOutcome, SkillHandler } from '../../../src/executor/types.js'
import type { BidderEvents, BidderInit } from '../../../src/negotiation/bidder/index.js'
import type { PeerId } from '@libp2p/interface'
import type { Award, GroupMember, Json, SwarmMessage, TaskAnnounceBody } from '@swarm/protocol'

const NETWORK = 'unit'

export interface HarnessOptions {
  capacity: number
  /** Skill name → its handler (level expert). */
  skills: Record<string, SkillHandler>
  leaseGraceMs?: number
  /** How often a working member beats (default 2 s, the config default). */
  memberHeartbeatMs?: number
  /** What one announcer can make the bidder spend (nothing is limited without it). */
  limits?: BidderInit['limits']
  /** Peer ids this node had a successful outcome with (everyone counts as known without it). */
  known?: (peerId: string) => boolean
}

export interface BidderHarness {
  bidder: Bidder
  gossip: FakeBidderGossip
  messenger: FakeBidderMessenger
  direct: FakeBidderDirect
  events: RecordingEvents<BidderEvents>
  /** Every load the bidder reported, in order. */
  loads: number[]
  outcomes: Array<{ skill: string, outcome: HandlerOutcome }>
  /** Every step the bidder reported to its member history. */
  history: RecordingHistory
  /** The offers this node signed and the awards it heard. */
  awards: RecordingAwards
  self: PeerId
  /** Announcers to play (the first is the usual one). */
  announcers: PeerId[]
  /** An announcement body for `taskId`, from now, with `overrides`. */
  announcement: (taskId: string, overrides?: Partial<TaskAnnounceBody>) => TaskAnnounceBody
  /** Delivers an announcement on a skill topic, signed by `from`. */
  hearOn: (skill: string, body: TaskAnnounceBody, from?: PeerId) => boolean
  /** Sends the bidder a direct message from `from` (default: the first announcer). */
  call: (message: SwarmMessage, from?: PeerId) => Promise<SwarmMessage>
  /** Invites this node to `groupId` for the task's skills (or `skills`). */
  invite: (body: TaskAnnounceBody, groupId: string, skills?: string[], from?: PeerId) => Promise<SwarmMessage>
  /** Starts the group (this node its only member unless `members` is given). */
  start: (body: TaskAnnounceBody, groupId: string, skills?: string[], members?: GroupMember[], from?: PeerId) => Promise<SwarmMessage>
  /** Task ids of the SKILL_OFFERs sent so far, in order. */
  offeredTasks: () => string[]
}

export async function bidderHarness (options: HarnessOptions): Promise<BidderHarness> {
  // A real key: the bidder signs its offers (the announcer's side checks them in its own tests).
  const key = await generateKeyPair('Ed25519')
  const self = peerIdFromPrivateKey(key)
  const announcers = await fakePeers(3)
  const first = announcers[0] as PeerId
  const gossip = new FakeBidderGossip()
  const messenger = new FakeBidderMessenger()
  const direct = new FakeBidderDirect()
  const events = new RecordingEvents<BidderEvents>()
  const loads: number[] = []
  const outcomes: Array<{ skill: string, outcome: HandlerOutcome }> = []
  const history = new RecordingHistory()
  const awards = new RecordingAwards()
  const configs = Object.keys(options.skills).map(name => SkillConfigSchema.parse({ name, level: 'expert', handler: { kind: 'builtin', name: 'echo' } }))
  const skills = new SkillRegistry(configs, config => options.skills[config.name], () => undefined)
  const bidder = new Bidder({
    gossip,
    messenger,
    direct,
    clock: systemClock,
    skills,
    fetchInput: async (_announcer, _taskId, input) => input.kind === 'inline' ? input.value : null,
    events,
    audit: () => {},
    logger: silentLogger(),
    onLoad: load => { loads.push(load) },
    onOutcome: (skill, outcome) => { outcomes.push({ skill, outcome }) },
    capablePeers: () => [],
    groups: { joined: () => {}, left: () => {}, result: () => {}, handlerContext: () => ({}) },
    history,
    signer: keySigner(key),
    awards,
    ...(options.known !== undefined ? { announcerKnown: options.known } : {})
  }, { self, network: NETWORK, capacity: options.capacity, leaseGraceMs: options.leaseGraceMs ?? 1_000, dedupeSize: 1_000, memberHeartbeatMs: options.memberHeartbeatMs ?? 2_000, ...(options.limits !== undefined ? { limits: options.limits } : {}) })
  bidder.start()

  const announcement = (taskId: string, overrides: Partial<TaskAnnounceBody> = {}): TaskAnnounceBody => ({
    taskId,
    description: 'a unit-test task',
    skills: Object.keys(options.skills).slice(0, 1).map(name => ({ name, minLevel: 'novice', count: 1 })),
    maxGroupSize: 1,
    priority: 'normal',
    deadline: Date.now() + 60_000,
    bidWindowMs: 500,
    input: { kind: 'inline', value: { task: taskId } as Json },
    announcerAddrs: [],
    attempt: 1,
    createdAt: Date.now(),
    verify: 'none',
    offerCap: 0,
    ...overrides
  })
  const call = async (message: SwarmMessage, from: PeerId = first): Promise<SwarmMessage> => await direct.call(message, from)
  const skillsOf = (body: TaskAnnounceBody, skills?: string[]): string[] => skills ?? body.skills.map(s => s.name)
  return {
    bidder,
    gossip,
    messenger,
    direct,
    events,
    loads,
    outcomes,
    history,
    awards,
    self,
    announcers,
    announcement,
    hearOn: (skill, body, from = first) => gossip.deliver(topics.skill(NETWORK, skill), createMessage('TASK_ANNOUNCE', body), from),
    call,
    invite: async (body, groupId, skills, from) => await call(createMessage('GROUP_INVITE', { taskId: body.taskId, attempt: body.attempt, groupId, skills: skillsOf(body, skills), answerBy: Date.now() + 3_000 }), from),
    start: async (body, groupId, skills, members, from) => await call(createMessage('TASK_START', {
      taskId: body.taskId,
      groupId,
      description: body.description,
      skills: skillsOf(body, skills),
      input: body.input,
      deadline: body.deadline,
      members: members ?? [{ peerId: self.toString(), skills: skillsOf(body, skills) }]
    }), from),
    offeredTasks: () => messenger.sentOfType('SKILL_OFFER').map(r => r.message.body.taskId)
  }
}

/**
 * An award of a group of `members` for the task (its announcer `from`): the offers listed are
 * the members' (a minimal award; core/award.test.ts checks real ones).
 */
export function awardOf (body: TaskAnnounceBody, from: PeerId, members: GroupMember[]): Award {
  return {
    v: 1,
    taskId: body.taskId,
    attempt: body.attempt,
    announcer: from.toString(),
    rule: { skills: body.skills, maxGroupSize: body.maxGroupSize, weights: { level: 1, successRate: 1, availability: 1, speed: 1, reputation: 1 }, speedReferenceMs: 10_000, excluded: [] },
    offers: members.map((m, i) => ({ peerId: m.peerId, digest: String(i).padStart(43, 'D'), skills: m.skills.map(name => ({ name, level: 'expert' as const, successRate: 1, avgCompletionMs: 1 })), load: 0, capacity: 1, estimateMs: 1, reputation: 0.5, observed: { successes: 0, total: 0 } })),
    omitted: 0,
    selected: members,
    replacements: [],
    members
  }
}

/** A handler that runs until its signal aborts (then rejects with the signal's reason), counting its runs. */
export function hangingHandler (): { handler: SkillHandler, runs: string[], aborted: string[] } {
  const runs: string[] = []
  const aborted: string[] = []
  const handler: SkillHandler = async (_input, ctx) => await new Promise<Json>((_resolve, reject) => {
    runs.push(ctx.taskId)
    ctx.signal.addEventListener('abort', () => {
      aborted.push(ctx.taskId)
      reject(ctx.signal.reason)
    }, { once: true })
  })
  return { handler, runs, aborted }
}

/** A handler that returns its input. */
export const echoHandler: SkillHandler = async input => input
