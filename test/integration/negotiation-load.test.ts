/**
 * Many tasks at once: no agent ever holds more reservations plus running tasks than its
 * capacity, and every task completes.
 */
import assert from 'node:assert/strict'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { builtinSkill, byName, idle, startNegotiationSwarm } from '../helpers/negotiation.js'
import type { TestSwarm } from '../helpers/nodes.js'
import type { NodeConfigInput, SwarmNode } from '@swarm/node'

const CAPACITY = 2
const AGENTS = 6
const TASKS = 50

interface Watch {
  running: number
  maxRunning: number
  maxLoad: number
  started: number
  finished: number
  stop: () => void
}

/** Follows one agent's running work (work:started / work:finished) and its load at every step. */
function watch (node: SwarmNode): Watch {
  const w: Watch = { running: 0, maxRunning: 0, maxLoad: 0, started: 0, finished: 0, stop: () => {} }
  const sample = (): void => { w.maxLoad = Math.max(w.maxLoad, node.bidder.load()) }
  const onStarted = (): void => {
    w.running++
    w.started++
    w.maxRunning = Math.max(w.maxRunning, w.running)
    sample()
  }
  const onFinished = (): void => {
    w.running--
    w.finished++
    sample()
  }
  node.on('work:started', onStarted)
  node.on('work:finished', onFinished)
  node.on('work:offered', sample)
  node.on('work:accepted', sample)
  w.stop = () => {
    node.off('work:started', onStarted)
    node.off('work:finished', onFinished)
    node.off('work:offered', sample)
    node.off('work:accepted', sample)
  }
  return w
}

describe(`${TASKS} tasks at once on ${AGENTS} agents of capacity ${CAPACITY}`, () => {
  let swarm: TestSwarm

  beforeAll(async () => {
    // The bootstrap peer and the two clients have no skill: announcements from the clients
    // must reach the agents through connections the clients make to them.
    const agents = Array.from({ length: AGENTS }, (_v, i) => ({
      name: `agent-${i}`,
      capacity: CAPACITY,
      skills: [builtinSkill('work', i % 2 === 0 ? 'expert' : 'intermediate', 'sleep', 100)]
    }))
    // The clients give invitees 15 s to answer (default 3 s): while the suite runs another file
    // beside this one on two cores, an agent busy with 50 tasks at once may answer an invite
    // late; this test is about capacity, not invite timeouts (negotiation-churn covers those).
    const client = (name: string): Partial<NodeConfigInput> => ({ name, negotiation: { inviteTimeoutMs: 15_000 } })
    swarm = await startNegotiationSwarm([{ name: 'hub' }, client('client-a'), client('client-b'), ...agents])
  })

  afterAll(async () => { await swarm.stop() })

  it('never over-commits an agent and completes every task', async () => {
    const agents = swarm.nodes.filter(n => n.name.startsWith('agent-'))
    const watches = agents.map(watch)
    const clients = [byName(swarm, 'client-a'), byName(swarm, 'client-b')]
    const handles = await Promise.all(Array.from({ length: TASKS }, async (_v, i) => {
      const client = clients[i % clients.length] as SwarmNode
      return await client.announce({
        description: `task ${i}`,
        skills: [{ name: 'work' }],
        input: { i },
        // Every agent ranks waiting announcements the same way, so they all bid on the same few
        // tasks at a time: on a busy machine the last tasks wait many seconds for an offer.
        bidWindowMs: 25_000,
        deadlineMs: 55_000,
        maxAttempts: 1
      })
    }))
    const outcomes = await Promise.all(handles.map(async h => await h.result()))
    for (const w of watches) w.stop()

    const notDone = outcomes.filter(o => o.status !== 'COMPLETE')
    assert.deepEqual(notDone.map(o => `${o.status}: ${o.reason ?? ''}`), [])
    for (const [i, outcome] of outcomes.entries()) {
      assert.deepEqual(outcome.output, { work: { slept: 100, input: { i } } })
    }
    for (const [i, w] of watches.entries()) {
      const name = agents[i]?.name ?? ''
      assert.ok(w.maxRunning <= CAPACITY, `${name} ran ${w.maxRunning} tasks at once`)
      assert.ok(w.maxLoad <= CAPACITY, `${name} held ${w.maxLoad} reservations and tasks at once`)
      assert.equal(w.running, 0, `${name} finished everything it started`)
    }
    assert.equal(watches.reduce((n, w) => n + w.started, 0), TASKS, 'each task ran exactly once')
    // With 12 slots for 50 tasks, agents worked at full capacity at some point.
    assert.ok(watches.some(w => w.maxRunning === CAPACITY))
    // The clients are connected to no agent at first and the bootstrap peer has no skill: the
    // announcements (sent to a few agents directly, then on the skill topic when those are
    // busy) still reached the agents, or the 50 tasks could not all have completed.
    // Every slot is given back (a member frees it once its result is acknowledged).
    await Promise.all(agents.map(async agent => { await idle(agent) }))
  })
})
