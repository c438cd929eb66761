import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { CLI_BIN, NodeProcess, REPO_ROOT, jsonLines, runSwarmNode } from '../helpers/cli.js'
import { tempDir } from '../helpers/nodes.js'
import type { ChildProcessWithoutNullStreams } from 'node:child_process'

const COMMON = ['--listen', '/ip4/127.0.0.1/tcp/0', '--api-port', '0', '--no-mdns']
const ESCAPE = /\x1b\[[0-9;?]*[A-Za-z]/g
const HOME = '\x1b[H'
const ENTER = '\x1b[?1049h'
const LEAVE = '\x1b[?25h\x1b[?1049l'

function execFlag (skill: string, fixture: string): string {
  return `${skill}='${process.execPath}' '${REPO_ROOT}test/fixtures/${fixture}'`
}

/** A running `swarm-node dashboard` whose frames (screens between cursor-home escapes) can be awaited. */
class LiveDashboard {
  readonly child: ChildProcessWithoutNullStreams
  output = ''
  readonly exited: Promise<number | null>
  readonly #waiters = new Set<() => void>()

  constructor (command: string, args: string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] })
    const wake = (): void => { for (const w of this.#waiters) w() }
    this.child.stdout.on('data', (d: Buffer) => { this.output += d.toString(); wake() })
    this.child.stderr.on('data', (d: Buffer) => { this.output += d.toString(); wake() })
    this.exited = new Promise(resolve => { this.child.on('close', code => { wake(); resolve(code) }) })
  }

  /** Complete frames so far, escapes removed (the last piece may still be being written). */
  frames (): string[] {
    const pieces = this.output.split(HOME)
    return pieces.slice(1, -1).concat(this.output.endsWith('\x1b[J') ? pieces.slice(-1) : []).map(p => p.replace(ESCAPE, '').replace(/\r/g, ''))
  }

  async waitForFrame (match: (frame: string) => boolean, what: string, timeoutMs = 30_000): Promise<string> {
    return await new Promise((resolve, reject) => {
      const check = (): void => {
        const found = this.frames().find(match)
        if (found !== undefined) { done(); resolve(found) } else if (this.child.exitCode !== null) { done(); reject(new Error(`the dashboard exited (${this.child.exitCode}) before ${what}; output: ${this.output}`)) }
      }
      const timer = setTimeout(() => { done(); reject(new Error(`timed out waiting for ${what}; last frame:\n${this.frames().at(-1) ?? this.output}`)) }, timeoutMs)
      const done = (): void => { clearTimeout(timer); this.#waiters.delete(check) }
      this.#waiters.add(check)
      check()
    })
  }

  press (keys: string): void {
    this.child.stdin.write(keys)
  }
}

describe('swarm-node dashboard: the swarm as one node sees it', () => {
  const dir = tempDir('swarm-e2e-dashboard-')
  const dataDir = (name: string): string => join(dir.path, name)
  const nodes: NodeProcess[] = []
  const dashboards: LiveDashboard[] = []
  const input = join(dir.path, 'data.json')
  const ids: Record<string, string> = {}

  /** Announces a chart task through desk and waits for it; returns its id. */
  const announce = async (description: string): Promise<string> => {
    const result = await runSwarmNode(['announce', description, '--skill', 'viz:advanced', '--input', input, '--wait', '--json', '--data-dir', dataDir('desk')])
    assert.equal(result.code, 0, `stdout: ${result.stdout}\nstderr: ${result.stderr}`)
    const events = jsonLines(result.stdout)
    assert.equal(events.at(-1)?.type, 'completed')
    return String(events[0]?.taskId)
  }

  beforeAll(async () => {
    writeFileSync(input, JSON.stringify({ values: [3, 1, 4, 1, 5], labels: ['a', 'b', 'c', 'd', 'e'] }))
    const painter = new NodeProcess([...COMMON, '--data-dir', dataDir('painter'), '--name', 'painter', '--skill', 'viz:expert', '--exec', execFlag('viz', 'viz-handler.mjs')])
    nodes.push(painter)
    const started = await painter.started()
    ids.painter = started.peerId
    const desk = new NodeProcess([...COMMON, '--data-dir', dataDir('desk'), '--name', 'desk', '--skill', 'analytics:novice', '--bootstrap', started.addrs[0] ?? ''])
    nodes.push(desk)
    ids.desk = (await desk.started()).peerId
    await desk.waitFor(l => l.event === 'agent:joined' && l.name === 'painter', 'desk to learn about painter')
  })

  afterAll(async () => {
    for (const d of dashboards) if (d.child.exitCode === null) d.child.kill('SIGKILL')
    await Promise.all(nodes.map(async n => await n.stop('SIGKILL')))
    dir.cleanup()
  })

  it('live, with stdin and stdout as pipes: redraws as the task goes through and quits on q, restoring the screen', async () => {
    const dash = new LiveDashboard(process.execPath, [CLI_BIN, 'dashboard', '--data-dir', dataDir('desk')], { COLUMNS: '110', LINES: '45' })
    dashboards.push(dash)
    await dash.waitForFrame(f => /^painter\s+12D3KooW\S+\s+idle\s+0\/4/m.test(f) && f.includes('stream live'), 'a frame with painter idle and the stream live')
    const taskId = await announce('Chart live')
    const label = taskId.slice(0, 8)
    const frame = await dash.waitForFrame(f => f.includes(`task ${label} completed`), 'the completion in the events')
    assert.match(frame, new RegExp(`^${label}\\s+normal\\s+COMPLETE\\s+1/3\\s+1\\s+\\S+\\s+-\\s+viz:advanced\\s+Chart live$`, 'm'), frame)
    assert.match(frame, new RegExp(`task ${label} offer from painter for viz`))
    assert.match(frame, new RegExp(`task ${label} group formed in \\d+ms: painter \\(viz\\)`))
    assert.match(frame, new RegExp(`task ${label} painter viz 50% halfway`))
    assert.match(frame, /done 1 · failed 0 · rejected 0 · cancelled 0 · active 0 · success 100%/)
    for (const line of frame.split('\n')) assert.ok(line.length <= 110, `"${line}" is wider than $COLUMNS`)
    assert.ok(frame.split('\n').length <= 45)
    dash.press('q')
    assert.equal(await dash.exited, 0, dash.output)
    assert.ok(dash.output.startsWith(ENTER), 'it opened the alternate screen')
    assert.ok(dash.output.endsWith(LEAVE), 'it showed the cursor and left the alternate screen last')
  })

  it('in a pseudo-terminal (script from util-linux): fits the terminal size and quits on q', async () => {
    const script = spawnSync('script', ['--version'], { encoding: 'utf8' })
    assert.equal(script.status, 0, 'this test drives a pseudo-terminal with `script` (util-linux): install util-linux')
    const quote = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`
    const command = `stty cols 72 rows 26 && exec ${quote(process.execPath)} ${quote(CLI_BIN)} dashboard --data-dir ${quote(dataDir('desk'))}`
    const dash = new LiveDashboard('script', ['-qefc', command, '/dev/null'], { COLUMNS: '', LINES: '' })
    dashboards.push(dash)
    const frame = await dash.waitForFrame(f => f.includes('AGENTS (2)') && f.includes('stream live'), 'a live frame in the terminal')
    const lines = frame.split('\n')
    assert.ok(lines.length <= 26, `${lines.length} lines on a 26-row terminal`)
    for (const line of lines) assert.ok(line.length <= 72, `"${line}" is wider than the 72-column terminal`)
    assert.match(frame, /^desk \*/m)
    assert.match(frame, /q or Ctrl-C: quit/)
    dash.press('q')
    assert.equal(await dash.exited, 0, dash.output)
    assert.ok(dash.output.includes(LEAVE), 'the terminal was restored')
  })

  it('--once prints one plain frame with the agents and the completed task; --once --json prints the state', async () => {
    const taskId = await announce('Chart once')
    const label = taskId.slice(0, 8)
    const once = await runSwarmNode(['dashboard', '--once', '--data-dir', dataDir('desk')], { env: { COLUMNS: '120' } })
    assert.equal(once.code, 0, once.stderr)
    assert.ok(!once.stdout.includes('\x1b'), 'no escapes when stdout is not a terminal')
    assert.match(once.stdout, /^swarm dashboard · desk 12D3KooW/)
    assert.match(once.stdout, /^AGENTS \(2\)$/m)
    assert.match(once.stdout, /^desk \*\s+12D3KooW\S+\s+idle\s+0\/4\s+-\s+analytics:novice$/m)
    // The painter's load reaches the desk with its next heartbeat: the task may still count.
    assert.match(once.stdout, /^painter\s+12D3KooW\S+\s+(idle\s+0|busy\s+1)\/4\s+-\s+viz:expert$/m)
    assert.match(once.stdout, new RegExp(`^${label}\\s+normal\\s+COMPLETE\\s+1/3\\s+-\\s+\\S+\\s+-\\s+viz:advanced\\s+Chart once$`, 'm'))
    assert.match(once.stdout, new RegExp(`^${label}\\s+COMPLETE\\s+painter \\(viz\\)$`, 'm'), 'its group')
    assert.match(once.stdout, /done 2 · failed 0 · rejected 0 · cancelled 0 · active 0 · success 100%/)

    const json = await runSwarmNode(['dashboard', '--once', '--json', '--data-dir', dataDir('desk')])
    assert.equal(json.code, 0, json.stderr)
    const state = JSON.parse(json.stdout) as {
      node: { peerId: string, name: string }
      agents: Array<{ peerId: string, name: string, status: string, skills: string[] }>
      tasks: Array<{ taskId: string, status: string, description: string, members: Array<{ peerId: string }> }>
      metrics: { done: number, successRate: number, throughputPerMin: number, errors: number }
    }
    assert.equal(state.node.peerId, ids.desk)
    assert.deepEqual(state.agents.map(a => a.name).sort(), ['desk', 'painter'])
    assert.deepEqual(state.agents.find(a => a.name === 'painter')?.skills, ['viz:expert'])
    const task = state.tasks.find(t => t.taskId === taskId)
    assert.equal(task?.status, 'COMPLETE')
    assert.equal(task.description, 'Chart once')
    assert.deepEqual(task.members.map(m => m.peerId), [ids.painter])
    assert.equal(state.metrics.done, 2)
    assert.equal(state.metrics.successRate, 1)
    assert.ok(state.metrics.throughputPerMin > 0)
    assert.equal(state.metrics.errors, 0)
  })

  it('bad flags are exit 2, no node is exit 3', async () => {
    const json = await runSwarmNode(['dashboard', '--json', '--data-dir', dataDir('desk')])
    assert.equal(json.code, 2)
    assert.match(json.stdout, /"error":\{"code":"USAGE","message":"--json prints one snapshot of the dashboard state: use it with --once/)
    const interval = await runSwarmNode(['dashboard', '--interval', '10ms', '--data-dir', dataDir('desk')])
    assert.equal(interval.code, 2)
    assert.match(interval.stderr, /invalid --interval "10ms"/)
    const none = await runSwarmNode(['dashboard', '--once', '--data-dir', dataDir('nobody')])
    assert.equal(none.code, 3)
    assert.match(none.stderr, /no running swarm-node found/)
  })
})
