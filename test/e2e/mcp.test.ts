/**
 * `swarm-node mcp` as MCP clients run it: a separately started node ("desk") with an `echo` skill
 * (an exec handler) and a `review` skill served through its inbox; the 1.x SDK client spawns
 * `swarm-node mcp --data-dir <desk>` over stdio and works a whole session with the tools, and
 * the 2.x client connects to the same command. A node that does not answer ends the command
 * with exit code 3.
 */
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Client as ClientV2 } from '@modelcontextprotocol/client'
import { StdioClientTransport as StdioTransportV2 } from '@modelcontextprotocol/client/stdio'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { CLI_BIN, NodeProcess, REPO_ROOT, runSwarmNode } from '../helpers/cli.js'
import { tempDir } from '../helpers/nodes.js'

const COMMON = ['--listen', '/ip4/127.0.0.1/tcp/0', '--api-port', '0', '--no-mdns']

interface ToolAnswer {
  isError?: boolean
  content?: unknown
  structuredContent?: Record<string, unknown>
}

/** The text of a tool result. */
function textOf (result: { content?: unknown }): string {
  const content = Array.isArray(result.content) ? result.content as Array<{ type: string, text?: string }> : []
  return content.filter(c => c.type === 'text').map(c => c.text ?? '').join('\n')
}

/** The structured content of a successful tool result (fails the test on a tool error). */
function dataOf<T> (result: ToolAnswer, what: string): T {
  assert.notEqual(result.isError, true, `${what}: ${textOf(result)}`)
  assert.ok(result.structuredContent !== undefined, `${what} has structured content`)
  return result.structuredContent as T
}

describe('swarm-node mcp: MCP clients spawn it and work with a real node', () => {
  const dir = tempDir('swarm-e2e-mcp-')
  const dataDir = join(dir.path, 'desk')
  let desk: NodeProcess | undefined
  let client: Client | undefined
  let transport: StdioClientTransport | undefined
  let serverStderr = ''

  /** Calls a tool with the 1.x client. */
  const call = async (name: string, args: Record<string, unknown> = {}): Promise<ToolAnswer> => {
    assert.ok(client !== undefined)
    return await client.callTool({ name, arguments: args }) as ToolAnswer
  }

  beforeAll(async () => {
    const config = join(dir.path, 'desk.json')
    writeFileSync(config, JSON.stringify({
      skills: [
        { name: 'echo', level: 'expert', handler: { kind: 'exec', command: process.execPath, args: [`${REPO_ROOT}test/fixtures/echo-handler.mjs`] } },
        { name: 'review', level: 'expert', handler: { kind: 'inbox', claimTimeoutMs: 60_000 } }
      ]
    }))
    desk = new NodeProcess([...COMMON, '-c', config, '--data-dir', dataDir, '--name', 'desk'])
    await desk.started()
    transport = new StdioClientTransport({ command: process.execPath, args: [CLI_BIN, 'mcp', '--data-dir', dataDir], stderr: 'pipe' })
    transport.stderr?.on('data', (d: Buffer) => { serverStderr += d.toString() })
    client = new Client({ name: 'e2e-v1', version: '1.0.0' })
    await client.connect(transport)
  })

  afterAll(async () => {
    await client?.close()
    await desk?.stop()
    dir.cleanup()
  })

  it('lists the tools with their input schemas', async () => {
    assert.ok(client !== undefined)
    const { tools } = await client.listTools()
    assert.deepEqual(tools.map(t => t.name).sort(), [
      'announce_task', 'cancel_task', 'claim_task', 'complete_task', 'get_findings', 'get_task', 'join_session',
      'list_agents', 'post_finding', 'propose_action', 'report_progress', 'swarm_status', 'vote', 'wait_for'
    ])
    const announce = tools.find(t => t.name === 'announce_task')
    assert.deepEqual([...(announce?.inputSchema.required ?? [])].sort(), ['description', 'skills'])
    const status = dataOf<{ name: string, skills: Array<{ name: string }> }>(await call('swarm_status'), 'swarm_status')
    assert.equal(status.name, 'desk')
    assert.deepEqual(status.skills.map(s => s.name).sort(), ['echo', 'review'])
  })

  it('announce_task waits for the task and returns its output', async () => {
    const result = dataOf<{ finished: boolean, ok: boolean, status: string, output: unknown }>(
      await call('announce_task', { description: 'say it back', skills: ['echo:novice'], input: { words: 'hello' } }), 'announce_task')
    assert.deepEqual([result.finished, result.ok, result.status], [true, true, 'COMPLETE'])
    assert.deepEqual(result.output, { echo: { words: 'hello' } })
  })

  it('a whole inbox session: claim, post a finding, propose and vote, complete, wait for the result', async () => {
    const announced = dataOf<{ taskId: string, finished: boolean }>(
      await call('announce_task', { description: 'review the patch', skills: ['review'], input: { patch: 'diff' }, deadlineMs: 120_000, wait: false }), 'announce_task')
    assert.equal(announced.finished, false)
    const { taskId } = announced

    const { part } = dataOf<{ part: { partId: string, taskId: string, claimId: string, description: string, input: unknown, worker: string } | null }>(
      await call('claim_task', { skills: ['review'], waitMs: 30_000 }), 'claim_task')
    assert.ok(part !== null, 'a part was claimed')
    assert.deepEqual([part.taskId, part.description, part.worker], [taskId, 'review the patch', 'mcp:e2e-v1'])
    assert.deepEqual(part.input, { patch: 'diff' })

    const progress = await call('report_progress', { partId: part.partId, claimId: part.claimId, fraction: 0.5, message: 'half way' })
    assert.notEqual(progress.isError, true, textOf(progress))

    const posted = dataOf<{ findingId: string }>(await call('post_finding', { taskId, kind: 'observation', content: 'the patch lacks tests', confidence: 0.7, evidence: ['parser.ts'] }), 'post_finding')
    const board = dataOf<{ findings: Array<{ id: string, content: string }> }>(await call('get_findings', { taskId }), 'get_findings')
    assert.deepEqual(board.findings.filter(f => f.id === posted.findingId).map(f => f.content), ['the patch lacks tests'])

    const session = dataOf<{ task: { status: string, members: unknown[] }, blackboard: { findings: unknown[] } }>(await call('join_session', { taskId }), 'join_session')
    assert.equal(session.task.members.length, 1)
    assert.ok(session.blackboard.findings.length >= 1)

    const proposal = dataOf<{ proposalId: string, status: string }>(await call('propose_action', { taskId, action: 'merge the patch', quorum: 'majority', timeoutMs: 60_000 }), 'propose_action')
    assert.equal(proposal.status, 'open')
    const waitDecision = call('wait_for', { event: 'proposal_decided', proposalId: proposal.proposalId, timeoutMs: 30_000 })
    dataOf(await call('vote', { proposalId: proposal.proposalId, choice: 'yes', reason: 'looks right' }), 'vote')
    const decided = dataOf<{ timedOut: boolean, payload: { status: string, outcome: string } }>(await waitDecision, 'wait_for proposal_decided')
    assert.deepEqual([decided.timedOut, decided.payload.outcome], [false, 'approved'])

    const completed = dataOf<{ state: string }>(await call('complete_task', { partId: part.partId, claimId: part.claimId, output: { approved: true } }), 'complete_task')
    assert.equal(completed.state, 'completed')

    const finished = dataOf<{ timedOut: boolean, payload: { status: string, ok: boolean, output: unknown } }>(
      await call('wait_for', { event: 'task_finished', taskId, timeoutMs: 30_000 }), 'wait_for task_finished')
    assert.deepEqual([finished.timedOut, finished.payload.status, finished.payload.ok], [false, 'COMPLETE', true])
    assert.deepEqual(finished.payload.output, { review: { approved: true } })
  })

  it('unknown ids and bad arguments are tool errors, and the next call still works', async () => {
    const unknownTask = await call('get_task', { taskId: 'no-such-task' })
    assert.equal(unknownTask.isError, true)
    assert.match(textOf(unknownTask), /TASK_NOT_FOUND/)
    const unknownPart = await call('complete_task', { partId: 'no-such-part', output: 1 })
    assert.equal(unknownPart.isError, true)
    assert.match(textOf(unknownPart), /no-such-part/)
    const unknownProposal = await call('vote', { proposalId: 'no-such-proposal', choice: 'yes' })
    assert.equal(unknownProposal.isError, true)
    assert.match(textOf(unknownProposal), /PROPOSAL_NOT_FOUND/)
    const badLevel = await call('announce_task', { description: 'x', skills: ['echo:guru'] })
    assert.equal(badLevel.isError, true)
    assert.match(textOf(badLevel), /echo:guru/)
    const badType = await call('claim_task', { waitMs: 'soon' })
    assert.equal(badType.isError, true)
    assert.match(textOf(badType), /waitMs/)
    const status = dataOf<{ name: string }>(await call('swarm_status'), 'swarm_status after the errors')
    assert.equal(status.name, 'desk')
    assert.doesNotMatch(serverStderr, /TypeError|ReferenceError|unhandled/i)
  })

  it('the 2.x client connects to the same command, reads the status, announces a task and claims one', async () => {
    const v2 = new ClientV2({ name: 'e2e-v2', version: '2.0.0' })
    await v2.connect(new StdioTransportV2({ command: process.execPath, args: [CLI_BIN, 'mcp', '--data-dir', dataDir], stderr: 'ignore' }))
    try {
      const { tools } = await v2.listTools()
      assert.ok(tools.some(t => t.name === 'wait_for'))
      const status = dataOf<{ name: string }>(await v2.callTool({ name: 'swarm_status', arguments: {} }) as ToolAnswer, 'swarm_status (2.x)')
      assert.equal(status.name, 'desk')
      const result = dataOf<{ ok: boolean, output: unknown }>(
        await v2.callTool({ name: 'announce_task', arguments: { description: 'again', skills: ['echo'], input: [1, 2] } }) as ToolAnswer, 'announce_task (2.x)')
      assert.equal(result.ok, true)
      assert.deepEqual(result.output, { echo: [1, 2] })
      // The default worker name comes from the client's name, whichever protocol era it speaks.
      const { taskId } = dataOf<{ taskId: string }>(
        await v2.callTool({ name: 'announce_task', arguments: { description: 'review again', skills: ['review'], wait: false } }) as ToolAnswer, 'announce_task (2.x, no wait)')
      const { part } = dataOf<{ part: { partId: string, taskId: string, claimId: string, worker: string } | null }>(
        await v2.callTool({ name: 'claim_task', arguments: { skills: ['review'], waitMs: 30_000 } }) as ToolAnswer, 'claim_task (2.x)')
      assert.ok(part !== null)
      assert.deepEqual([part.taskId, part.worker], [taskId, 'mcp:e2e-v2'])
      dataOf(await v2.callTool({ name: 'complete_task', arguments: { partId: part.partId, claimId: part.claimId, output: 'ok' } }) as ToolAnswer, 'complete_task (2.x)')
    } finally {
      await v2.close()
    }
  })

  it('with no node answering it exits 3 and says why on stderr', async () => {
    const result = await runSwarmNode(['mcp', '--api', 'http://127.0.0.1:9', '--token', 'none'])
    assert.equal(result.code, 3)
    assert.equal(result.stdout, '')
    assert.match(result.stderr, /cannot reach the node at http:\/\/127\.0\.0\.1:9/)
  })
})
