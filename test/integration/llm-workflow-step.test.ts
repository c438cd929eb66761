/**
 * A workflow step's task over TCP with real nodes: its workflow tag and its count of dependents
 * travel in the announcement, the member's `llm` skill gets the tag, and the model (the local
 * test server, helpers/llm-server.ts, through the real `openai` client) is shown the output the
 * step builds on under its step id and the review's feedback, each in its own section.
 */
import assert from 'node:assert/strict'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { startLlmServer } from '../helpers/llm-server.js'
import { byName, startNegotiationSwarm } from '../helpers/negotiation.js'
import type { LlmTestServer } from '../helpers/llm-server.js'
import type { TestSwarm } from '../helpers/nodes.js'
import type { SwarmNode } from '@swarm/node'

describe('llm skill in a workflow step', () => {
  let server: LlmTestServer
  let swarm: TestSwarm
  let lead: SwarmNode

  beforeAll(async () => {
    server = await startLlmServer({ 'coder-model': { answer: 'function parse() { /* faster */ }' } })
    swarm = await startNegotiationSwarm([
      { name: 'lead' },
      {
        name: 'team',
        capacity: 2,
        llm: { baseUrl: server.openaiUrl, retries: 0 },
        skills: [{ name: 'coder', level: 'expert', handler: { kind: 'llm', model: 'coder-model', system: 'You write code.', timeoutMs: 20_000 } }]
      }
    ])
    lead = byName(swarm, 'lead')
  })

  afterAll(async () => {
    await swarm?.stop()
    await server?.close()
  })

  it('shows the model the output the step builds on and the review\'s feedback, apart from the rest of the input', async () => {
    const before = server.requests.length
    const handle = await lead.announce({
      description: 'Write the CSV parser',
      skills: [{ name: 'coder' }],
      deadlineMs: 30_000,
      maxAttempts: 1,
      dependents: 2,
      workflow: { workflowId: 'wf-integration-1', stepId: 'code', iteration: 2, buildsOn: ['clean'] },
      input: { clean: { columns: ['id', 'amount'], rows: 1200 }, feedback: 'too slow', language: 'typescript' }
    })
    const outcome = await handle.result()
    assert.equal(outcome.status, 'COMPLETE', JSON.stringify(outcome.errors))
    const sent = server.requests.slice(before)
    assert.equal(sent.length, 1)
    const prompt = sent[0]?.messages[1]?.content ?? ''
    assert.ok(prompt.includes('## Outputs this step builds on\n### clean\n{\n  "columns": [\n    "id",\n    "amount"\n  ],\n  "rows": 1200\n}'), prompt)
    assert.ok(prompt.includes('## Feedback from the review\ntoo slow'), prompt)
    assert.ok(prompt.includes('Input:\n{\n  "language": "typescript"\n}'), prompt)
    assert.doesNotMatch(prompt, /"feedback"|"clean"/)
  })
})
