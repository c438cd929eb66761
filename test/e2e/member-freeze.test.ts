/**
 * A member process stopped with `kill -STOP` in the middle of its part: its connection stays
 * open, but its heartbeats stop; the announcer hands the part to the other member (its backup)
 * and the task completes. The task is announced without --wait and followed with
 * `task <id> --wait`, as a user re-attaching to it would.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { CLI_BIN, NodeProcess, REPO_ROOT, runSwarmNode } from '../helpers/cli.js'
import { tempDir } from '../helpers/nodes.js'
import type { ChildProcess } from 'node:child_process'

const COMMON = ['--listen', '/ip4/127.0.0.1/tcp/0', '--api-port', '0', '--no-mdns']
/** A beat a second, three may be missed: a silent member is replaced after 3 s. */
const LIVENESS = { memberHeartbeatMs: 1000, memberMissedHeartbeats: 3 }
/** The handler: reports progress, then holds until the test writes the release file. */
const HANDLER = { kind: 'exec', command: process.execPath, args: [`${REPO_ROOT}test/fixtures/release-handler.mjs`], timeoutMs: 60_000 }

interface Member { peerId: string, skills: string[] }
interface EventLine {
  type: string
  taskId: string
  peerId?: string
  message?: string
  members?: Member[]
  from?: string
  to?: string
  outcome?: { status: string, members?: Member[], output?: Record<string, unknown>, bySkill?: Record<string, Array<{ peerId: string, ok: boolean }>> }
}
interface TaskDetail {
  task: { status: string, outcome?: { members?: Member[] } }
  audit: Array<{ action: string, detail?: unknown }>
}

/** `swarm-node task <id> --wait --json` as it runs: its events can be awaited one by one. */
class Follower {
  readonly child: ChildProcess
  readonly events: EventLine[] = []
  stderr = ''
  readonly #waiters = new Set<() => void>()
  readonly exited: Promise<number | null>

  constructor (args: string[]) {
    this.child = spawn(process.execPath, [CLI_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    const stdout = this.child.stdout
    if (stdout === null) throw new Error('no stdout')
    createInterface({ input: stdout }).on('line', line => {
      if (line.trim() === '') return
      this.events.push(JSON.parse(line) as EventLine)
      for (const wake of this.#waiters) wake()
    })
    this.child.stderr?.on('data', (d: Buffer) => { this.stderr += d.toString() })
    this.exited = new Promise(resolve => {
      this.child.on('close', code => {
        for (const wake of this.#waiters) wake()
        resolve(code)
      })
    })
  }

  /** The first event that matches; rejects when the command ends first. */
  async next (match: (e: EventLine) => boolean, what: string): Promise<EventLine> {
    return await new Promise((resolve, reject) => {
      const check = (): void => {
        const found = this.events.find(match)
        if (found !== undefined) {
          this.#waiters.delete(check)
          resolve(found)
        } else if (this.child.exitCode !== null) {
          this.#waiters.delete(check)
          reject(new Error(`task --wait ended (${this.child.exitCode}) before ${what}; events: ${JSON.stringify(this.events)} stderr: ${this.stderr}`))
        }
      }
      this.#waiters.add(check)
      check()
    })
  }
}

describe('kill -STOP of a member mid-task: swarm-node processes', () => {
  const dir = tempDir('swarm-e2e-freeze-')
  const dataDir = (name: string): string => join(dir.path, name)
  const nodes: Record<string, NodeProcess> = {}
  const ids: Record<string, string> = {}
  let frozen: NodeProcess | undefined

  beforeAll(async () => {
    const deskConfig = join(dir.path, 'desk.json')
    const memberConfig = join(dir.path, 'member.json')
    // The announcer weighs every offer of the bid window (no early close): the second member's
    // offer is kept as the backup.
    writeFileSync(deskConfig, JSON.stringify({ negotiation: { ...LIVENESS, earlyCloseMinScore: 1 } }))
    writeFileSync(memberConfig, JSON.stringify({
      negotiation: LIVENESS,
      skills: [{ name: 'hold', level: 'advanced', handler: HANDLER }]
    }))
    const desk = new NodeProcess([...COMMON, '-c', deskConfig, '--data-dir', dataDir('desk'), '--name', 'desk'])
    nodes.desk = desk
    const started = await desk.started()
    ids.desk = started.peerId
    const bootstrap = started.addrs[0] ?? ''
    for (const name of ['member-a', 'member-b']) {
      nodes[name] = new NodeProcess([...COMMON, '-c', memberConfig, '--data-dir', dataDir(name), '--name', name, '--bootstrap', bootstrap])
    }
    for (const name of ['member-a', 'member-b']) {
      const node = nodes[name]
      assert.ok(node)
      ids[name] = (await node.started()).peerId
      await desk.waitFor(l => l.event === 'agent:joined' && l.name === name, `desk to learn about ${name}`)
    }
  })

  afterAll(async () => {
    if (frozen?.child.pid !== undefined && frozen.child.exitCode === null) frozen.child.kill('SIGCONT')
    await Promise.all(Object.values(nodes).map(async n => await n.stop('SIGKILL')))
    dir.cleanup()
  })

  it('replaces the stopped member with the other one and completes the task', async () => {
    const releaseFile = join(dir.path, 'release')
    const input = { n: 1, releaseFile, maxMs: 50_000 }
    const announced = await runSwarmNode(['announce', 'Hold on', '--skill', 'hold:novice', '--input-json', JSON.stringify(input),
      '--bid-window', '1s', '--deadline', '60s', '--retries', '0', '--data-dir', dataDir('desk')])
    assert.equal(announced.code, 0, announced.stderr)
    const taskId = announced.stdout.trim()

    const follower = new Follower(['task', taskId, '--wait', '--json', '--data-dir', dataDir('desk')])
    try {
      const formed = await follower.next(e => e.type === 'formed', 'the group to form')
      const memberId = formed.members?.[0]?.peerId ?? ''
      const name = Object.keys(ids).find(n => ids[n] === memberId && n !== 'desk')
      assert.ok(name !== undefined, `the member is one of the two: ${JSON.stringify(formed.members)}`)
      const otherName = name === 'member-a' ? 'member-b' : 'member-a'
      const otherId = ids[otherName] ?? ''
      // Its part runs (its handler reported progress): stop the member's whole process. Its
      // handler (a child process) may finish, but the stopped node can tell no one.
      await follower.next(e => e.type === 'progress' && e.peerId === memberId, `${name} to start working`)
      frozen = nodes[name]
      assert.ok(frozen?.child.pid !== undefined)
      process.kill(frozen.child.pid, 'SIGSTOP')
      writeFileSync(releaseFile, '')

      const code = await follower.exited
      const seen = `events: ${JSON.stringify(follower.events)} stderr: ${follower.stderr}`
      assert.equal(code, 0, seen)
      const replaced = follower.events.find(e => e.type === 'member-replaced')
      assert.equal(replaced?.from, memberId, seen)
      assert.equal(replaced?.to, otherId, seen)
      const last = follower.events.at(-1)
      assert.equal(last?.type, 'completed')
      assert.equal(last.outcome?.status, 'COMPLETE')
      assert.deepEqual(last.outcome?.members, [{ peerId: otherId, skills: ['hold'] }])
      assert.deepEqual(last.outcome?.output, { hold: { released: true, input } })
      assert.deepEqual(last.outcome?.bySkill?.hold?.map(p => [p.peerId, p.ok]), [[otherId, true]], 'the result is the other member\'s')

      const shown = await runSwarmNode(['task', taskId, '--json', '--data-dir', dataDir('desk')])
      assert.equal(shown.code, 0, shown.stderr)
      const detail = JSON.parse(shown.stdout) as TaskDetail
      assert.equal(detail.task.status, 'COMPLETE')
      const actions = detail.audit.map(a => a.action)
      const trail = `audit: ${JSON.stringify(detail.audit)}`
      const silent = detail.audit.find(a => a.action === 'member-silent')?.detail as { peerId?: string } | undefined
      assert.equal(silent?.peerId, memberId, `the audit has member-silent for the stopped member: ${actions.join(', ')}`)
      const swap = detail.audit.find(a => a.action === 'member-replaced')?.detail as { from?: string, to?: string, reason?: string } | undefined
      assert.equal(swap?.from, memberId, trail)
      assert.equal(swap?.to, otherId, trail)
      assert.match(swap?.reason ?? '', /missed 3 heartbeats/, trail)
      assert.ok(actions.indexOf('member-silent') < actions.indexOf('member-replaced'))
      assert.ok(!actions.includes('retry-scheduled'), 'completed by the replacement, not by a retry')
    } finally {
      if (follower.child.exitCode === null) follower.child.kill('SIGKILL')
    }
  })
})
