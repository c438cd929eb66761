/**
 * LLM roles end to end (issue 15): `swarm-node start --role coder --role reviewer --llm-url …
 * --llm-model …` processes against a local server that speaks OpenAI's wire protocol
 * (helpers/llm-server.ts), and `swarm-node announce --wait --json` of a task that needs both
 * roles: both answers come back with their usage, the requests carry each role's preset, and a
 * model the server does not have is a warning at start.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { NodeProcess, jsonLines, runSwarmNode } from '../helpers/cli.js'
import { startLlmServer } from '../helpers/llm-server.js'
import { tempDir } from '../helpers/nodes.js'
import type { LlmTestServer } from '../helpers/llm-server.js'

const COMMON = ['--listen', '/ip4/127.0.0.1/tcp/0', '--api-port', '0', '--no-mdns']

describe('swarm-node start --role … --llm-url …', () => {
  const dir = tempDir('swarm-e2e-llm-')
  const dataDir = (name: string): string => join(dir.path, name)
  const nodes: NodeProcess[] = []
  let server: LlmTestServer

  beforeAll(async () => {
    server = await startLlmServer({
      'team-model': { answer: r => (r.messages[0]?.content.startsWith('You are the programmer') === true ? 'const add = (a, b) => a + b' : 'accept: correct and minimal') }
    })
    const team = new NodeProcess([...COMMON, '--data-dir', dataDir('team'), '--name', 'team', '--role', 'coder:expert', '--role', 'reviewer', '--llm-url', server.openaiUrl, '--llm-model', 'team-model'])
    nodes.push(team)
    const started = await team.started()
    const lonely = new NodeProcess([...COMMON, '--data-dir', dataDir('lonely'), '--name', 'lonely', '--role', 'documenter', '--llm-url', server.openaiUrl, '--llm-model', 'missing-model', '--bootstrap', started.addrs[0] ?? ''])
    nodes.push(lonely)
    await lonely.started()
    const desk = new NodeProcess([...COMMON, '--data-dir', dataDir('desk'), '--name', 'desk', '--bootstrap', started.addrs[0] ?? ''])
    nodes.push(desk)
    await desk.started()
    await desk.waitFor(l => l.event === 'agent:joined' && l.name === 'team', 'desk to learn about the team')
  }, 60_000)

  afterAll(async () => {
    await Promise.all(nodes.map(async n => await n.stop('SIGKILL')))
    await server?.close()
    dir.cleanup()
  })

  it('warns at start of a model the server does not list', async () => {
    const warning = await nodes[1]?.waitFor(l => l.event === 'llm-warning', 'the lonely node to warn of its model')
    assert.equal(warning?.code, 'LLM_MODEL_NOT_FOUND')
    assert.equal(warning?.skill, 'documenter')
    assert.match(String(warning?.message), /missing-model/)
  })

  it('a task for a coder and a reviewer: both answers, with usage; each request with its role\'s preset', async () => {
    const result = await runSwarmNode(['announce', 'Add two numbers in JavaScript', '--skill', 'coder', '--skill', 'reviewer', '--wait', '--json', '--data-dir', dataDir('desk')])
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`)
    const events = jsonLines(result.stdout)
    const done = events.find(e => e.type === 'completed') as { outcome?: { output?: Record<string, { text: string, usage: { totalTokens: number } }> } } | undefined
    const output = done?.outcome?.output
    assert.equal(output?.coder?.text, 'const add = (a, b) => a + b', JSON.stringify(events).slice(0, 800))
    assert.equal(output?.reviewer?.text, 'accept: correct and minimal')
    assert.ok((output?.coder?.usage.totalTokens ?? 0) > 0 && (output?.reviewer?.usage.totalTokens ?? 0) > 0)
    const coder = server.requests.find(r => r.messages[0]?.content.startsWith('You are the programmer') === true)
    const reviewer = server.requests.find(r => r.messages[0]?.content.startsWith('You are the code reviewer') === true)
    assert.deepEqual([coder?.model, coder?.temperature, coder?.topP, coder?.maxTokens], ['team-model', 0.4, 0.9, 4096], 'the coder preset')
    assert.deepEqual([reviewer?.temperature, reviewer?.topP], [0.8, 0.95], 'the reviewer preset')
    assert.match(coder?.messages[1]?.content ?? '', /Add two numbers in JavaScript/)

    // Tokens and time per member in `task <id>`, the agent's totals in `status`, the metrics.
    const taskId = String(events.find(e => typeof e.taskId === 'string')?.taskId)
    const shown = await runSwarmNode(['task', taskId, '--data-dir', dataDir('desk')])
    assert.equal(shown.code, 0, shown.stderr)
    assert.match(shown.stdout, /model +coder on .*: team-model, \d+ prompt \+ \d+ completion tokens/)
    assert.match(shown.stdout, /model +reviewer on .*: team-model/)
    assert.match(shown.stdout, /tokens +\d+ in all/)
    const status = await runSwarmNode(['status', '--data-dir', dataDir('team')])
    assert.equal(status.code, 0, status.stderr)
    assert.match(status.stdout, /models +2 calls, \d+ prompt \+ \d+ completion tokens/)
    assert.match(status.stdout, /coder \(team-model\): 1 call/)
    const api = await nodes[0]?.started()
    const token = readFileSync(join(dataDir('team'), 'api-token'), 'utf8').trim()
    const metrics = await (await fetch(`${api?.api ?? ''}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text()
    assert.match(metrics, /swarm_llm_requests_total\{skill="coder",model="team-model",outcome="ok"\} 1/)
    assert.match(metrics, /swarm_llm_tokens_total\{skill="reviewer",model="team-model",kind="completion"\} \d+/)
    assert.match(metrics, /swarm_llm_first_token_seconds_count\{skill="coder",model="team-model"\} 1/)
  }, 60_000)
})
