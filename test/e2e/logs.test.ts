import assert from 'node:assert/strict'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { NodeProcess, REPO_ROOT, jsonLines, runSwarmNode } from '../helpers/cli.js'
import { tempDir } from '../helpers/nodes.js'

const COMMON = ['--listen', '/ip4/127.0.0.1/tcp/0', '--api-port', '0', '--no-mdns']

interface LogLine {
  ts: string
  level: string
  msg: string
  component?: string
  node?: string
  taskId?: string
  attempt?: number
  role?: string
  detail?: Record<string, unknown>
}

/** Every line of a node log, each checked to be a JSON object with ts, level and msg. */
function readLog (path: string): LogLine[] {
  const text = readFileSync(path, 'utf8')
  return text.split('\n').filter(l => l !== '').map((line, i) => {
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch {
      assert.fail(`line ${i + 1} of ${path} is not JSON: ${line}`)
    }
    const record = value as LogLine
    assert.equal(typeof record.ts, 'string', `line ${i + 1} has ts: ${line}`)
    assert.ok(!Number.isNaN(Date.parse(record.ts)), `line ${i + 1} has an ISO time: ${line}`)
    assert.ok(['debug', 'info', 'warn', 'error'].includes(record.level), `line ${i + 1} has a level: ${line}`)
    assert.equal(typeof record.msg, 'string', `line ${i + 1} has msg: ${line}`)
    return record
  })
}

describe('node logs: one JSON-lines file per node with every coordination decision', () => {
  const dir = tempDir('swarm-e2e-logs-')
  const dataDir = (name: string): string => join(dir.path, name)
  const painterLog = join(dir.path, 'logs-elsewhere', 'painter.log')
  const nodes: NodeProcess[] = []
  const ids: Record<string, string> = {}
  let taskId = ''

  beforeAll(async () => {
    const input = join(dir.path, 'data.json')
    writeFileSync(input, JSON.stringify({ values: [2, 7, 1], labels: ['x', 'y', 'z'] }))
    // The painter logs at warn only, to a file of its own choosing (its folder is created).
    const painter = new NodeProcess([...COMMON, '--data-dir', dataDir('painter'), '--name', 'painter', '--skill', 'viz:expert',
      '--exec', `viz='${process.execPath}' '${REPO_ROOT}test/fixtures/viz-handler.mjs'`, '--log-level', 'warn', '--log-file', painterLog])
    nodes.push(painter)
    const started = await painter.started()
    ids.painter = started.peerId
    const desk = new NodeProcess([...COMMON, '--data-dir', dataDir('desk'), '--name', 'desk', '--bootstrap', started.addrs[0] ?? ''])
    nodes.push(desk)
    ids.desk = (await desk.started()).peerId
    await desk.waitFor(l => l.event === 'agent:joined' && l.name === 'painter', 'desk to learn about painter')
    const result = await runSwarmNode(['announce', 'Chart', '--skill', 'viz:advanced', '--input', input, '--wait', '--json', '--data-dir', dataDir('desk')])
    assert.equal(result.code, 0, result.stderr)
    taskId = String(jsonLines(result.stdout)[0]?.taskId)
  })

  afterAll(async () => {
    await Promise.all(nodes.map(async n => await n.stop('SIGKILL')))
    dir.cleanup()
  })

  it('start says where the log is; by default <data-dir>/node.log', async () => {
    const desk = nodes[1]
    assert.ok(desk !== undefined)
    const started = await desk.started() as unknown as { logFile: string }
    assert.equal(started.logFile, join(dataDir('desk'), 'node.log'))
    assert.ok(existsSync(join(dataDir('desk'), 'node.log')))
  })

  it('the announcer\'s node.log is JSON lines with ts, level and msg, and holds the decisions of the task at info', () => {
    const lines = readLog(join(dataDir('desk'), 'node.log'))
    assert.ok(lines.some(l => l.msg === 'node started' && l.level === 'info' && l.node === 'desk'))
    const decisions = lines.filter(l => l.component === 'audit' && l.taskId === taskId)
    assert.ok(decisions.every(l => l.level === 'info' && l.role === 'announcer'), 'decisions are info lines of the announcer')
    const actions = decisions.map(l => l.msg)
    for (const action of ['task-created', 'announce', 'offer-received', 'bidding-closed', 'group-selected', 'invite-sent', 'invite-accepted', 'group-formed', 'task-started', 'member-result', 'state:RUNNING->COMPLETE', 'group-dissolved']) {
      assert.ok(actions.includes(action), `node.log has the decision ${action}: ${actions.join(', ')}`)
    }
    const selected = decisions.find(l => l.msg === 'group-selected')
    assert.equal(selected?.attempt, 1)
    assert.deepEqual(selected.detail?.members, [{ peerId: ids.painter, skills: ['viz'] }], 'the selection names the chosen member and its skills')
    const offer = decisions.find(l => l.msg === 'offer-received')
    assert.equal(offer?.detail?.peerId, ids.painter)
    assert.equal(typeof offer?.detail?.score, 'number')
  })

  it('the log holds what the audit trail holds', async () => {
    const shown = await runSwarmNode(['task', taskId, '--json', '--data-dir', dataDir('desk')])
    assert.equal(shown.code, 0, shown.stderr)
    const audit = (JSON.parse(shown.stdout) as { audit: Array<{ action: string }> }).audit.map(a => a.action)
    const logged = readLog(join(dataDir('desk'), 'node.log')).filter(l => l.component === 'audit' && l.taskId === taskId).map(l => l.msg)
    // Both are written at the same place; the log was read last, so it may only have more.
    assert.deepEqual(logged.slice(0, audit.length), audit)
  })

  it('--log-level warn drops info lines; --log-file puts the log where it says', () => {
    assert.ok(!existsSync(join(dataDir('painter'), 'node.log')), 'no node.log in the data directory when --log-file says otherwise')
    assert.ok(existsSync(painterLog))
    const lines = readLog(painterLog)
    assert.deepEqual(lines.filter(l => l.level === 'info' || l.level === 'debug'), [], 'only warn and error lines')
  })

  it('--log-file - writes the log to standard error, and nothing to the data directory', async () => {
    const node = new NodeProcess([...COMMON, '--data-dir', dataDir('stderr'), '--name', 'loud', '--log-file', '-', '--log-level', 'debug'])
    nodes.push(node)
    await node.started()
    assert.equal(await node.stop('SIGTERM'), 0)
    const lines = node.stderr.split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l) as LogLine)
    assert.ok(lines.some(l => l.msg === 'node started' && l.level === 'info'), node.stderr)
    assert.ok(lines.some(l => l.msg === 'node stopped'))
    assert.ok(!existsSync(join(dataDir('stderr'), 'node.log')))
  })

  it('an unusable --log-file stops start with exit 6 and says what to do', async () => {
    writeFileSync(join(dir.path, 'a-file'), '')
    const result = await runSwarmNode(['start', ...COMMON, '--data-dir', dataDir('bad'), '--log-file', join(dir.path, 'a-file', 'node.log')])
    assert.equal(result.code, 6, result.stderr)
    assert.match(result.stderr, /cannot write the log file .*a-file\/node\.log: .*pass --log-file with a file you can write, or --log-file - for standard error/)
  })
})
