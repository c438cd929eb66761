/**
 * Recovery of an announcer killed with SIGKILL mid-task: its members (real nodes in this
 * process) go on working, the one that finishes while the announcer is down keeps its result
 * and delivers it once the announcer is back, and the announcer, started again from the same
 * data directory, resumes the task from its store and completes it with every member's result.
 */
import { afterAll, beforeAll, describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { NodeProcess, runSwarmNode } from '../helpers/cli.js'
import { builtinSkill } from '../helpers/negotiation.js'
import { freePort, startSwarm } from '../helpers/nodes.js'
import { withTimeout } from '../helpers/wait.js'
import type { TestSwarm } from '../helpers/nodes.js'
import type { SwarmNode } from '@swarm/node'

/** Resolves with the first event of `type` for `taskId` on a node. */
async function workEvent (node: SwarmNode, type: 'work:started' | 'work:finished', taskId: () => string): Promise<{ ok?: boolean }> {
  return await new Promise(resolve => {
    const listener = (event: { taskId: string, ok?: boolean }): void => {
      if (event.taskId !== taskId()) return
      node.off(type, listener)
      resolve(event)
    }
    node.on(type, listener)
  })
}

interface AuditLine { action: string, detail?: Record<string, unknown> }

describe('an announcer killed mid-task and started again', () => {
  let swarm: TestSwarm
  let announcer: NodeProcess | undefined
  let args: string[] = []
  let dataDir = ''

  beforeAll(async () => {
    swarm = await startSwarm([
      { name: 'quick', skills: [builtinSkill('sum', 'expert', 'sleep', 1_000)] },
      { name: 'slow', skills: [builtinSkill('mean', 'expert', 'sleep', 9_000)] }
    ])
    dataDir = join(swarm.root, 'desk')
    const port = await freePort()
    args = ['--listen', `/ip4/127.0.0.1/tcp/${port}`, '--api-port', '0', '--no-mdns', '--data-dir', dataDir, '--name', 'desk', '--bootstrap', swarm.nodes[0]?.addrs[0] ?? '']
    announcer = new NodeProcess(args)
    await announcer.started()
    for (const name of ['quick', 'slow']) await announcer.waitFor(l => l.event === 'agent:joined' && l.name === name, `desk to learn about ${name}`)
  }, 60_000)

  afterAll(async () => {
    await announcer?.stop('SIGKILL')
    await swarm.stop()
  })

  it('resumes the task from its store and completes it with every member\'s result', async () => {
    const [quick, slow] = swarm.nodes
    assert.ok(quick !== undefined && slow !== undefined)
    let taskId = ''
    const started = Promise.all([workEvent(quick, 'work:started', () => taskId), workEvent(slow, 'work:started', () => taskId)])
    const quickDone = workEvent(quick, 'work:finished', () => taskId)
    const announced = await runSwarmNode(['announce', 'sum and mean', '--skill', 'sum:novice', '--skill', 'mean:novice', '--deadline', '60s', '--retries', '0', '--data-dir', dataDir, '--json'])
    assert.equal(announced.code, 0, announced.stderr)
    taskId = (JSON.parse(announced.stdout) as { taskId: string }).taskId
    await withTimeout(started, 20_000, 'both members to start')

    // kill -9: no cancel goes out, the members are left working.
    await announcer?.stop('SIGKILL')
    // The quick member finishes while the announcer is down: it keeps its result.
    assert.equal((await withTimeout(quickDone, 20_000, 'the quick member to finish')).ok, true)

    announcer = new NodeProcess(args)
    await announcer.started()
    const waited = await runSwarmNode(['task', taskId, '--wait', '--json', '--data-dir', dataDir], { timeoutMs: 90_000 })
    assert.equal(waited.code, 0, `task --wait: ${waited.stdout} ${waited.stderr}`)

    const shown = await runSwarmNode(['task', taskId, '--json', '--data-dir', dataDir])
    assert.equal(shown.code, 0, shown.stderr)
    const detail = JSON.parse(shown.stdout) as { task: { status: string, outcome?: { output?: Record<string, unknown> } }, audit: AuditLine[] }
    assert.equal(detail.task.status, 'COMPLETE')
    // Both parts are in the result: the one delivered late and the one finished after the restart.
    assert.deepEqual(Object.keys(detail.task.outcome?.output ?? {}).sort(), ['mean', 'sum'])
    const actions = detail.audit.map(a => a.action)
    assert.ok(actions.includes('task-resumed'), actions.join(', '))
    assert.ok(actions.includes('members-restarted'), actions.join(', '))
    assert.ok(!actions.includes('member-replaced'), 'the same group finished the task')
    // The members' side: the quick one kept its result and delivered it after the restart.
    const quickAudit = quick.store.listAudit({ taskId }).map(a => a.action)
    assert.ok(quickAudit.includes('result-delivered'), quickAudit.join(', '))
  }, 120_000)
})
