import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { NodeProcess, REPO_ROOT, jsonLines, runSwarmNode } from '../helpers/cli.js'
import { tempDir } from '../helpers/nodes.js'

const COMMON = ['--listen', '/ip4/127.0.0.1/tcp/0', '--api-port', '0', '--no-mdns']

/** `--exec` value running a fixture handler with this Node.js (no shell: the CLI splits it). */
function execFlag (skill: string, fixture: string): string {
  return `${skill}='${process.execPath}' '${REPO_ROOT}test/fixtures/${fixture}'`
}

const VALUES = [3, 1, 4, 1, 5, 9, 2, 6]
const LABELS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']

interface Member { peerId: string, skills: string[] }
interface LifecycleLine {
  type: string
  taskId: string
  at: number
  peerId?: string
  skills?: string[]
  skill?: string
  progress?: number
  message?: string
  ok?: boolean
  members?: Member[]
  outcome?: { status: string, ok: boolean, output?: Record<string, unknown>, members?: Member[], reason?: string }
}

interface TaskDetail {
  task: { taskId: string, status: string, state: { status: string, members: Member[] }, outcome?: { ok: boolean, output?: Record<string, unknown> } }
  audit: Array<{ at: number, actor: string, action: string, detail?: unknown }>
}

const sortMembers = (members: Member[]): Member[] => [...members].sort((a, b) => a.peerId.localeCompare(b.peerId))

describe('swarm-node announce: a task done by a working group of separately started nodes', () => {
  const dir = tempDir('swarm-e2e-announce-')
  const dataDir = (name: string): string => join(dir.path, name)
  const nodes: Record<string, NodeProcess> = {}
  const ids: Record<string, string> = {}
  const input = join(dir.path, 'data.json')
  // The announcing node ("desk") has both skills below the required levels: it cannot offer.
  const deskArgs = [...COMMON, '--data-dir', dataDir('desk'), '--name', 'desk', '--skill', 'analytics:intermediate', '--skill', 'viz:novice']
  let bootstrap = ''
  let taskId = ''
  let auditBefore = 0

  beforeAll(async () => {
    writeFileSync(input, JSON.stringify({ values: VALUES, labels: LABELS }))
    const hub = new NodeProcess([...COMMON, '--data-dir', dataDir('hub'), '--name', 'hub'])
    nodes.hub = hub
    const started = await hub.started()
    ids.hub = started.peerId
    bootstrap = started.addrs[0] ?? ''
    nodes.analyst = new NodeProcess([...COMMON, '--data-dir', dataDir('analyst'), '--name', 'analyst', '--skill', 'analytics:expert',
      '--exec', execFlag('analytics', 'analytics-handler.mjs'), '--bootstrap', bootstrap])
    nodes.painter = new NodeProcess([...COMMON, '--data-dir', dataDir('painter'), '--name', 'painter', '--skill', 'viz:intermediate',
      '--exec', execFlag('viz', 'viz-handler.mjs'), '--handler-timeout', '20s', '--bootstrap', bootstrap])
    nodes.desk = new NodeProcess([...deskArgs, '--bootstrap', bootstrap])
    for (const name of ['analyst', 'painter', 'desk']) {
      const node = nodes[name]
      assert.ok(node)
      ids[name] = (await node.started()).peerId
    }
    // The announcer must know the agents that have the skills (and their handlers).
    const desk = nodes.desk
    for (const name of ['analyst', 'painter']) {
      await desk.waitFor(l => l.event === 'agent:joined' && l.name === name, `desk to learn about ${name}`)
    }
  })

  afterAll(async () => {
    await Promise.all(Object.values(nodes).map(async n => await n.stop('SIGKILL')))
    dir.cleanup()
  })

  it('announce --wait --json prints offers, the group, progress, member results and the aggregated result', async () => {
    const result = await runSwarmNode(['announce', 'Analyze', '--skill', 'analytics:advanced', '--skill', 'viz:intermediate',
      '--input', input, '--wait', '--json', '--data-dir', dataDir('desk')])
    assert.equal(result.code, 0, `stdout: ${result.stdout}\nstderr: ${result.stderr}`)
    const events = jsonLines(result.stdout) as unknown as LifecycleLine[]
    assert.ok(events.length > 0)
    taskId = events[0]?.taskId ?? ''
    assert.ok(events.every(e => e.taskId === taskId && typeof e.type === 'string' && typeof e.at === 'number'), 'every line is one event of the task')

    const offers = events.filter(e => e.type === 'offer')
    assert.ok(offers.some(o => o.peerId === ids.analyst && o.skills?.includes('analytics') === true), 'analyst offered for analytics')
    assert.ok(offers.some(o => o.peerId === ids.painter && o.skills?.includes('viz') === true), 'painter offered for viz')
    assert.ok(!offers.some(o => o.peerId === ids.desk || o.peerId === ids.hub), 'agents below the level (or without the skill) do not offer')

    const formed = events.find(e => e.type === 'formed')
    assert.ok(formed?.members !== undefined, 'a group was formed')
    assert.deepEqual(sortMembers(formed.members), sortMembers([
      { peerId: ids.analyst ?? '', skills: ['analytics'] },
      { peerId: ids.painter ?? '', skills: ['viz'] }
    ]))

    const progress = events.find(e => e.type === 'progress')
    assert.ok(progress !== undefined, 'the viz handler\'s progress came through')
    assert.equal(progress.peerId, ids.painter)
    assert.equal(progress.skill, 'viz')
    assert.equal(progress.progress, 0.5)
    assert.equal(progress.message, 'halfway')

    const results = events.filter(e => e.type === 'member-result')
    assert.deepEqual(results.map(r => `${r.skill ?? ''}:${String(r.ok)}`).sort(), ['analytics:true', 'viz:true'])

    const last = events.at(-1)
    assert.equal(last?.type, 'completed', 'the last line is the completed event')
    assert.equal(events.filter(e => e.type === 'completed').length, 1)
    const output = last.outcome?.output
    assert.deepEqual(output?.analytics, { count: 8, mean: 3.875, min: 1, max: 9 })
    const chart = (output?.viz as { chart: string[] } | undefined)?.chart
    assert.ok(Array.isArray(chart))
    assert.equal(chart.length, VALUES.length)
    assert.equal(chart[5], `f | ${'#'.repeat(20)} 9`, 'the largest value gets the full bar')
    assert.equal(chart[1], `b | ${'#'.repeat(2)} 1`)

    // Order: offers before bidding closed before the group, progress and results before completion.
    const index = (type: string): number => events.findIndex(e => e.type === type)
    assert.ok(index('offer') < index('bidding-closed') && index('bidding-closed') < index('formed'))
    assert.ok(index('formed') < index('progress') && index('progress') < index('completed'))
  })

  it('task <id> --json shows COMPLETE, the group, the result and the whole audit trail', async () => {
    assert.ok(taskId !== '')
    const shown = await runSwarmNode(['task', taskId, '--json', '--data-dir', dataDir('desk')])
    assert.equal(shown.code, 0, shown.stderr)
    const detail = JSON.parse(shown.stdout) as TaskDetail
    assert.equal(detail.task.taskId, taskId)
    assert.equal(detail.task.status, 'COMPLETE')
    assert.equal(detail.task.state.status, 'COMPLETE')
    assert.equal(detail.task.state.members.length, 2)
    assert.deepEqual(detail.task.outcome?.output?.analytics, { count: 8, mean: 3.875, min: 1, max: 9 })
    const actions = detail.audit.map(a => a.action)
    for (const action of ['task-created', 'announce', 'offer-received', 'bidding-closed', 'invite-accepted', 'group-formed', 'member-result', 'state:RUNNING->COMPLETE', 'group-dissolved']) {
      assert.ok(actions.includes(action), `the audit trail has ${action}: ${actions.join(', ')}`)
    }
    assert.equal(actions.filter(a => a === 'member-result').length, 2)
    assert.ok(detail.audit.every(a => a.actor === ids.desk), 'the announcer is the actor of its decisions')
    auditBefore = detail.audit.length

    const text = await runSwarmNode(['task', taskId, '--data-dir', dataDir('desk')])
    assert.equal(text.code, 0, text.stderr)
    assert.match(text.stdout, new RegExp(`^task ${taskId}\\s+COMPLETE`))
    assert.match(text.stdout, /analyst\s+analytics/)
    assert.match(text.stdout, /"mean": 3.875/)
    assert.match(text.stdout, /audit trail \(\d+ entries/)
    assert.match(text.stdout, /\+\d+(ms|\.\d+s)\s+desk\s+group-formed/)
  })

  it('announce --wait in text, through a node that is itself a member, shows one readable line per event and the result', async () => {
    const analyst = nodes.analyst
    assert.ok(analyst)
    await analyst.waitFor(l => l.event === 'agent:joined' && l.name === 'painter', 'analyst to learn about painter')
    const result = await runSwarmNode(['announce', 'Analyze here', '--skill', 'analytics:advanced', '--skill', 'viz:intermediate', '--input', input,
      '--bid-window', '300ms', '--wait', '--data-dir', dataDir('analyst')])
    assert.equal(result.code, 0, `stdout: ${result.stdout}\nstderr: ${result.stderr}`)
    assert.match(result.stdout, /^task \S+$/m)
    assert.match(result.stdout, /^offer\s+analyst for analytics \(score \d\.\d\d\)$/m)
    assert.match(result.stdout, /^offer\s+painter for viz \(score \d\.\d\d\)$/m)
    assert.match(result.stdout, /^group formed\s+in \d+ms: (analyst \(analytics\), painter \(viz\)|painter \(viz\), analyst \(analytics\))$/m)
    // Progress of another member reaches an announcer that is also a member of the group.
    assert.match(result.stdout, /^progress\s+painter viz 50% halfway$/m)
    assert.match(result.stdout, /^member result\s+analyst analytics done in/m)
    assert.match(result.stdout, /^member result\s+painter viz done in/m)
    assert.match(result.stdout, /^completed\s+in /m)
    assert.match(result.stdout, /^result:\n\{\n/m)
    assert.match(result.stdout, / {4}"mean": 3.875,/)
    assert.match(result.stdout, /"f \| #{20} 9"/)
  })

  it('announce without --wait, then task <id> --wait follows it to the end; on a finished task it exits at once', async () => {
    const announced = await runSwarmNode(['announce', 'Analyze later', '--skill', 'analytics:advanced', '--skill', 'viz:intermediate', '--input', input, '--data-dir', dataDir('desk')])
    assert.equal(announced.code, 0, announced.stderr)
    const id = announced.stdout.trim()
    assert.match(id, /^[A-Za-z0-9_-]{22}$/, 'without --wait announce prints the task id')

    const followed = await runSwarmNode(['task', id, '--wait', '--data-dir', dataDir('desk')])
    assert.equal(followed.code, 0, `stdout: ${followed.stdout}\nstderr: ${followed.stderr}`)
    assert.match(followed.stdout, new RegExp(`^task ${id}$`, 'm'))
    assert.match(followed.stdout, /^group formed\s+in \d+ms: /m)
    assert.match(followed.stdout, /^member result\s+analyst analytics done in/m)
    assert.match(followed.stdout, /^member result\s+painter viz done in/m)
    assert.match(followed.stdout, /^completed\s+in /m)
    assert.match(followed.stdout, / {4}"mean": 3.875,/)

    // Finished: the events are replayed up to the final one and the command ends (a hang would
    // be exit 5 from --timeout).
    const again = await runSwarmNode(['task', id, '--wait', '--json', '--timeout', '10s', '--data-dir', dataDir('desk')])
    assert.equal(again.code, 0, again.stderr)
    const events = jsonLines(again.stdout) as unknown as LifecycleLine[]
    assert.ok(events.every(e => e.taskId === id), 'every line is an event of the task')
    assert.equal(events.at(-1)?.type, 'completed')
    assert.deepEqual(events.at(-1)?.outcome?.output?.analytics, { count: 8, mean: 3.875, min: 1, max: 9 })

    const unknown = await runSwarmNode(['task', 'no-such-task-id-000000', '--wait', '--data-dir', dataDir('desk')])
    assert.equal(unknown.code, 1)
    assert.match(unknown.stderr, /no task no-such-task-id-000000 on this node/)
    const noWait = await runSwarmNode(['task', id, '--timeout', '5s', '--data-dir', dataDir('desk')])
    assert.equal(noWait.code, 2)
    assert.match(noWait.stderr, /--timeout is how long --wait waits: add --wait/)
  })

  it('a task nobody can do is refused at once: exit 4 with a message that says why', async () => {
    const result = await runSwarmNode(['announce', 'Paint a fresco', '--skill', 'fresco:expert', '--wait', '--data-dir', dataDir('desk')])
    assert.equal(result.code, 4, result.stderr)
    assert.match(result.stderr, /task rejected: no peer can take this task: skill "fresco" at level expert or above: no agent with it is known/)
    assert.equal(result.stdout, '')
  })

  it('bad flags are exit 2 naming the flag', async () => {
    const cases: Array<{ args: string[], message: RegExp }> = [
      { args: ['--skill', 'analytics:guru'], message: /invalid --skill "analytics:guru"/ },
      { args: [], message: /--skill name:level/ },
      { args: ['--skill', 'analytics', '--priority', 'urgent'], message: /invalid --priority "urgent"/ },
      { args: ['--skill', 'analytics', '--deadline', 'soon'], message: /invalid --deadline "soon"/ },
      { args: ['--skill', 'analytics', '--bid-window', '2m'], message: /invalid --bid-window "2m": must be between/ },
      { args: ['--skill', 'analytics', '--retries', '-1'], message: /invalid --retries/ },
      { args: ['--skill', 'analytics', '--input', join(dir.path, 'missing.json')], message: /cannot read --input file/ },
      { args: ['--skill', 'analytics', '--input-json', '{not json'], message: /--input-json is not valid JSON/ }
    ]
    for (const c of cases) {
      const result = await runSwarmNode(['announce', 'x', ...c.args, '--data-dir', dataDir('desk')])
      assert.equal(result.code, 2, `${c.args.join(' ')}: ${result.stderr}`)
      assert.match(result.stderr, c.message, c.args.join(' '))
    }
    const exec = await runSwarmNode(['start', ...COMMON, '--data-dir', dataDir('bad-exec'), '--skill', 'viz:novice', '--exec', 'analytics=node x.js'])
    assert.equal(exec.code, 2)
    assert.match(exec.stderr, /add --skill analytics:<level>/)
  })

  it('after the announcer restarts, task and tasks still show the task, its result and its audit trail', async () => {
    assert.ok(taskId !== '')
    const desk = nodes.desk
    assert.ok(desk)
    assert.equal(await desk.stop('SIGTERM'), 0)
    const again = new NodeProcess([...deskArgs, '--bootstrap', bootstrap])
    nodes.desk = again
    assert.equal((await again.started()).peerId, ids.desk)

    const shown = await runSwarmNode(['task', taskId, '--json', '--data-dir', dataDir('desk')])
    assert.equal(shown.code, 0, shown.stderr)
    const detail = JSON.parse(shown.stdout) as TaskDetail
    assert.equal(detail.task.status, 'COMPLETE')
    assert.equal(detail.task.outcome?.ok, true)
    assert.deepEqual(detail.task.outcome?.output?.analytics, { count: 8, mean: 3.875, min: 1, max: 9 })
    assert.ok(detail.audit.length >= auditBefore, 'the audit trail survived')
    for (const action of ['announce', 'offer-received', 'group-formed', 'member-result']) {
      assert.ok(detail.audit.some(a => a.action === action), `after the restart the audit trail has ${action}`)
    }

    const list = await runSwarmNode(['tasks', '--json', '--data-dir', dataDir('desk')])
    assert.equal(list.code, 0, list.stderr)
    const tasks = JSON.parse(list.stdout) as Array<{ taskId: string, status: string, description: string, skills: Array<{ name: string }> }>
    const listed = tasks.find(t => t.taskId === taskId)
    assert.ok(listed !== undefined, 'tasks lists it')
    assert.equal(listed.status, 'COMPLETE')
    assert.equal(listed.description, 'Analyze')
    assert.deepEqual(listed.skills.map(s => s.name), ['analytics', 'viz'])

    // A task of the previous run: its stored final event, and the exit code it means, at once.
    const waited = await runSwarmNode(['task', taskId, '--wait', '--json', '--timeout', '10s', '--data-dir', dataDir('desk')])
    assert.equal(waited.code, 0, waited.stderr)
    const final = jsonLines(waited.stdout) as unknown as LifecycleLine[]
    assert.deepEqual(final.map(e => e.type), ['completed'])
    assert.equal(final[0]?.outcome?.status, 'COMPLETE')

    const completed = await runSwarmNode(['tasks', '--status', 'complete', '--data-dir', dataDir('desk')])
    assert.equal(completed.code, 0, completed.stderr)
    assert.match(completed.stdout, /^ID\s+STATUS\s+DESCRIPTION\s+SKILLS\s+AGE\s+DURATION/)
    assert.match(completed.stdout, new RegExp(`${taskId}\\s+COMPLETE\\s+Analyze\\s+analytics:advanced, viz:intermediate`))
  })
})
