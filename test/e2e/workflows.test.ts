/**
 * Workflows end to end: `swarm-node start` processes with exec handlers (the sample ones of
 * test/fixtures and the echo handler, whose output is its input), and `swarm-node run` through
 * the node that has no skills of its own: a diamond (a → b, c → d) whose last step gets the
 * outputs of the two in the middle, a step nobody can do (exit 4), a file that cannot run (exit
 * 2, naming the step and the field), the `standard` preset over handlers that serve the role
 * skills, --timeout (exit 5) and cancel, and the exports: `workflows --csv` and
 * `workflow <id> --html`.
 */
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { NodeProcess, REPO_ROOT, jsonLines, runSwarmNode } from '../helpers/cli.js'
import { tempDir } from '../helpers/nodes.js'
import type { CliResult } from '../helpers/cli.js'

const COMMON = ['--listen', '/ip4/127.0.0.1/tcp/0', '--api-port', '0', '--no-mdns']
const ROLES = ['clarifier', 'architect', 'coder', 'reviewer']

/** `--exec` value running a fixture handler with this Node.js (no shell: the CLI splits it). */
function execFlag (skill: string, fixture: string): string {
  return `${skill}='${process.execPath}' '${REPO_ROOT}test/fixtures/${fixture}'`
}

interface StepLine { id: string, status: string, output?: unknown, tasks: Array<{ members?: Array<{ peerId: string, skill: string }> }> }
interface ViewLine { workflowId: string, name: string, status: string, code?: string, steps: StepLine[], output?: Record<string, unknown> }
interface EventLine { type: string, workflowId: string, stepId?: string }

const VALUES = [3, 1, 4, 1, 5]
const LABELS = ['a', 'b', 'c', 'd', 'e']

const DIAMOND = `name: diamond
input:
  values: [${VALUES.join(', ')}]
  labels: [${LABELS.join(', ')}]
steps:
  - id: a
    skills: [echo]
    input: \${{ workflow.input }}
  - id: b
    needs: [a]
    skills: [analytics:advanced]
    input: \${{ steps.a.output }}
  - id: c
    needs: [a]
    skills: [viz]
    input:
      values: \${{ steps.a.output.values }}
      labels: \${{ steps.a.output.labels }}
  - id: d
    needs: [b, c]
    skills: [echo]
`

/** The output of a CLI run, for assertion messages. */
const said = (r: CliResult): string => `exit ${String(r.code)}\nstdout: ${r.stdout.slice(-3000)}\nstderr: ${r.stderr.slice(-2000)}`

/** The JSON lines of `--wait --json`: the events, then the final view. */
function eventsAndView (r: CliResult): { events: EventLine[], view: ViewLine } {
  const lines = jsonLines(r.stdout)
  return { events: lines.slice(0, -1) as unknown as EventLine[], view: lines.at(-1) as unknown as ViewLine }
}

describe('swarm-node run: workflows over separately started nodes', () => {
  const dir = tempDir('swarm-e2e-workflows-')
  const dataDir = (name: string): string => join(dir.path, name)
  const path = (name: string): string => join(dir.path, name)
  const nodes: Record<string, NodeProcess> = {}
  const ids: Record<string, string> = {}
  const desk = ['--data-dir', dataDir('desk')]
  const releaseFile = path('release')
  let diamondId = ''

  beforeAll(async () => {
    // The desk runs the workflows and has no skills: every step goes out to the others.
    nodes.desk = new NodeProcess([...COMMON, '--data-dir', dataDir('desk'), '--name', 'desk'])
    const started = await nodes.desk.started()
    ids.desk = started.peerId
    const bootstrap = ['--bootstrap', started.addrs[0] ?? '']
    nodes.analyst = new NodeProcess([...COMMON, '--data-dir', dataDir('analyst'), '--name', 'analyst', ...bootstrap,
      '--skill', 'analytics:expert', '--exec', execFlag('analytics', 'analytics-handler.mjs'),
      '--skill', 'echo', '--exec', execFlag('echo', 'echo-handler.mjs')])
    nodes.team = new NodeProcess([...COMMON, '--data-dir', dataDir('team'), '--name', 'team', ...bootstrap,
      '--skill', 'viz:intermediate', '--exec', execFlag('viz', 'viz-handler.mjs'),
      '--skill', 'hold', '--exec', execFlag('hold', 'hold-handler.mjs'),
      ...ROLES.flatMap(role => ['--skill', role, '--exec', execFlag(role, 'echo-handler.mjs')])])
    for (const name of ['analyst', 'team']) {
      const node = nodes[name]
      assert.ok(node)
      ids[name] = (await node.started()).peerId
      await nodes.desk.waitFor(l => l.event === 'agent:joined' && l.name === name, `desk to learn about ${name}`)
    }
    writeFileSync(path('wf.yaml'), DIAMOND)
  }, 60_000)

  afterAll(async () => {
    // A held handler that a cancel did not stop ends now.
    writeFileSync(releaseFile, '')
    await Promise.all(Object.values(nodes).map(async n => await n.stop('SIGKILL')))
    dir.cleanup()
  })

  it('run wf.yaml --wait --json: a diamond; the last step gets the outputs of the two before it', async () => {
    const result = await runSwarmNode(['run', path('wf.yaml'), '--wait', '--json', ...desk])
    assert.equal(result.code, 0, said(result))
    const { events, view } = eventsAndView(result)
    diamondId = view.workflowId
    assert.equal(view.status, 'completed', said(result))
    assert.deepEqual(view.steps.map(s => `${s.id}:${s.status}`), ['a:completed', 'b:completed', 'c:completed', 'd:completed'])
    assert.ok(events.every(e => e.workflowId === diamondId), 'every line is an event of the workflow')
    assert.equal(events[0]?.type, 'workflow:started')
    assert.equal(events.at(-1)?.type, 'workflow:completed')
    const at = (type: string, stepId: string): number => events.findIndex(e => e.type === type && e.stepId === stepId)
    for (const id of ['a', 'b', 'c', 'd']) {
      assert.ok(at('step:ready', id) >= 0 && at('step:ready', id) < at('step:started', id) && at('step:started', id) < at('step:completed', id), `step ${id} became ready, started, completed`)
    }
    assert.ok(at('step:completed', 'a') < at('step:started', 'b') && at('step:completed', 'a') < at('step:started', 'c'))
    assert.ok(at('step:completed', 'b') < at('step:ready', 'd') && at('step:completed', 'c') < at('step:ready', 'd'))

    const d = view.output?.d as { b?: unknown, c?: { chart?: string[] } } | undefined
    assert.deepEqual(d?.b, { count: 5, mean: 2.8, min: 1, max: 5 }, JSON.stringify(view.output))
    assert.equal(d?.c?.chart?.length, VALUES.length)
    assert.equal(d?.c?.chart?.[4], `e | ${'#'.repeat(20)} 5`)
    assert.deepEqual(view.steps.find(s => s.id === 'd')?.output, d)
    // Who did what: the analyst the echo and analytics steps, the team the chart.
    const doneBy = (id: string): string[] => view.steps.find(s => s.id === id)?.tasks.flatMap(t => t.members?.map(m => m.peerId) ?? []) ?? []
    assert.deepEqual([doneBy('a'), doneBy('b'), doneBy('c'), doneBy('d')], [[ids.analyst], [ids.analyst], [ids.team], [ids.analyst]])
  })

  it('a step nobody can do is exit 4; a file that cannot run is exit 2 naming the step and the field', async () => {
    writeFileSync(path('lonely.yaml'), 'name: lonely\nsteps:\n  - id: paint\n    skills: [fresco]\n')
    writeFileSync(path('bad.yaml'), DIAMOND.replace('needs: [b, c]', 'needs: [b, nowhere]'))
    const [lonely, bad] = await Promise.all([
      runSwarmNode(['run', path('lonely.yaml'), '--wait', '--json', ...desk]),
      runSwarmNode(['run', path('bad.yaml'), '--wait', ...desk])
    ])
    assert.equal(lonely.code, 4, said(lonely))
    const { view } = eventsAndView(lonely)
    assert.equal(view.status, 'failed')
    assert.equal(view.code, 'STEP_UNASSIGNABLE')
    assert.match(JSON.stringify(view.steps[0]), /fresco/)

    assert.equal(bad.code, 2, said(bad))
    assert.equal(bad.stdout, '')
    assert.match(bad.stderr, /bad\.yaml cannot run:/)
    assert.match(bad.stderr, /steps\[3\] \(d\)\.needs: "nowhere" is not a step of this workflow/)
  })

  it('run --preset standard over handlers that serve the role skills: every step completed', async () => {
    const result = await runSwarmNode(['run', '--preset', 'standard', 'Build a CSV parser', '--wait', '--json', ...desk])
    assert.equal(result.code, 0, said(result))
    const { view } = eventsAndView(result)
    assert.equal(view.name, 'standard')
    assert.equal(view.status, 'completed')
    assert.deepEqual(view.steps.map(s => `${s.id}:${s.status}`), ['clarify', 'design', 'code', 'review-correctness', 'review-design', 'review-readability'].map(id => `${id}:completed`))
    // Each step built on the one before: the echoes nest, down to the request.
    assert.deepEqual(view.output?.['review-design'], { code: { design: { clarify: { request: 'Build a CSV parser' } } } })
  })

  it('--timeout gives up with exit 5 while the workflow goes on; cancel <workflow id> ends it', async () => {
    writeFileSync(path('held.yaml'), `name: held\nsteps:\n  - id: hold\n    skills: [hold]\n    input: { releaseFile: ${JSON.stringify(releaseFile)}, maxMs: 30000 }\n  - id: after\n    needs: [hold]\n    skills: [echo]\n`)
    const waited = await runSwarmNode(['run', path('held.yaml'), '--wait', '--json', '--timeout', '1s', ...desk])
    assert.equal(waited.code, 5, said(waited))
    // --json: the failure is the last line of stdout, a JSON object with the code and message.
    assert.match(waited.stdout.trim().split('\n').at(-1) ?? '', /^\{"error":\{"code":"TIMEOUT","message":"gave up waiting for workflow \S+ after 1\.0s; it goes on/)
    const workflowId = (jsonLines(waited.stdout)[0] as unknown as EventLine).workflowId
    const cancelled = await runSwarmNode(['cancel', workflowId, '--reason', 'not needed', ...desk])
    assert.equal(cancelled.code, 0, said(cancelled))
    assert.match(cancelled.stdout, new RegExp(`^workflow ${workflowId} cancelled: not needed`))
    const followed = await runSwarmNode(['workflow', workflowId, '--wait', '--json', ...desk])
    assert.equal(followed.code, 1, said(followed))
    const { events, view } = eventsAndView(followed)
    assert.equal(events.at(-1)?.type, 'workflow:cancelled')
    assert.equal(view.status, 'cancelled')
    assert.deepEqual(view.steps.map(s => s.status), ['cancelled', 'cancelled'])
  })

  it('workflows --csv has a row per step; workflow <id> --html writes a report naming every step', async () => {
    assert.ok(diamondId !== '')
    const report = path('out.html')
    const [csv, html, list] = await Promise.all([
      runSwarmNode(['workflows', '--csv', ...desk]),
      runSwarmNode(['workflow', diamondId, '--html', report, ...desk]),
      runSwarmNode(['workflows', '--json', ...desk])
    ])
    assert.equal(csv.code, 0, said(csv))
    assert.equal(list.code, 0, said(list))
    const views = JSON.parse(list.stdout) as ViewLine[]
    assert.deepEqual(views.map(v => v.name).sort(), ['diamond', 'held', 'lonely', 'standard'], 'the file that could not run made no workflow')
    const rows = csv.stdout.split('\r\n').filter(r => r !== '')
    assert.match(rows[0] ?? '', /^workflow_id,workflow_name,workflow_status,step_id,step_status,/)
    assert.equal(rows.length - 1, views.reduce((n, v) => n + v.steps.length, 0), 'one row per step of every workflow')
    for (const id of ['a', 'b', 'c', 'd']) assert.ok(rows.some(r => r.startsWith(`${diamondId},diamond,completed,${id},completed,`)), `a row for step ${id}`)

    assert.equal(html.code, 0, said(html))
    assert.match(html.stdout, new RegExp(`wrote the report of workflow ${diamondId} \\(completed, 4 steps\\) to ${report.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`))
    const page = readFileSync(report, 'utf8')
    assert.match(page, /^<!doctype html>/i)
    for (const id of ['a', 'b', 'c', 'd']) assert.match(page, new RegExp(`<article id="step-${id}">\\s*<h3><code>${id}</code>`), `the report names step ${id}`)
  })
})
