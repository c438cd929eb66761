/**
 * Helpers of the negotiation integration tests: skill configurations with real handlers from
 * test/fixtures, a swarm that is ready to negotiate, and ways to await node events.
 */
import { pathToFileURL } from 'node:url'
import { topics } from '@swarm/protocol'
import { REPO_ROOT } from './cli.js'
import { allAgentsKnown, startSwarm } from './nodes.js'
import { until, withTimeout } from './wait.js'
import type { TestSwarm } from './nodes.js'
import type { NodeConfigInput, SkillConfig, SwarmNode, SwarmNodeEvents } from '@swarm/node'

export const FIXTURES = `${REPO_ROOT}test/fixtures/`
/** The exec fixture: `node negotiation-exec.mjs sum|fail|resume`. */
const EXEC_FIXTURE = `${FIXTURES}negotiation-exec.mjs`
/** The module fixture, imported by the nodes and by the tests (one module instance). */
const MODULE_FIXTURE = `${FIXTURES}negotiation-handlers.mjs`

type Level = SkillConfig['level']
type SkillInput = NonNullable<NodeConfigInput['skills']>[number]

/** A skill run by the exec fixture with this process's node binary. */
export function execSkill (name: string, level: Level, mode: 'sum' | 'fail' | 'resume' = 'sum'): SkillInput {
  return { name, level, handler: { kind: 'exec', command: process.execPath, args: [EXEC_FIXTURE, mode], timeoutMs: 20_000 } }
}

/** A skill run by an export of the module fixture. */
export function moduleSkill (name: string, level: Level, exportName: 'countWords' | 'waitForAbort' | 'failFirstRun'): SkillInput {
  return { name, level, handler: { kind: 'module', path: MODULE_FIXTURE, export: exportName } }
}

/** A skill run by a builtin handler. */
export function builtinSkill (name: string, level: Level, handler: 'echo' | 'fail' | 'sleep', delayMs = 0): SkillInput {
  return { name, level, handler: { kind: 'builtin', name: handler, delayMs } }
}

/** What the module fixture exports (it is plain JavaScript). */
export interface HandlerFixture {
  record: {
    runs: Map<string, 'running' | 'done' | 'aborted'>
    aborts: Map<string, string>
  }
  openGate(name: string): void
}

/** The module fixture as the nodes of this process see it. */
export async function handlerFixture (): Promise<HandlerFixture> {
  return await import(pathToFileURL(MODULE_FIXTURE).href) as HandlerFixture
}

/** Settings every negotiation test node gets: memory storage, no control API. */
export function negotiationDefaults (extra: Partial<NodeConfigInput> = {}): Partial<NodeConfigInput> {
  return { storage: 'memory', api: { enabled: false }, ...extra }
}

/** The implementation has getMeshPeers, the public interface of gossipsub does not. */
type WithMesh = { getMeshPeers?: (topic: string) => string[] }

/** Peers in `node`'s gossip mesh of `topic` (its topic subscribers when the mesh is not visible). */
function meshPeers (node: SwarmNode, topic: string): string[] {
  const pubsub = node.libp2p.services.pubsub as SwarmNode['libp2p']['services']['pubsub'] & WithMesh
  if (typeof pubsub.getMeshPeers === 'function') return pubsub.getMeshPeers(topic)
  return pubsub.getSubscribers(topic).map(p => p.toString())
}

/**
 * Whether the subscribers of every skill topic form one connected gossip mesh, so that an
 * announcement reaching one agent of a skill reaches every agent of it.
 */
function skillMeshesConnected (nodes: SwarmNode[]): boolean {
  const bySkill = new Map<string, SwarmNode[]>()
  for (const node of nodes) {
    if (!node.isRunning) continue
    for (const skill of node.skills.workable()) bySkill.set(skill.name, [...(bySkill.get(skill.name) ?? []), node])
  }
  for (const [skill, members] of bySkill) {
    if (members.length < 2) continue
    const first = members[0]
    if (first === undefined) continue
    const topic = topics.skill(first.config.network, skill)
    const ids = new Set(members.map(n => n.peerId.toString()))
    const reached = new Set([first.peerId.toString()])
    const queue = [first]
    while (queue.length > 0) {
      const node = queue.shift()
      if (node === undefined) break
      for (const peer of meshPeers(node, topic)) {
        if (!ids.has(peer) || reached.has(peer)) continue
        reached.add(peer)
        const next = members.find(n => n.peerId.toString() === peer)
        if (next !== undefined) queue.push(next)
      }
    }
    if (reached.size < ids.size) return false
  }
  return true
}

/** Waits until the skill meshes are connected (see {@link skillMeshesConnected}). */
async function skillMeshesReady (nodes: SwarmNode[], timeoutMs = 15_000): Promise<void> {
  await until(
    () => skillMeshesConnected(nodes),
    changed => {
      const offs = nodes.map(node => {
        const pubsub = node.libp2p.services.pubsub
        pubsub.addEventListener('gossipsub:graft', changed)
        pubsub.addEventListener('subscription-change', changed)
        return () => {
          pubsub.removeEventListener('gossipsub:graft', changed)
          pubsub.removeEventListener('subscription-change', changed)
        }
      })
      return () => { for (const off of offs) off() }
    },
    timeoutMs,
    'the agents of every skill to form one gossip mesh'
  )
}

/**
 * Starts a swarm for negotiation tests (the first config is the bootstrap peer of the others),
 * and waits until every agent knows every other and the skill meshes are up.
 */
export async function startNegotiationSwarm (configs: Array<Partial<NodeConfigInput>>): Promise<TestSwarm> {
  const swarm = await startSwarm(configs.map(c => negotiationDefaults(c)))
  try {
    await allAgentsKnown(swarm.nodes)
    await skillMeshesReady(swarm.nodes)
  } catch (err) {
    await swarm.stop()
    throw err
  }
  return swarm
}

/** The node named `name`. */
export function byName (swarm: TestSwarm, name: string): SwarmNode {
  const node = swarm.nodes.find(n => n.name === name)
  if (node === undefined) throw new Error(`no node named ${name}`)
  return node
}

type EventName = keyof SwarmNodeEvents & string

/** Resolves with the first `event` of `node` whose payload matches. */
export async function nextEvent<K extends EventName> (node: SwarmNode, event: K, match: (payload: SwarmNodeEvents[K]) => boolean = () => true, timeoutMs = 20_000): Promise<SwarmNodeEvents[K]> {
  let off = (): void => {}
  const seen = new Promise<SwarmNodeEvents[K]>(resolve => {
    const listener = (payload: SwarmNodeEvents[K]): void => {
      if (!match(payload)) return
      off()
      resolve(payload)
    }
    off = () => { node.off(event, listener) }
    node.on(event, listener)
  })
  try {
    return await withTimeout(seen, timeoutMs, `${event} on ${node.name}`)
  } finally {
    off()
  }
}

/** Records every `event` of `node` from now on; call `stop()` to stop recording. */
export function recordEvents<K extends EventName> (node: SwarmNode, event: K): { events: Array<SwarmNodeEvents[K]>, stop: () => void } {
  const events: Array<SwarmNodeEvents[K]> = []
  const listener = (payload: SwarmNodeEvents[K]): void => { events.push(payload) }
  node.on(event, listener)
  return { events, stop: () => { node.off(event, listener) } }
}

/**
 * Waits until `node` holds no reservation and runs nothing. A member frees its slot only after
 * the announcer acknowledged its result, a moment after the task completed there, and no event
 * marks that moment: the condition is checked on the node's work events and every 20 ms.
 */
export async function idle (node: SwarmNode, timeoutMs = 10_000): Promise<void> {
  await until(
    () => node.bidder.load() === 0 && node.bidder.assignments().length === 0,
    changed => {
      const events = ['work:finished', 'work:released', 'work:started'] as const
      for (const event of events) node.on(event, changed)
      const tick = setInterval(changed, 20)
      return () => {
        clearInterval(tick)
        for (const event of events) node.off(event, changed)
      }
    },
    timeoutMs,
    `${node.name} to be idle`
  )
}

/** The actions of a task's audit trail on `node`, in order. */
export function auditActions (node: SwarmNode, taskId: string): string[] {
  return node.task(taskId)?.audit.map(e => e.action) ?? []
}
