/**
 * A worker thread of the simulator: hosts a share of the peers (real swarm nodes) and does
 * what the coordinator tells it: start, announce, kill, restart, cut off, report.
 */
import { parentPort } from 'node:worker_threads'
import { createSwarmNode } from '@swarm/node'
import { AdversaryRoster } from './adversary-worker.js'
import type { AdversarySpec } from './scenario.js'
import type { TaskRecord, WorkerCommand, WorkerEvent, PeerStats } from './messages.js'
import type { NodeConfigInput, SwarmNode } from '@swarm/node'

if (parentPort === null) throw new Error('the simulator worker must run in a worker thread')
const port = parentPort

const nodes = new Map<number, SwarmNode>()
const dead = new Set<number>()
const tasksRun = new Map<number, number>()
/** The malicious peers of this thread (scenario adversaries) and the honest peers' view of them. */
const adversaries = new AdversaryRoster()
/** The longest delay of a 100 ms timer since the last health report: how long the thread's event loop was stuck. */
let worstLagMs = 0
let lagTick = performance.now()
setInterval(() => {
  const now = performance.now()
  worstLagMs = Math.max(worstLagMs, now - lagTick - 100)
  lagTick = now
}, 100).unref()

function send (event: WorkerEvent): void {
  port.postMessage(event)
}

async function startPeer (index: number, config: NodeConfigInput, adversary?: AdversarySpec): Promise<{ index: number, peerId: string, addr: string }> {
  const node = await createSwarmNode(config)
  nodes.set(index, node)
  dead.delete(index)
  if (adversary !== undefined) adversaries.add(index, node, adversary)
  node.on('work:started', () => { tasksRun.set(index, (tasksRun.get(index) ?? 0) + 1) })
  const addr = node.addrs.find(a => a.includes('/tcp/')) ?? node.addrs[0] ?? ''
  return { index, peerId: node.peerId.toString(), addr }
}

async function announce (command: Extract<WorkerCommand, { type: 'announce' }>): Promise<void> {
  const { task, spec } = command
  const node = nodes.get(task.announcer)
  const announcedAt = Date.now()
  if (node === undefined || !node.isRunning) {
    send({ type: 'announce-failed', index: task.index, announcer: task.announcer, error: 'the announcer is not running', at: announcedAt })
    return
  }
  try {
    const handle = await node.announce({
      description: `simulated task ${task.index}`,
      skills: task.skills,
      input: task.input,
      bidWindowMs: spec.bidWindowMs,
      deadlineMs: spec.deadlineMs,
      maxAttempts: spec.maxAttempts
    })
    // Follow the task's events for who was in its groups and who was replaced (churn accounting).
    const everMembers = new Set<string>()
    const replaced: NonNullable<TaskRecord['replaced']> = []
    for await (const event of handle.events()) {
      if (event.type === 'formed') for (const m of event.members) everMembers.add(m.peerId)
      else if (event.type === 'member-replaced') {
        replaced.push({ skill: event.skill, from: event.from, to: event.to, at: event.at, reason: event.reason })
        everMembers.add(event.from)
        everMembers.add(event.to)
      }
    }
    const outcome = await handle.result()
    for (const m of outcome.members ?? []) everMembers.add(m.peerId)
    const record: TaskRecord = {
      index: task.index,
      taskId: outcome.taskId,
      announcer: task.announcer,
      status: outcome.status,
      ok: outcome.ok,
      ...(outcome.reason !== undefined ? { reason: outcome.reason } : {}),
      attempts: outcome.attempts,
      ...(outcome.timings.formationMs !== undefined ? { formationMs: outcome.timings.formationMs } : {}),
      ...(outcome.timings.totalMs !== undefined ? { totalMs: outcome.timings.totalMs } : {}),
      members: (outcome.members ?? []).map(m => m.peerId),
      everMembers: [...everMembers],
      ...(replaced.length > 0 ? { replaced } : {}),
      announcedAt,
      finishedAt: Date.now()
    }
    send({ type: 'task', record })
  } catch (err) {
    send({ type: 'announce-failed', index: task.index, announcer: task.announcer, error: (err as Error).message, at: announcedAt })
  }
}

function stats (): PeerStats[] {
  return [...nodes.entries()].map(([index, node]) => ({
    index,
    peerId: node.peerId.toString(),
    alive: !dead.has(index),
    tasksRun: tasksRun.get(index) ?? 0,
    offersSent: node.bidder.stats.offersSent,
    gossipPublished: node.gossip.stats.published,
    gossipDelivered: node.gossip.stats.delivered,
    gossipRejected: Object.values(node.gossip.stats.rejected).reduce((s, n) => s + n, 0),
    directRequests: node.messenger.stats.requestsSent,
    directBytes: node.messenger.stats.bytesSent + node.messenger.stats.bytesReceived,
    gossipPublishedByType: { ...node.gossip.stats.publishedByType },
    gossipDeliveredByType: { ...node.gossip.stats.deliveredByType },
    directByType: Object.fromEntries(Object.entries(node.messenger.stats.sentByType).map(([type, c]) => [type, { ...c }]))
  }))
}

/** Starts peers one after the other; a peer that fails is reported and left out. */
async function startPeers (peers: Extract<WorkerCommand, { type: 'start' }>['peers']): Promise<Array<Awaited<ReturnType<typeof startPeer>>>> {
  const started = []
  for (const peer of peers) {
    try {
      started.push(await startPeer(peer.index, peer.config, peer.adversary))
    } catch (err) {
      send({ type: 'start-failed', index: peer.index, error: (err as Error).message })
    }
  }
  return started
}

/**
 * Blocks this thread until the coordinator thaws it: no timer, no socket, no message is served
 * (what SIGSTOP does to a process), while the kernel keeps the TCP connections open. The lag
 * meter starts afresh afterwards: the freeze is no stall of the swarm's own making.
 */
/** How long a freeze waits for one of the thread's peers to be at work before it freezes anyway. */
const FREEZE_WAITS_FOR_WORK_MS = 10_000

/** Whether one of this thread's peers runs a part now. */
function atWork (): boolean {
  for (const node of nodes.values()) if (node.bidder.assignments().some(a => a.running)) return true
  return false
}

/**
 * Freezes the thread once one of its peers is at work (a freeze is meant to hit running parts;
 * the plan cannot know when that is on a loaded host), or after FREEZE_WAITS_FOR_WORK_MS.
 */
async function freezeAtWork (signal: SharedArrayBuffer): Promise<void> {
  if (!atWork()) {
    await new Promise<void>(resolve => {
      const done = (): void => {
        clearTimeout(timer)
        for (const node of nodes.values()) node.off('work:started', done)
        resolve()
      }
      const timer = setTimeout(done, FREEZE_WAITS_FOR_WORK_MS)
      for (const node of nodes.values()) node.on('work:started', done)
    })
  }
  freeze(signal)
}

function freeze (signal: SharedArrayBuffer): void {
  const peers = [...nodes.keys()]
  send({ type: 'frozen', peers, at: Date.now() })
  const flag = new Int32Array(signal)
  while (Atomics.load(flag, 0) === 0) Atomics.wait(flag, 0, 0)
  worstLagMs = 0
  lagTick = performance.now()
  send({ type: 'thawed', peers })
}

async function handle (command: WorkerCommand): Promise<void> {
  switch (command.type) {
    case 'start':
      send({ type: 'started', peers: await startPeers(command.peers) })
      break
    case 'announce':
      await announce(command)
      break
    case 'kill':
      await Promise.allSettled(command.peers.map(async index => {
        dead.add(index)
        await nodes.get(index)?.stop()
      }))
      send({ type: 'killed', peers: command.peers })
      break
    case 'restart':
      send({ type: 'restarted', peers: await startPeers(command.peers) })
      break
    case 'block':
      await Promise.allSettled(command.peers.map(async index => { await nodes.get(index)?.blockPeers(command.blocked) }))
      send({ type: 'blocked', peers: command.peers })
      break
    case 'unblock':
      await Promise.allSettled(command.peers.map(async index => { await nodes.get(index)?.blockPeers([]) }))
      send({ type: 'blocked', peers: command.peers })
      break
    case 'stats':
      send({ type: 'stats', peers: stats(), memory: (({ heapUsed, external }) => ({ heapUsed, external }))(process.memoryUsage()) })
      break
    case 'health': {
      let connections = 0
      let pendingStreams = 0
      let agentsKnownMin = Number.POSITIVE_INFINITY
      let agentsKnownTotal = 0
      for (const [index, node] of nodes) {
        if (dead.has(index)) continue
        connections += node.libp2p.getConnections().length
        pendingStreams += node.gossip.pendingOutboundStreams()
        agentsKnownMin = Math.min(agentsKnownMin, node.directory.agents.size)
        agentsKnownTotal += node.directory.agents.size
      }
      const eventLoopLagMs = Math.max(0, worstLagMs, performance.now() - lagTick - 100)
      worstLagMs = 0
      send({ type: 'health', connections, pendingStreams, agentsKnownMin: Number.isFinite(agentsKnownMin) ? agentsKnownMin : 0, agentsKnownTotal, eventLoopLagMs })
      break
    }
    case 'freeze':
      await freezeAtWork(command.signal)
      break
    case 'watch':
      adversaries.watch(nodes, dead, command.attackers, command.everyMs)
      break
    case 'attack':
      send({ type: 'attacking', attackers: adversaries.attack() })
      break
    case 'adversary-stats':
      send(await adversaries.collect(nodes))
      break
    case 'stop':
      adversaries.stop()
      await Promise.allSettled([...nodes.values()].map(async node => { await node.stop() }))
      send({ type: 'stopped' })
      break
  }
}

port.on('message', (command: WorkerCommand) => {
  handle(command).catch(err => { send({ type: 'error', error: (err as Error).stack ?? String(err) }) })
})
