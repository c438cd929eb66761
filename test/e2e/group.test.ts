/**
 * The working-group commands of the CLI against separately started nodes: `propose`, `vote`,
 * `proposals`, `blackboard --json`, `escalations`, `resolve`, and `announce --verify majority`.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { ApiClient } from '@swarm/cli'
import { CLI_BIN, NodeProcess, REPO_ROOT, runSwarmNode } from '../helpers/cli.js'
import { tempDir } from '../helpers/nodes.js'
import { withTimeout } from '../helpers/wait.js'

const COMMON = ['--listen', '/ip4/127.0.0.1/tcp/0', '--api-port', '0', '--no-mdns']
const MEMBERS = ['m1', 'm2', 'm3']

/** Server-sent events of a node's control API, from now on. */
class EventTap {
  readonly events: Array<{ event: string, data: Record<string, unknown> }> = []
  readonly #abort = new AbortController()
  readonly #waiters = new Set<() => void>()

  constructor (api: string, token: string) {
    void (async () => {
      for await (const { event, data } of new ApiClient({ url: api, token }).events('/v1/events', this.#abort.signal)) {
        this.events.push({ event, data: data as Record<string, unknown> })
        for (const w of this.#waiters) w()
      }
    })().catch(() => {})
  }

  async next (event: string, match: (data: Record<string, unknown>) => boolean = () => true, timeoutMs = 20_000): Promise<Record<string, unknown>> {
    return await withTimeout(new Promise(resolve => {
      const check = (): void => {
        const found = this.events.find(e => e.event === event && match(e.data))
        if (found !== undefined) {
          this.#waiters.delete(check)
          resolve(found.data)
        }
      }
      this.#waiters.add(check)
      check()
    }), timeoutMs, `${event} on the event stream`)
  }

  close (): void {
    this.#abort.abort()
  }
}

describe('swarm-node propose / vote / blackboard / escalations / resolve', () => {
  const dir = tempDir('swarm-e2e-group-')
  const dataDir = (name: string): string => join(dir.path, name)
  const nodes: Record<string, NodeProcess> = {}
  const taps: Record<string, EventTap> = {}
  const releaseFile = join(dir.path, 'release')
  let taskId = ''
  let announce: ReturnType<typeof spawn> | undefined
  const announceLines: Array<Record<string, unknown>> = []
  let announceExit: Promise<number | null> = Promise.resolve(null)
  const cli = async (node: string, args: string[]): Promise<{ code: number | null, stdout: string, stderr: string }> =>
    await runSwarmNode([...args, '--data-dir', dataDir(node)])

  beforeAll(async () => {
    const desk = new NodeProcess([...COMMON, '--data-dir', dataDir('desk'), '--name', 'desk'])
    nodes.desk = desk
    const bootstrap = (await desk.started()).addrs[0] ?? ''
    for (const name of MEMBERS) {
      nodes[name] = new NodeProcess([...COMMON, '--data-dir', dataDir(name), '--name', name, '--skill', 'research:expert',
        '--exec', `research='${process.execPath}' '${REPO_ROOT}test/fixtures/hold-handler.mjs'`, '--bootstrap', bootstrap])
    }
    for (const name of ['desk', ...MEMBERS]) {
      const started = await nodes[name]?.started()
      assert.ok(started)
      taps[name] = new EventTap(started.api, readFileSync(join(dataDir(name), 'api-token'), 'utf8').trim())
    }
    for (const name of MEMBERS) await desk.waitFor(l => l.event === 'agent:joined' && l.name === name, `desk to learn about ${name}`)
    // The task runs until the test releases it; the group verifies the result by majority.
    announce = spawn(process.execPath, [CLI_BIN, 'announce', 'research as a group', '--skill', 'research:novice:3', '--input-json', JSON.stringify({ releaseFile }),
      '--verify', 'majority', '--deadline', '90s', '--retries', '0', '--wait', '--json', '--data-dir', dataDir('desk')], { stdio: ['ignore', 'pipe', 'pipe'] })
    const child = announce
    announceExit = new Promise(resolve => { child.on('close', code => { resolve(code) }) })
    const started = new Promise<void>((resolve, reject) => {
      if (child.stdout === null) return reject(new Error('no stdout'))
      createInterface({ input: child.stdout }).on('line', line => {
        const event = JSON.parse(line) as Record<string, unknown>
        announceLines.push(event)
        if (event.type === 'started') resolve()
      })
    })
    await withTimeout(started, 30_000, 'the group to start working')
    taskId = String(announceLines[0]?.taskId ?? '')
    assert.ok(taskId !== '')
  })

  afterAll(async () => {
    writeFileSync(releaseFile, '')
    for (const tap of Object.values(taps)) tap.close()
    announce?.kill('SIGKILL')
    await Promise.all(Object.values(nodes).map(async n => await n.stop('SIGKILL')))
    dir.cleanup()
  })

  it('propose on the announcer, vote on the members: decided by majority', async () => {
    const opened = Promise.all(['m1', 'm2'].map(async m => await taps[m]?.next('proposal:opened', d => d.action === 'use the weekly model')))
    const proposed = await cli('desk', ['propose', taskId, 'use the weekly model', '--quorum', 'majority', '--timeout', '30s', '--json'])
    assert.equal(proposed.code, 0, proposed.stderr)
    const proposal = JSON.parse(proposed.stdout) as { proposalId: string, voters: string[], status: string }
    assert.equal(proposal.voters.length, 3)
    assert.equal(proposal.status, 'open')
    await opened
    const decided = taps.desk?.next('proposal:decided', d => d.proposalId === proposal.proposalId)
    const v1 = await cli('m1', ['vote', proposal.proposalId, 'yes', '--confidence', '0.9', '--reason', 'fits the data'])
    assert.equal(v1.code, 0, v1.stderr)
    assert.match(v1.stdout, /voted yes/)
    const v2 = await cli('m2', ['vote', proposal.proposalId, 'yes'])
    assert.equal(v2.code, 0, v2.stderr)
    assert.equal((await decided)?.outcome, 'approved')
    const listed = await cli('desk', ['proposals', '--task', taskId, '--json'])
    const proposals = JSON.parse(listed.stdout) as Array<{ proposalId: string, outcome?: string }>
    assert.equal(proposals.find(p => p.proposalId === proposal.proposalId)?.outcome, 'approved')
    // Voting again after the decision is refused with exit 1; a bad choice is a usage error.
    assert.equal((await cli('m3', ['vote', proposal.proposalId, 'no'])).code, 1)
    assert.equal((await cli('m3', ['vote', proposal.proposalId, 'maybe'])).code, 2)
    assert.equal((await cli('desk', ['propose', taskId, 'x', '--quorum', 'most'])).code, 2)
  })

  it('shows the blackboard of the working group as JSON', async () => {
    const shown = await cli('desk', ['blackboard', taskId, '--json'])
    assert.equal(shown.code, 0, shown.stderr)
    const board = JSON.parse(shown.stdout) as { taskId: string, live: boolean, findings: unknown[], hypotheses: unknown[], actions: unknown[] }
    assert.equal(board.taskId, taskId)
    assert.equal(board.live, true)
    assert.deepEqual([board.findings, board.hypotheses, board.actions], [[], [], []])
    assert.equal((await cli('desk', ['blackboard', 'no-such-task-0000'])).code, 1)
  })

  it('a proposal without quorum is escalated; resolve closes it and the members see the decision', async () => {
    const created = taps.m1?.next('escalation:created')
    const waited = await cli('desk', ['propose', taskId, 'rewrite everything', '--quorum', 'unanimous', '--timeout', '1s', '--wait', '--json'])
    assert.equal(waited.code, 1, 'no quorum is not approval')
    const proposal = JSON.parse(waited.stdout) as { proposalId: string, outcome: string }
    assert.equal(proposal.outcome, 'no-quorum')
    const escalation = await created
    assert.equal(escalation?.proposalId, proposal.proposalId)
    const listed = await cli('desk', ['escalations', '--json'])
    assert.equal(listed.code, 0)
    const escalations = JSON.parse(listed.stdout) as Array<{ id: string, status: string, proposalId?: string }>
    const open = escalations.find(e => e.proposalId === proposal.proposalId)
    assert.equal(open?.status, 'open')
    const text = await cli('desk', ['escalations'])
    assert.match(text.stdout, new RegExp(open?.id ?? 'missing'))

    const seen = taps.m2?.next('escalation:resolved', d => d.id === open?.id)
    const resolved = await cli('desk', ['resolve', open?.id ?? '', '--decision', 'keep the current design'])
    assert.equal(resolved.code, 0, resolved.stderr)
    assert.equal((await seen)?.decision, 'keep the current design')
    assert.equal((await cli('desk', ['resolve', open?.id ?? '', '--decision', 'again'])).code, 1)
    assert.equal((await cli('desk', ['resolve', open?.id ?? ''])).code, 2)
    const after = JSON.parse((await cli('desk', ['escalations', '--status', 'resolved', '--json'])).stdout) as Array<{ id: string, decision?: string }>
    assert.equal(after.find(e => e.id === open?.id)?.decision, 'keep the current design')
  })

  it('announce --verify majority: the group verifies the result and the task ends VERIFIED', async () => {
    writeFileSync(releaseFile, '')
    const code = await withTimeout(announceExit, 30_000, 'announce --wait to end')
    assert.equal(code, 0)
    const last = announceLines.at(-1) as { type: string, outcome?: { status: string } }
    assert.equal(last.type, 'completed')
    assert.equal(last.outcome?.status, 'VERIFIED')
    const board = JSON.parse((await cli('desk', ['blackboard', taskId, '--json'])).stdout) as { live: boolean }
    assert.equal(board.live, false)
  })
})
