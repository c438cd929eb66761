/**
 * Several group services on one fake bus, one per peer, each with its own fake store, event
 * log and audit log, on the system clock (which vitest's fake timers drive). The first node is
 * the task's announcer, the others its members.
 */
import { vi } from 'vitest'
import { topics } from '@swarm/protocol'
import { GroupService } from '../../src/group/group-service.js'
import { silentLogger } from '../../src/logger.js'
import { systemClock } from '../../src/ports/clock.js'
import { FakeGroupStore } from '../fakes/fake-group-store.js'
import { fakeSigner } from '../fakes/fake-signer.js'
import type { GroupEvents } from '../../src/group/group-service.js'
import { FakeGroupBus } from '../fakes/fake-group-bus.js'
import type { FakeGroupNode } from '../fakes/fake-group-bus.js'
import type { PeerId } from '@libp2p/interface'
import type { GroupMember, Json } from '@swarm/protocol'

const NETWORK = 'unit'
export const TASK_ID = 'task-0001'
export const GROUP_ID = 'group-0001'
export const TOPIC = topics.group(NETWORK, GROUP_ID)
export const RESYNC_MS = 1_500

/** One node of the test: its service and what it recorded. */
export interface GroupNode {
  readonly peer: PeerId
  readonly id: string
  readonly ports: FakeGroupNode
  readonly service: GroupService
  readonly store: FakeGroupStore
  readonly events: Array<{ event: keyof GroupEvents, payload: unknown }>
  readonly audits: Array<{ taskId: string, action: string, detail?: Json }>
  /** Peers this node charged in its penalty book, with the reason. */
  readonly penalties?: Array<{ peer: string, reason: string }>
}

/** The payloads of one event a node emitted. */
export function eventsOf<K extends keyof GroupEvents> (node: GroupNode, event: K): Array<GroupEvents[K]> {
  return node.events.filter(e => e.event === event).map(e => e.payload as GroupEvents[K])
}

/**
 * A group service for each peer, all on `bus`; with `stores`, restarted nodes: new processes
 * (fresh ports) over the stores their previous runs left.
 */
export function groupNodes (bus: FakeGroupBus, peers: PeerId[], stores: FakeGroupStore[] = []): GroupNode[] {
  return peers.map((peer, i) => {
    const ports = stores[i] !== undefined ? bus.restart(peer) : bus.node(peer)
    const store = stores[i] ?? new FakeGroupStore()
    const events: GroupNode['events'] = []
    const audits: GroupNode['audits'] = []
    const penalties: Array<{ peer: string, reason: string }> = []
    const service = new GroupService({
      gossip: ports.gossip,
      messenger: ports.messenger,
      direct: ports.direct,
      store,
      clock: systemClock,
      logger: silentLogger(),
      events: { emit: (event, payload) => { events.push({ event, payload }) } },
      audit: (taskId, action, detail) => { audits.push({ taskId, action, ...(detail !== undefined ? { detail } : {}) }) },
      signer: fakeSigner(peer),
      penalties: (from, penalty) => { penalties.push({ peer: from.toString(), reason: penalty.reason }) }
    }, { self: peer, network: NETWORK, resyncMs: RESYNC_MS })
    service.start()
    return { peer, id: peer.toString(), ports, service, store, events, audits, penalties }
  })
}

/** The group's member list (every member has the skill `work`). */
export function membersOf (nodes: GroupNode[]): GroupMember[] {
  return nodes.map(n => ({ peerId: n.id, skills: ['work'] }))
}

/** The announcer forms the group of `members` and each member joins it. */
export function formGroup (announcer: GroupNode, members: GroupNode[]): void {
  const info = { taskId: TASK_ID, groupId: GROUP_ID, announcer: announcer.id, members: membersOf(members) }
  announcer.service.join({ ...info, role: 'announcer' })
  for (const m of members) m.service.join({ ...info, role: 'member' })
}

/** Lets queued deliveries and direct requests run (no time passes). */
export async function settle (): Promise<void> {
  for (let i = 0; i < 3; i++) await vi.advanceTimersByTimeAsync(0)
}

/**
 * The usual setup of a test: fake timers, a fresh bus with one node per peer, the first node
 * announcing a group of the second and third (any further node stays outside), settled.
 */
export async function startGroup (peers: PeerId[]): Promise<{ bus: FakeGroupBus, all: GroupNode[] }> {
  vi.useFakeTimers()
  const bus = new FakeGroupBus()
  const all = groupNodes(bus, peers)
  const [announcer, b, c] = all as [GroupNode, GroupNode, GroupNode]
  formGroup(announcer, [b, c])
  await settle()
  return { bus, all }
}

/** Stops every node's service and goes back to real timers. */
export function stopGroup (all: GroupNode[]): void {
  for (const n of all) n.service.stop()
  vi.useRealTimers()
}
