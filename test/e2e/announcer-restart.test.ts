/**
 * `kill -9` of an announcing `swarm-node` mid-task, then `swarm-node start` again on its data
 * directory: the task goes on and `swarm-node task <id> --wait` ends COMPLETE with both members'
 * results (they finished while the announcer was down, kept their results and delivered them
 * once it was back).
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { CLI_BIN, NodeProcess, REPO_ROOT, runSwarmNode } from '../helpers/cli.js'
import { freePort, tempDir } from '../helpers/nodes.js'
import { withTimeout } from '../helpers/wait.js'

const COMMON = ['--api-port', '0', '--no-mdns']

/** `--exec` for the hold fixture: runs until the input's release file exists. */
function holdExec (skill: string): string {
  return `${skill}='${process.execPath}' '${REPO_ROOT}test/fixtures/hold-handler.mjs'`
}

/**
 * Starts `announce --wait --json` and resolves with the task id once the group started (the
 * `started` event), leaving the follower running (it dies with the announcer).
 */
async function announceUntilStarted (args: string[]): Promise<{ taskId: string, follower: ReturnType<typeof spawn> }> {
  const follower = spawn(process.execPath, [CLI_BIN, 'announce', ...args, '--wait', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  follower.stderr?.on('data', (d: Buffer) => { stderr += d.toString() })
  const lines = createInterface({ input: follower.stdout as NodeJS.ReadableStream })
  const taskId = await new Promise<string>((resolve, reject) => {
    lines.on('line', line => {
      const event = JSON.parse(line) as { type: string, taskId: string }
      if (event.type === 'started') resolve(event.taskId)
    })
    follower.on('close', code => { reject(new Error(`announce exited (${String(code)}) before the group started: ${stderr}`)) })
  })
  return { taskId, follower }
}

describe('swarm-node: an announcer killed with kill -9 and started again', () => {
  const dir = tempDir('swarm-e2e-restart-')
  const dataDir = (name: string): string => join(dir.path, name)
  const release = join(dir.path, 'release')
  const nodes: NodeProcess[] = []
  let deskArgs: string[] = []

  beforeAll(async () => {
    const summer = new NodeProcess([...COMMON, '--listen', '/ip4/127.0.0.1/tcp/0', '--data-dir', dataDir('summer'), '--name', 'summer',
      '--skill', 'sum:expert', '--exec', holdExec('sum')])
    nodes.push(summer)
    const first = await summer.started()
    const bootstrap = first.addrs[0] ?? ''
    const averager = new NodeProcess([...COMMON, '--listen', '/ip4/127.0.0.1/tcp/0', '--data-dir', dataDir('averager'), '--name', 'averager',
      '--skill', 'mean:expert', '--exec', holdExec('mean'), '--bootstrap', bootstrap])
    nodes.push(averager)
    await averager.started()
    deskArgs = [...COMMON, '--listen', `/ip4/127.0.0.1/tcp/${await freePort()}`, '--data-dir', dataDir('desk'), '--name', 'desk', '--bootstrap', bootstrap]
    const desk = new NodeProcess(deskArgs)
    nodes.push(desk)
    await desk.started()
    for (const name of ['summer', 'averager']) await desk.waitFor(l => l.event === 'agent:joined' && l.name === name, `desk to learn about ${name}`)
  }, 60_000)

  afterAll(async () => {
    await Promise.all(nodes.map(async n => await n.stop('SIGKILL')))
    dir.cleanup()
  })

  it('resumes the task; task <id> --wait ends COMPLETE with both results', async () => {
    const desk = nodes.at(-1)
    assert.ok(desk !== undefined)
    const { taskId } = await withTimeout(announceUntilStarted(['sum and mean', '--skill', 'sum:novice', '--skill', 'mean:novice',
      '--input-json', JSON.stringify({ releaseFile: release, maxMs: 50_000 }), '--deadline', '60s', '--retries', '0', '--data-dir', dataDir('desk')]), 30_000, 'the group to start')

    assert.equal(await desk.stop('SIGKILL'), null, 'killed by a signal')
    // The members finish while the announcer is down, and keep their results.
    writeFileSync(release, 'go')
    const again = new NodeProcess(deskArgs)
    nodes.push(again)
    await again.started()

    const waited = await runSwarmNode(['task', taskId, '--wait', '--data-dir', dataDir('desk')], { timeoutMs: 90_000 })
    assert.equal(waited.code, 0, `task --wait: ${waited.stdout}\n${waited.stderr}`)
    assert.match(waited.stdout, /completed/i)

    const shown = await runSwarmNode(['task', taskId, '--json', '--data-dir', dataDir('desk')])
    assert.equal(shown.code, 0, shown.stderr)
    const detail = JSON.parse(shown.stdout) as { task: { status: string, outcome?: { output?: Record<string, unknown> } }, audit: Array<{ action: string }> }
    assert.equal(detail.task.status, 'COMPLETE')
    assert.deepEqual(detail.task.outcome?.output, { sum: { released: true }, mean: { released: true } })
    const actions = detail.audit.map(a => a.action)
    assert.ok(actions.includes('task-resumed'), actions.join(', '))
    assert.ok(!actions.some(a => a.startsWith('state:') && a.endsWith('->CANCELLED')), 'nothing was cancelled')
  }, 120_000)
})
