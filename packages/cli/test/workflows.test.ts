/**
 * The workflow commands: `run`'s arguments and file checks (before anything is sent), and `run`,
 * `workflows`, `workflow <id>` and `cancel` against a fake node: what they send, print and exit
 * with (0 completed, 1 failed, 4 a step can never be assigned, 5 --timeout, 2 bad usage or file,
 * 3 no node).
 */
import { afterAll, beforeAll, describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { workflowExitCode } from '../src/commands/workflow-follow.js'
import { buildRunBody } from '../src/commands/workflows.js'
import { EXIT } from '../src/exit-codes.js'
import { assertUsage, runCaptured } from './helpers.js'
import { T0, sampleWorkflow, step } from './workflow-fixture.js'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { WorkflowView } from '@swarm/node'
import type { CapturingOutput } from './helpers.js'

const TOKEN = 'wf-token'

const DIAMOND = `name: diamond
input: { values: [1, 2] }
steps:
  - id: a
    skills: [echo]
    input: \${{ workflow.input }}
  - id: b
    needs: [a]
    skills: ["analytics:advanced"]
  - id: c
    needs: [a]
    skills: [viz]
  - id: d
    needs: [b, c]
    skills: [echo]
`

let dir: string
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'swarm-cli-wf-')) })
afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

function file (name: string, text: string): string {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

describe('run: arguments and the workflow file', () => {
  it('reads a YAML file (and the input) into the body it posts', () => {
    const wf = file('ok.yaml', DIAMOND)
    const body = buildRunBody(wf, { inputJson: '{"values":[3]}' })
    assert.ok('workflow' in body)
    assert.deepEqual(body.input, { values: [3] })
    const steps = body.workflow.steps as Array<{ id: string, needs: string[], skills: unknown[] }>
    assert.deepEqual(steps.map(s => s.id), ['a', 'b', 'c', 'd'])
    assert.deepEqual(steps[1]?.skills, [{ name: 'analytics', minLevel: 'advanced', count: 1 }])
    const json = file('ok.json', JSON.stringify({ name: 'one', steps: [{ id: 'x', skills: ['echo'] }] }))
    assert.deepEqual(Object.keys(buildRunBody(json, {})), ['workflow'])
    const input = file('in.json', '[1, 2]')
    assert.deepEqual((buildRunBody(json, { input }) as { input: unknown }).input, [1, 2])
  })

  it('a file that is missing, or cannot run, is exit 2 naming the file, the step and the field', () => {
    assertUsage(() => buildRunBody(join(dir, 'missing.yaml'), {}), /no workflow file .*missing\.yaml/)
    const bad = file('bad.yaml', DIAMOND.replace('needs: [b, c]', 'needs: [b, nope]'))
    assertUsage(() => buildRunBody(bad, {}), /bad\.yaml cannot run/, /steps\[3\] \(d\)\.needs: "nope" is not a step of this workflow/)
    const typo = file('typo.yaml', DIAMOND.replace('skills: [viz]', 'skils: [viz]'))
    assertUsage(() => buildRunBody(typo, {}), /typo\.yaml cannot run/, /steps\[2\] \(c\)/, /skils/)
    const level = file('level.yaml', DIAMOND.replace('analytics:advanced', 'analytics:guru'))
    assertUsage(() => buildRunBody(level, {}), /steps\[1\] \(b\)\.skills\.0: .*unknown level "guru"/)
    const upstream = file('upstream.yaml', DIAMOND.replace('skills: [viz]', 'skills: [viz]\n    input: ${{ steps.d.output }}'))
    assertUsage(() => buildRunBody(upstream, {}), /steps\[2\] \(c\)\.input: reads steps\.d\.output, but "d" is not upstream of "c"/)
    assertUsage(() => buildRunBody(file('yaml.yaml', 'name: [x'), {}), /\(file\): not YAML or JSON/)
  })

  it('--input and --input-json together, or bad input, are exit 2', () => {
    const wf = file('ok2.yaml', DIAMOND)
    assertUsage(() => buildRunBody(wf, { input: wf, inputJson: '{}' }), /either --input <file> or --input-json <json>, not both/)
    assertUsage(() => buildRunBody(wf, { inputJson: '{nope' }), /--input-json is not valid JSON/)
    assertUsage(() => buildRunBody(wf, { input: join(dir, 'no-input.json') }), /cannot read --input file/)
  })

  it('--preset takes the request as its argument', () => {
    assert.deepEqual(buildRunBody('  Build a CSV parser ', { preset: 'standard' }), { preset: 'standard', request: 'Build a CSV parser' })
    assertUsage(() => buildRunBody('x', { preset: 'huge' }), /invalid --preset "huge": use one of standard, full, review/)
    assertUsage(() => buildRunBody(' ', { preset: 'review' }), /the request is empty/)
    assertUsage(() => buildRunBody('x', { preset: 'full', inputJson: '{}' }), /a preset's input is its request/)
    assertUsage(() => buildRunBody('x'.repeat(4097), { preset: 'full' }), /4097 characters, the limit is 4096/)
  })

  it('the exit code of a workflow\'s end', () => {
    assert.equal(workflowExitCode({ status: 'running' }), undefined)
    assert.equal(workflowExitCode({ status: 'completed' }), EXIT.OK)
    assert.equal(workflowExitCode({ status: 'failed', code: 'STEP_FAILED' }), EXIT.FAILURE)
    assert.equal(workflowExitCode({ status: 'failed', code: 'STEP_UNASSIGNABLE' }), EXIT.REJECTED)
    assert.equal(workflowExitCode({ status: 'cancelled' }), EXIT.FAILURE)
  })
})

/** A finished view of the sample workflow, `fetch` and `parse` only. */
function finished (workflowId: string, status: WorkflowView['status'], extra: Partial<WorkflowView> = {}): WorkflowView {
  const stepStatus = status === 'completed' ? 'completed' : status === 'cancelled' ? 'cancelled' : 'failed'
  return {
    ...sampleWorkflow(),
    workflowId,
    status,
    finishedAt: T0 + 5000,
    updatedAt: T0 + 5000,
    steps: [
      step('fetch', [], 'completed', { startedAt: T0 + 100, finishedAt: T0 + 1100, output: { rows: 3 }, tasks: [{ taskId: 't-fetch-0001', iteration: 1, run: 1, status: 'completed', startedAt: T0 + 100, finishedAt: T0 + 1100, members: [{ peerId: 'peer-1', skill: 'fetch' }] }] }),
      step('parse', ['fetch'], stepStatus, { startedAt: T0 + 1200, finishedAt: T0 + 5000, ...(stepStatus === 'completed' ? { output: { parsed: true } } : {}) })
    ],
    ...(status === 'completed' ? { output: { parse: { parsed: true } } } : {}),
    ...extra
  }
}

const base = (workflowId: string, at: number): { workflowId: string, at: number } => ({ workflowId, at })

function story (workflowId: string, last: Record<string, unknown> | undefined): Array<Record<string, unknown>> {
  return [
    { type: 'workflow:started', ...base(workflowId, T0), name: 'Build a CSV parser', steps: 2 },
    { type: 'step:ready', ...base(workflowId, T0), stepId: 'fetch', iteration: 1 },
    { type: 'step:started', ...base(workflowId, T0 + 100), stepId: 'fetch', iteration: 1, taskIds: ['t-fetch-0001'] },
    { type: 'step:completed', ...base(workflowId, T0 + 1100), stepId: 'fetch', iteration: 1, durationMs: 1000 },
    ...(last === undefined ? [] : [{ ...base(workflowId, T0 + 5000), ...last }])
  ]
}

/** What the fake node has per workflow id: its view, its events, whether the stream ends, and whether it is over (only the last event streamed, the rest in the audit). */
const WORKFLOWS: Record<string, { view: WorkflowView, events: Array<Record<string, unknown>>, end: boolean, over?: boolean }> = {
  'wf-ok': { view: finished('wf-ok', 'completed'), events: story('wf-ok', { type: 'workflow:completed', durationMs: 5000 }), end: true },
  'wf-fail': { view: finished('wf-fail', 'failed', { code: 'STEP_FAILED', reason: 'step parse failed: bad row' }), events: story('wf-fail', { type: 'workflow:failed', reason: 'step parse failed: bad row' }), end: true },
  'wf-lonely': { view: finished('wf-lonely', 'failed', { code: 'STEP_UNASSIGNABLE', reason: 'step parse failed: nobody' }), events: story('wf-lonely', { type: 'workflow:failed', reason: 'step parse failed: nobody' }), end: true },
  'wf-stuck': { view: { ...sampleWorkflow(), workflowId: 'wf-stuck' }, events: story('wf-stuck', undefined), end: false },
  'wf-over': { view: finished('wf-over', 'completed'), events: story('wf-over', { type: 'workflow:completed', durationMs: 5000 }), end: true, over: true }
}

describe('runCli: run, workflows, workflow, cancel against a node', () => {
  let server: Server
  let dataDir: string
  let nextWorkflow = 'wf-ok'
  const posted: Array<{ url: string, body: unknown }> = []

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const send = (status: number, value: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' })
        res.end(JSON.stringify(value))
      }
      if (req.headers.authorization !== `Bearer ${TOKEN}`) return send(401, { error: { code: 'API_UNAUTHORIZED', message: 'no' } })
      const url = req.url ?? ''
      if (req.method === 'POST') {
        let text = ''
        req.on('data', (d: Buffer) => { text += d.toString() })
        req.on('end', () => {
          const body = JSON.parse(text) as Record<string, unknown>
          posted.push({ url, body })
          if (url === '/v1/workflows') {
            const wf = body.workflow as { name?: string } | undefined
            if (wf?.name === 'refused') return send(400, { error: { code: 'WORKFLOW_INVALID', message: 'the workflow cannot run:\n  steps[0] (a).skills: too many' } })
            const known = WORKFLOWS[nextWorkflow]
            return send(201, { workflowId: nextWorkflow, workflow: { ...known?.view, status: 'running' } })
          }
          if (url === '/v1/workflows/wf-stuck/cancel') return send(200, { workflow: { ...WORKFLOWS['wf-stuck']?.view, status: 'cancelled', reason: (body.reason as string | undefined) ?? 'cancelled by the user', steps: WORKFLOWS['wf-stuck']?.view.steps.map(s => ({ ...s, status: s.status === 'completed' ? 'completed' : 'cancelled' })) } })
          if (url === '/v1/workflows/wf-ok/cancel') return send(409, { error: { code: 'WORKFLOW_STATE', message: 'workflow wf-ok is completed already' } })
          if (url === '/v1/tasks/task-1/cancel') return send(200, { taskId: 'task-1', status: 'CANCELLED', reason: 'by the user' })
          if (url.startsWith('/v1/tasks/')) return send(404, { error: { code: 'TASK_NOT_FOUND', message: 'no task' } })
          send(404, { error: { code: 'NOT_FOUND', message: 'no such endpoint' } })
        })
        return
      }
      if (url === '/v1/agents') return send(200, { agents: [{ peerId: 'peer-1', name: 'fetcher' }] })
      if (url === '/v1/workflows' || url.startsWith('/v1/workflows?')) {
        const status = new URL(url, 'http://x').searchParams.get('status')
        const views = Object.values(WORKFLOWS).map(w => w.view).filter(v => status === null || v.status === status)
        return send(200, { workflows: views })
      }
      const events = /^\/v1\/workflows\/([^/]+)\/events$/.exec(url)
      const id = events?.[1] ?? /^\/v1\/workflows\/([^/?]+)$/.exec(url)?.[1]
      const known = WORKFLOWS[id ?? '']
      if (id !== undefined && known === undefined) return send(404, { error: { code: 'WORKFLOW_NOT_FOUND', message: `no workflow ${id} on this node` } })
      if (known === undefined) return send(404, { error: { code: 'NOT_FOUND', message: 'no such endpoint' } })
      if (events === null) {
        const audit = known.events.map(({ type, ...detail }) => ({ at: Number(detail.at), actor: 'me', action: String(type), detail }))
        return send(200, { workflow: known.view, audit: [{ at: T0, actor: 'me', action: 'workflow-created', detail: {} }, ...audit] })
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write(': hello\n\n')
      for (const e of known.over === true ? known.events.slice(-1) : known.events) res.write(`event: ${String(e.type)}\ndata: ${JSON.stringify(e)}\n\n`)
      if (known.end) res.end()
    })
    await new Promise<void>(resolve => { server.listen(0, '127.0.0.1', () => { resolve() }) })
    dataDir = join(dir, 'node')
    mkdirSync(dataDir)
    writeFileSync(join(dataDir, 'api.json'), JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }))
    writeFileSync(join(dataDir, 'api-token'), TOKEN)
  })

  afterAll(async () => {
    server.closeAllConnections()
    await new Promise<void>(resolve => { server.close(() => { resolve() }) })
  })

  async function run (...args: string[]): Promise<{ code: number, out: CapturingOutput }> {
    return await runCaptured([...args, '--data-dir', dataDir])
  }

  it('run <file> posts the checked workflow and prints its id', async () => {
    nextWorkflow = 'wf-ok'
    const wf = file('run.yaml', DIAMOND)
    const { code, out } = await run('run', wf, '--input-json', '{"values":[7]}')
    assert.equal(code, EXIT.OK, out.errors.join('\n'))
    assert.deepEqual(out.lines, ['wf-ok'])
    const last = posted.at(-1)
    assert.equal(last?.url, '/v1/workflows')
    const body = last?.body as { workflow: { name: string }, input: unknown }
    assert.equal(body.workflow.name, 'diamond')
    assert.deepEqual(body.input, { values: [7] })
    const json = await run('run', '--preset', 'review', 'Check the parser', '--json')
    assert.deepEqual(json.out.jsons, [{ workflowId: 'wf-ok', status: 'running' }])
    assert.deepEqual(posted.at(-1)?.body, { preset: 'review', request: 'Check the parser' })
  })

  it('a file that cannot run is exit 2 and nothing is sent; a refusal of the node is exit 2 too', async () => {
    const before = posted.length
    const bad = await run('run', file('bad-run.yaml', DIAMOND.replace('needs: [a]', 'needs: [zz]')))
    assert.equal(bad.code, EXIT.USAGE)
    assert.match(bad.out.errors.join('\n'), /bad-run\.yaml cannot run:\n {2}steps\[1\] \(b\)\.needs: "zz" is not a step/)
    const missing = await run('run', join(dir, 'nowhere.yaml'), '--wait')
    assert.equal(missing.code, EXIT.USAGE)
    const both = await run('run', file('both.yaml', DIAMOND), '--input', 'x.json', '--input-json', '{}')
    assert.equal(both.code, EXIT.USAGE)
    assert.match(both.out.errors.join('\n'), /not both/)
    const alone = await run('run', file('alone.yaml', DIAMOND), '--timeout', '5s')
    assert.equal(alone.code, EXIT.USAGE)
    assert.match(alone.out.errors.join('\n'), /--timeout is how long --wait waits: add --wait/)
    assert.equal(posted.length, before, 'nothing was posted')
    const refused = await run('run', file('refused.yaml', DIAMOND.replace('name: diamond', 'name: refused')))
    assert.equal(refused.code, EXIT.USAGE)
    assert.match(refused.out.errors.join('\n'), /the node refused the workflow: the workflow cannot run:/)
  })

  it('no node: exit 3', async () => {
    const empty = join(dir, 'no-node')
    mkdirSync(empty, { recursive: true })
    const { code } = await runCaptured(['run', file('nonode.yaml', DIAMOND), '--data-dir', empty])
    assert.equal(code, EXIT.UNREACHABLE)
  })

  it('run --wait prints each event, then the steps and the output, and exits 0', async () => {
    nextWorkflow = 'wf-ok'
    const { code, out } = await run('run', file('wait.yaml', DIAMOND), '--wait')
    assert.equal(code, EXIT.OK, out.errors.join('\n'))
    const text = out.lines.join('\n')
    assert.match(text, /^workflow "Build a CSV parser" started: 2 steps \(wf-ok\)\nstep fetch ready\nstep fetch started: task t-fetch-\nstep fetch completed in 1\.0s\nworkflow completed in 5\.0s\nsteps:\n/)
    assert.match(text, /✓ fetch {2}completed · 1\.0s · 1 task/)
    assert.match(text, /output:\n\{\n {2}"parse": \{\n {4}"parsed": true/)
  })

  it('run --wait --json prints one event per line, then the final view; the exit code is the end\'s', async () => {
    nextWorkflow = 'wf-ok'
    const ok = await run('run', file('json.yaml', DIAMOND), '--wait', '--json')
    assert.equal(ok.code, EXIT.OK)
    assert.deepEqual(ok.out.jsons.slice(0, -1).map(e => (e as { type: string }).type), ['workflow:started', 'step:ready', 'step:started', 'step:completed', 'workflow:completed'])
    const view = ok.out.jsons.at(-1) as WorkflowView
    assert.equal(view.status, 'completed')
    assert.deepEqual(view.output, { parse: { parsed: true } })
    nextWorkflow = 'wf-fail'
    assert.equal((await run('run', file('f.yaml', DIAMOND), '--wait', '--json')).code, EXIT.FAILURE)
    nextWorkflow = 'wf-lonely'
    const lonely = await run('run', file('l.yaml', DIAMOND), '--wait')
    assert.equal(lonely.code, EXIT.REJECTED)
    assert.ok(lonely.out.lines.includes('workflow FAILED: step parse failed: nobody'), lonely.out.lines.join('\n'))
  })

  it('gives up at --timeout with exit 5, saying the workflow goes on', async () => {
    nextWorkflow = 'wf-stuck'
    const { code, out } = await run('run', file('stuck.yaml', DIAMOND), '--wait', '--timeout', '300ms')
    assert.equal(code, EXIT.TIMEOUT)
    assert.match(out.errors.join('\n'), /gave up waiting for workflow wf-stuck after 300ms; it goes on: see "swarm-node workflow wf-stuck"/)
    assert.equal(out.lines[0], 'workflow "Build a CSV parser" started: 2 steps (wf-stuck)')
  })

  it('workflow <id> --wait of a workflow that ended tells it from the audit trail', async () => {
    const { code, out } = await run('workflow', 'wf-over', '--wait', '--json')
    assert.equal(code, EXIT.OK)
    assert.deepEqual(out.jsons.slice(0, -1).map(e => (e as { type: string }).type), ['workflow:started', 'step:ready', 'step:started', 'step:completed', 'workflow:completed'])
    assert.equal((out.jsons.at(-1) as WorkflowView).workflowId, 'wf-over')
    assert.equal((await run('workflow', 'wf-lonely', '--wait')).code, EXIT.REJECTED)
  })

  it('workflow <id> shows the steps, tasks and outputs; --json the detail; --html writes the report', async () => {
    const { code, out } = await run('workflow', 'wf-ok')
    assert.equal(code, EXIT.OK, out.errors.join('\n'))
    const text = out.lines.join('\n')
    assert.match(text, /^workflow wf-ok {2}completed {2}Build a CSV parser\n {2}created {3}/)
    assert.match(text, /\n {2}ran {7}5\.0s\n/)
    assert.match(text, /steps:\n {2}✓ fetch {2}completed · 1\.0s · 1 task\n {2}└─ ✓ parse {2}completed/)
    assert.match(text, /fetch +t-fetch-0001 +completed +1 +\+100ms +1\.0s +fetcher \(fetch\)/)
    assert.match(text, /outputs:\n.*\n {2}fetch +\{"rows":3\}\n {2}parse +\{"parsed":true\}/)
    const json = await run('workflow', 'wf-fail', '--json')
    const detail = json.out.jsons[0] as { workflow: WorkflowView, audit: unknown[] }
    assert.equal(detail.workflow.code, 'STEP_FAILED')
    assert.ok(detail.audit.length > 0)
    const report = join(dir, 'report.html')
    const html = await run('workflow', 'wf-ok', '--html', report)
    assert.equal(html.code, EXIT.OK, html.out.errors.join('\n'))
    assert.match(html.out.lines[0] ?? '', /^wrote the report of workflow wf-ok \(completed, 2 steps\) to .*report\.html$/)
    const page = readFileSync(report, 'utf8')
    assert.match(page, /fetch/)
    assert.match(page, /parse/)
    const unwritable = await run('workflow', 'wf-ok', '--html', join(dir, 'no-dir', 'r.html'))
    assert.equal(unwritable.code, EXIT.USAGE)
    assert.ok(!existsSync(join(dir, 'no-dir')))
    const unknown = await run('workflow', 'wf-none')
    assert.equal(unknown.code, EXIT.FAILURE)
    assert.match(unknown.out.errors.join('\n'), /no workflow wf-none on this node \(WORKFLOW_NOT_FOUND\)/)
  })

  it('workflows lists a line each, JSON, or a CSV row per step', async () => {
    const text = await run('workflows')
    assert.equal(text.code, EXIT.OK)
    assert.equal(text.out.lines.length, Object.keys(WORKFLOWS).length)
    assert.match(text.out.lines[0] ?? '', /^wf-ok {2}completed {2}2\/2 steps done/)
    const failed = await run('workflows', '--status', 'failed', '--json')
    assert.deepEqual((failed.out.jsons[0] as WorkflowView[]).map(v => v.workflowId), ['wf-fail', 'wf-lonely'])
    const csv = await run('workflows', '--csv')
    // A line is printed with "\n" after it: the CSV's last CRLF.
    const rows = `${csv.out.lines[0] ?? ''}\n`.split('\r\n')
    assert.equal(rows.at(-1), '', 'every row ends with CRLF')
    assert.match(rows[0] ?? '', /^workflow_id,workflow_name,workflow_status,step_id,/)
    const steps = Object.values(WORKFLOWS).reduce((n, w) => n + w.view.steps.length, 0)
    assert.equal(rows.length - 2, steps, 'a row per step')
    assert.ok(rows.some(r => r.startsWith('wf-ok,Build a CSV parser,completed,fetch,completed,')))
    assert.equal((await run('workflows', '--csv', '--json')).code, EXIT.USAGE)
    const bad = await run('workflows', '--status', 'done')
    assert.equal(bad.code, EXIT.USAGE)
    assert.match(bad.out.errors.join('\n'), /invalid --status "done": use running, completed, failed, cancelled/)
  })

  it('cancel <id> cancels a workflow of this node, else the task', async () => {
    const wf = await run('cancel', 'wf-stuck', '--reason', 'not needed')
    assert.equal(wf.code, EXIT.OK, wf.out.errors.join('\n'))
    assert.deepEqual(posted.at(-1), { url: '/v1/workflows/wf-stuck/cancel', body: { reason: 'not needed' } })
    assert.equal(wf.out.lines[0], 'workflow wf-stuck cancelled: not needed')
    assert.match(wf.out.lines[1] ?? '', /steps cancelled: parse, lint, approve, report/)
    const ended = await run('cancel', 'wf-ok')
    assert.equal(ended.code, EXIT.FAILURE)
    assert.match(ended.out.errors.join('\n'), /workflow wf-ok is completed already/)
    const task = await run('cancel', 'task-1')
    assert.equal(task.code, EXIT.OK)
    assert.deepEqual(posted.at(-1), { url: '/v1/tasks/task-1/cancel', body: {} })
    assert.deepEqual(task.out.lines, ['task task-1 CANCELLED: by the user'])
    const none = await run('cancel', 'task-2')
    assert.equal(none.code, EXIT.FAILURE)
    assert.match(none.out.errors.join('\n'), /no task or workflow task-2 on this node/)
  })
})
