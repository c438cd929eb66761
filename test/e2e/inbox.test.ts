/**
 * The inbox commands of the CLI against separately started nodes: a node whose `review` skill
 * has an `inbox` handler (from its config file); `swarm-node claim --wait` pulls the part a
 * second node announced, `swarm-node post-finding` writes on its blackboard, `swarm-node
 * complete` ends it, and the announcer's `announce --wait` exits 0 with that output.
 */
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { NodeProcess, jsonLines, runSwarmNode } from '../helpers/cli.js'
import { tempDir } from '../helpers/nodes.js'

const COMMON = ['--listen', '/ip4/127.0.0.1/tcp/0', '--api-port', '0', '--no-mdns']

describe('swarm-node claim / post-finding / complete against real processes', () => {
  const dir = tempDir('swarm-e2e-inbox-')
  const dataDir = (name: string): string => join(dir.path, name)
  const nodes: NodeProcess[] = []
  const cli = async (node: string, args: string[]): Promise<{ code: number | null, stdout: string, stderr: string }> =>
    await runSwarmNode([...args, '--data-dir', dataDir(node)])

  beforeAll(async () => {
    const desk = new NodeProcess([...COMMON, '--data-dir', dataDir('desk'), '--name', 'desk'])
    nodes.push(desk)
    const bootstrap = (await desk.started()).addrs[0] ?? ''
    const config = join(dir.path, 'worker.json')
    writeFileSync(config, JSON.stringify({ skills: [{ name: 'review', level: 'expert', handler: { kind: 'inbox', claimTimeoutMs: 60_000 } }] }))
    const worker = new NodeProcess([...COMMON, '-c', config, '--data-dir', dataDir('worker'), '--name', 'worker', '--bootstrap', bootstrap])
    nodes.push(worker)
    await worker.started()
    await desk.waitFor(l => l.event === 'agent:joined' && l.name === 'worker', 'desk to learn about worker')
  })

  afterAll(async () => {
    for (const node of nodes) await node.stop()
    dir.cleanup()
  })

  it('claim with nothing waiting exits 5 and says so', async () => {
    const none = await cli('worker', ['claim', '--skill', 'review', '--wait', '200ms'])
    assert.equal(none.code, 5, none.stderr)
    assert.match(none.stdout, /no part waiting for review within 200ms/)
  })

  it('claims the announced part, posts a finding, completes it; the announcer gets the output', async () => {
    const announced = cli('desk', ['announce', 'review the patch', '--skill', 'review', '--input-json', '{"patch":"diff"}', '--deadline', '60s', '--wait', '--json'])

    const claimed = await cli('worker', ['claim', '--skill', 'review', '--wait', '30s', '--worker', 'cli-test', '--json'])
    assert.equal(claimed.code, 0, claimed.stderr)
    const part = JSON.parse(claimed.stdout) as { partId: string, taskId: string, claimId: string, description: string, input: unknown }
    assert.equal(part.description, 'review the patch')
    assert.deepEqual(part.input, { patch: 'diff' })

    const listed = await cli('worker', ['inbox', '--json'])
    assert.deepEqual((JSON.parse(listed.stdout) as Array<{ partId: string, state: string, worker: string }>).map(p => [p.partId, p.state, p.worker]), [[part.partId, 'claimed', 'cli-test']])

    const progressed = await cli('worker', ['progress', part.partId, '0.5', 'half way', '--claim', part.claimId, '--checkpoint-json', '{"line":3}'])
    assert.equal(progressed.code, 0, progressed.stderr)

    const finding = await cli('worker', ['post-finding', part.taskId, 'the patch lacks tests', '--kind', 'observation', '--confidence', '0.7', '--evidence', 'parser.ts', '--json'])
    assert.equal(finding.code, 0, finding.stderr)
    const { findingId } = JSON.parse(finding.stdout) as { findingId: string }
    const board = await cli('worker', ['blackboard', part.taskId, '--json'])
    const findings = (JSON.parse(board.stdout) as { findings: Array<{ id: string, content: string }> }).findings
    assert.deepEqual(findings.filter(f => f.id === findingId).map(f => f.content), ['the patch lacks tests'])

    const wrongClaim = await cli('worker', ['complete', part.partId, '--claim', 'not-mine', '--result-json', '{}'])
    assert.equal(wrongClaim.code, 1)
    assert.match(wrongClaim.stderr, /INBOX_CLAIM_STALE/)
    const completed = await cli('worker', ['complete', part.partId, '--claim', part.claimId, '--result-json', '{"approved":true}'])
    assert.equal(completed.code, 0, completed.stderr)
    assert.match(completed.stdout, /completed/)

    const announce = await announced
    assert.equal(announce.code, 0, announce.stderr)
    const last = jsonLines(announce.stdout).at(-1) as { type: string, outcome?: { output?: unknown } }
    assert.equal(last.type, 'completed')
    assert.deepEqual(last.outcome?.output, { review: { approved: true } })
  })
})
