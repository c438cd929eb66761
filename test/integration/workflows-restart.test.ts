/**
 * A workflow survives its node's restart, over real TCP: the node that runs it is stopped while
 * the second step's handler is held at a gate (the first step done), and started again on the
 * same data directory; the workflow goes on from where it was and completes, and the step that
 * completed before the stop is not run again.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { createSwarmNode } from '@swarm/node'
import { byName, startNegotiationSwarm } from '../helpers/negotiation.js'
import { tempDir, testConfig } from '../helpers/nodes.js'
import { withTimeout } from '../helpers/wait.js'
import { scriptedSkill, stepOf, workflowFixture, workflowId } from '../helpers/workflows.js'
import type { TestSwarm } from '../helpers/nodes.js'
import type { WorkflowFixture } from '../helpers/workflows.js'
import type { SwarmNode } from '@swarm/node'

describe('a workflow whose node restarts mid-way, over TCP with 4 nodes', () => {
  let swarm: TestSwarm
  let fx: WorkflowFixture
  const dir = tempDir('swarm-workflow-restart-')
  const running = new Set<SwarmNode>()

  /** The node that runs the workflow, in this process, with its database in `dataDir`. */
  async function conductor (dataDir: string): Promise<SwarmNode> {
    const hub = byName(swarm, 'hub')
    const node = await createSwarmNode(testConfig(dataDir, { name: 'conductor', api: { enabled: false }, storage: 'file', bootstrap: [hub.addrs[0] as string] }))
    running.add(node)
    return node
  }

  beforeAll(async () => {
    fx = await workflowFixture()
    swarm = await startNegotiationSwarm([
      { name: 'hub' },
      { name: 'worker-1', capacity: 2, skills: [scriptedSkill('work')] },
      { name: 'worker-2', capacity: 2, skills: [scriptedSkill('work')] }
    ])
  })

  afterAll(async () => {
    await Promise.allSettled([...running].map(async node => { await node.stop() }))
    await swarm?.stop()
    dir.cleanup()
  })

  it('completes after the restart without running again the steps done before the stop', async () => {
    const dataDir = join(dir.path, 'conductor')
    const id = workflowId('restart')
    const gate = `${id}/two`
    fx.script(id, {
      one: async () => ({ measured: 42 }),
      two: async (input, ctx) => { await fx.atGate(gate, ctx.signal); return { doubled: input } }
    })
    const first = await conductor(dataDir)
    const handle = first.run({
      name: 'survives',
      steps: [
        { id: 'one', skills: ['work'] },
        { id: 'two', skills: ['work'], needs: ['one'] },
        { id: 'three', skills: ['work'], needs: ['two'] }
      ]
    }, { workflowId: id })

    // The moment of the stop: step one completed, step two's handler is running (held at the gate).
    await withTimeout(fx.when(() => fx.running(id, 'two') === 1), 30_000, 'step two to start')
    const before = handle.view()
    assert.deepEqual(before.steps.map(s => [s.id, s.status]), [['one', 'completed'], ['two', 'running'], ['three', 'waiting']])
    const oneTask = stepOf(before, 'one').tasks
    await first.stop()
    running.delete(first)
    // The stop told the member: its run of step two was aborted.
    await withTimeout(fx.when(() => fx.running(id, 'two') === 0), 10_000, 'the run of step two to be aborted')
    assert.deepEqual(fx.callsOf(id, 'two').map(c => c.outcome), ['aborted'])
    assert.equal(handle.done, false, 'the stop does not end the workflow')

    const second = await conductor(dataDir)
    fx.openGate(gate)
    const resumed = second.workflows.get(id)
    assert.ok(resumed !== undefined, `the restarted node runs the workflow again (it is ${second.workflow(id)?.status ?? 'unknown'}: ${second.workflow(id)?.reason ?? ''})`)
    const view = await withTimeout(resumed.result(), 60_000, 'the resumed workflow to end')
    assert.equal(view.status, 'completed', view.reason)

    assert.equal(fx.callsOf(id, 'one').length, 1, 'step one completed before the stop and did not run again')
    assert.deepEqual(fx.callsOf(id, 'two').map(c => c.outcome), ['aborted', 'done'])
    assert.equal(fx.callsOf(id, 'three').length, 1)
    assert.deepEqual(fx.callsOf(id, 'two')[1]?.input, { one: { measured: 42 } })
    assert.deepEqual(fx.callsOf(id, 'three')[0]?.input, { two: { doubled: { one: { measured: 42 } } } })
    assert.deepEqual(stepOf(view, 'one').tasks, oneTask, 'step one keeps its task and output')
    assert.deepEqual(stepOf(view, 'one').output, { measured: 42 })
    assert.deepEqual(view.output, { three: { step: 'three', input: { two: { doubled: { one: { measured: 42 } } } } } })
    // Step two's task, cancelled by the stop, went out again under a new id in the same run.
    const twoTasks = stepOf(view, 'two').tasks
    assert.deepEqual(twoTasks.map(t => [t.run, t.status]), [[1, 'failed'], [1, 'completed']])
    assert.match(twoTasks[0]?.error ?? '', /interrupted/)
    assert.notEqual(twoTasks[0]?.taskId, twoTasks[1]?.taskId)
    assert.deepEqual(fx.callsOf(id, 'two').map(c => c.taskId), twoTasks.map(t => t.taskId))
    assert.ok(second.workflows.audit(id).some(e => e.action === 'workflow-resumed'))
    assert.equal(second.workflow(id)?.status, 'completed')
  })

  it('sends again only the items of a forEach that the stop interrupted', async () => {
    const dataDir = join(dir.path, 'conductor-items')
    const id = workflowId('restart-items')
    const gate = `${id}/late`
    // Items 1 and 2 return at once; items 3 and 4 (sent once 1 and 2 are done: maxParallel 2) wait at the gate.
    fx.script(id, {
      fan: async (input, ctx) => {
        const n = input as number
        if (n > 2) await fx.atGate(gate, ctx.signal)
        return { n }
      }
    })
    const first = await conductor(dataDir)
    const handle = first.run({
      name: 'items-survive',
      input: { items: [1, 2, 3, 4] },
      maxParallel: 2,
      steps: [{ id: 'fan', skills: ['work'], forEach: '${{ workflow.input.items }}' }]
    }, { workflowId: id })
    const byItem = (): Record<number, string[]> => {
      const out: Record<number, string[]> = {}
      for (const c of fx.callsOf(id, 'fan')) (out[c.input as number] ??= []).push(c.outcome ?? 'running')
      return out
    }
    await withTimeout(fx.when(() => fx.running(id, 'fan') === 2 && fx.callsOf(id, 'fan').filter(c => c.outcome === 'done').length === 2), 30_000, 'items 3 and 4 to be held')
    // Items 3 and 4 went out only once the results of 1 and 2 were in the workflow's state (maxParallel 2).
    assert.deepEqual(handle.view().steps[0]?.tasks.map(t => [t.item, t.status]), [[0, 'completed'], [1, 'completed'], [2, 'running'], [3, 'running']])
    await first.stop()
    running.delete(first)
    await withTimeout(fx.when(() => fx.running(id, 'fan') === 0), 10_000, 'the held items to be aborted')

    const second = await conductor(dataDir)
    fx.openGate(gate)
    const resumed = second.workflows.get(id)
    assert.ok(resumed !== undefined, `the restarted node runs the workflow again (it is ${second.workflow(id)?.status ?? 'unknown'}: ${second.workflow(id)?.reason ?? ''})`)
    const view = await withTimeout(resumed.result(), 60_000, 'the resumed workflow to end')
    assert.equal(view.status, 'completed', view.reason)
    assert.deepEqual(byItem(), { 1: ['done'], 2: ['done'], 3: ['aborted', 'done'], 4: ['aborted', 'done'] })
    assert.deepEqual(stepOf(view, 'fan').output, [{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }])
  })
})
