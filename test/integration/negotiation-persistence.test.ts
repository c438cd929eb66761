/**
 * An announcer keeps its tasks, results and audit trail in its data directory: after a restart
 * it lists them; a task it stopped gracefully is CANCELLED with the reason, one it left behind
 * when it was killed is resumed.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { createSwarmNode } from '@swarm/node'
import { builtinSkill, byName, FIXTURES, nextEvent, startNegotiationSwarm } from '../helpers/negotiation.js'
import { tempDir, testConfig } from '../helpers/nodes.js'
import { withTimeout } from '../helpers/wait.js'
import type { TestSwarm } from '../helpers/nodes.js'
import type { SwarmNode, TaskOutcome } from '@swarm/node'

describe('an announcer restarted with the same data directory, over TCP with 4 nodes', () => {
  let swarm: TestSwarm
  const dir = tempDir('swarm-persist-')
  const running = new Set<SwarmNode>()

  /** The announcer, in this process, with its database in `dataDir`. */
  async function announcer (dataDir: string): Promise<SwarmNode> {
    const hub = byName(swarm, 'hub')
    const node = await createSwarmNode(testConfig(dataDir, { name: 'archivist', api: { enabled: false }, storage: 'file', bootstrap: [hub.addrs[0] as string] }))
    running.add(node)
    return node
  }

  async function stop (node: SwarmNode): Promise<void> {
    await node.stop()
    running.delete(node)
  }

  /** Resolves once the node knows an agent (not itself) with `skill`. */
  async function knows (node: SwarmNode, skill: string): Promise<void> {
    if (node.agents({ skill }).some(a => !a.self)) return
    await nextEvent(node, 'agent:joined', record => record.card.skills.some(s => s.name === skill))
  }

  beforeAll(async () => {
    swarm = await startNegotiationSwarm([
      { name: 'hub' },
      { name: 'worker', skills: [builtinSkill('echo', 'expert', 'echo')] },
      { name: 'slowpoke', skills: [builtinSkill('slow', 'expert', 'sleep', 30_000)] }
    ])
  })

  afterAll(async () => {
    await Promise.allSettled([...running].map(async node => { await node.stop() }))
    await swarm.stop()
    dir.cleanup()
  })

  it('lists finished and interrupted tasks with their results and audit trail after a restart', async () => {
    const dataDir = join(dir.path, 'archivist')
    const first = await announcer(dataDir)
    const peerId = first.peerId.toString()
    await knows(first, 'echo')
    await knows(first, 'slow')

    const done = await first.announce({ description: 'remember me', skills: [{ name: 'echo' }], input: { keep: [1, 2, 3] }, bidWindowMs: 500 })
    const doneOutcome = await done.result()
    assert.equal(doneOutcome.status, 'COMPLETE', doneOutcome.reason)

    const slowpoke = byName(swarm, 'slowpoke')
    const started = nextEvent(slowpoke, 'work:started')
    const cancelled = nextEvent(slowpoke, 'work:finished')
    const left = await first.announce({ description: 'interrupted', skills: [{ name: 'slow' }], bidWindowMs: 500 })
    assert.equal((await started).taskId, left.id)
    const beforeAudit = first.task(done.id)?.audit ?? []
    await stop(first)
    const leftOutcome = await left.result()
    assert.equal(leftOutcome.status, 'CANCELLED')
    assert.equal(leftOutcome.reason, 'the announcer stopped')
    // The member was told: its handler stops and its slot is freed.
    const end = await cancelled
    assert.equal(end.taskId, left.id)
    assert.equal(end.error?.code, 'HANDLER_ABORTED')

    const second = await announcer(dataDir)
    assert.equal(second.peerId.toString(), peerId, 'same identity')
    const tasks = second.tasks()
    assert.deepEqual(tasks.map(t => [t.taskId, t.status]), [[left.id, 'CANCELLED'], [done.id, 'COMPLETE']])

    const stored = second.task(done.id)
    assert.ok(stored)
    assert.equal(stored.task.role, 'announcer')
    assert.deepEqual(stored.task.result, JSON.parse(JSON.stringify(doneOutcome)) as TaskOutcome)
    assert.deepEqual((stored.task.result as { output?: unknown }).output, { echo: { keep: [1, 2, 3] } })
    assert.equal(stored.task.state.status, 'COMPLETE')
    assert.deepEqual(stored.task.state.members, doneOutcome.members)
    assert.deepEqual(stored.audit, beforeAudit)
    const actions = stored.audit.map(e => e.action)
    for (const action of ['task-created', 'announce', 'offer-received', 'group-formed', 'member-result', 'state:RUNNING->COMPLETE', 'group-dissolved']) {
      assert.ok(actions.includes(action), `${action} in ${actions.join(', ')}`)
    }
    assert.ok(stored.audit.every(e => e.actor === peerId))

    const interrupted = second.task(left.id)
    assert.equal(interrupted?.task.status, 'CANCELLED')
    assert.equal(interrupted?.task.state.reason, 'the announcer stopped')
    assert.equal((interrupted?.task.result as { reason?: string } | undefined)?.reason, 'the announcer stopped')
    assert.ok(interrupted?.audit.some(e => e.action === 'state:RUNNING->CANCELLED'))
    await stop(second)
  })

  it('resumes a task left behind by a killed announcer when it restarts: the same group goes on', async () => {
    const dataDir = join(dir.path, 'killed')
    const hub = byName(swarm, 'hub')
    const slowpoke = byName(swarm, 'slowpoke')
    const started = nextEvent(slowpoke, 'work:started', () => true, 30_000)
    const child = spawn(process.execPath, [`${FIXTURES}negotiation-announcer.mjs`, dataDir, hub.addrs[0] as string, 'slow'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    const exited = new Promise<void>(resolve => { child.on('close', () => { resolve() }) })
    const lines: Array<{ event: string, taskId?: string }> = []
    createInterface({ input: child.stdout }).on('line', line => { lines.push(JSON.parse(line) as { event: string, taskId?: string }) })
    let taskId: string
    try {
      taskId = (await started).taskId
    } catch (err) {
      child.kill('SIGKILL')
      throw new Error(`the announcer process did not get its task started: ${String(err)}; stdout ${JSON.stringify(lines)}; stderr ${stderr}`, { cause: err })
    }
    // Killed while the task runs: nothing gets the chance to close it.
    child.kill('SIGKILL')
    await withTimeout(exited, 10_000, 'the announcer process to exit')
    assert.ok(lines.some(l => l.event === 'announced' && l.taskId === taskId))
    assert.ok(!lines.some(l => l.event === 'cancelled'))

    const restarted = await announcer(dataDir)
    // Restored as the node started (resume.ts): the task is live again, its group at work.
    const live = restarted.liveTask(taskId)
    assert.ok(live !== undefined, 'the restarted announcer follows the task again')
    const stored = restarted.task(taskId)
    assert.ok(stored, 'the task is in the store')
    assert.equal(stored.task.status, 'RUNNING')
    assert.deepEqual(restarted.tasks().map(t => t.taskId), [taskId])
    const actions = stored.audit.map(e => e.action)
    assert.ok(actions.includes('group-formed'))
    assert.ok(actions.includes('task-resumed'), actions.join(', '))
    assert.ok(!actions.some(a => a.endsWith('->CANCELLED')), 'nothing was cancelled by the restart')
    await restarted.cancel(taskId, 'test over')
    await stop(restarted)
  })
})
