/**
 * The web dashboard in headless Chromium (Debian's chromium package, driven by playwright-core):
 * three real nodes in this process, the dashboard of one of them, a task announced while the
 * page is open. It must show the agents, then the task reaching COMPLETE without a reload, then
 * the task's group and timeline.
 */
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { chromium } from 'playwright-core'
import { startLlmServer } from '../helpers/llm-server.js'
import { FIXTURES, builtinSkill } from '../helpers/negotiation.js'
import { allAgentsKnown, startSwarm } from '../helpers/nodes.js'
import type { BrowserContext, Page } from 'playwright-core'
import type { LlmTestServer } from '../helpers/llm-server.js'
import type { TestSwarm } from '../helpers/nodes.js'

const CHROMIUM = '/usr/bin/chromium'
/** A module handler that writes a hypothesis, a finding and an action to the group's blackboard. */
const RESEARCH = { name: 'research', level: 'expert' as const, handler: { kind: 'module' as const, path: `${FIXTURES}web-dashboard-handlers.mjs`, export: 'investigate' } }

/** Fails (never skips) when the browser is missing, saying how to get it. */
function requireChromium (): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: this test needs Debian's chromium package. Install it with "sudo apt-get install -y chromium" (the CI script .ci/run does) and run the test again`)
  }
}

describe('web dashboard: agents, a task going to COMPLETE live, its timeline', () => {
  let swarm: TestSwarm
  let llm: LlmTestServer
  let context: BrowserContext
  let page: Page
  let profile: string
  const requests: string[] = []
  const pageErrors: string[] = []
  let loads = 0

  beforeAll(async () => {
    requireChromium()
    llm = await startLlmServer({ 'writer-model': { answer: 'Customers leave over the price.' } })
    swarm = await startSwarm([
      { name: 'boss', storage: 'memory' },
      { name: 'analyst', storage: 'memory', skills: [builtinSkill('analytics', 'expert', 'sleep', 800), RESEARCH] },
      // A skill a model serves (the local test server of the OpenAI API): its task shows tokens.
      { name: 'painter', storage: 'memory', skills: [builtinSkill('viz', 'advanced', 'echo'), { name: 'writer', level: 'expert', handler: { kind: 'llm', baseUrl: llm.openaiUrl, model: 'writer-model' } }] }
    ])
    await allAgentsKnown(swarm.nodes)
    profile = mkdtempSync(join(tmpdir(), 'swarm-chromium-'))
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'
      ]
    })
    page = context.pages()[0] ?? await context.newPage()
    page.on('request', req => { requests.push(req.url()) })
    page.on('pageerror', err => { pageErrors.push(err.message) })
    page.on('load', () => { loads++ })
  })

  afterAll(async () => {
    await context?.close()
    await swarm?.stop()
    await llm?.close()
    if (profile !== undefined) rmSync(profile, { recursive: true, force: true })
  })

  it('asks for the token when the URL carries none, and refuses a wrong one', async () => {
    const boss = swarm.nodes[0]!
    await page.goto(`${boss.apiUrl}/dashboard`)
    await page.locator('#token-form').waitFor({ state: 'visible' })
    await page.fill('#token-input', 'not-the-token')
    await page.click('#token-form button')
    await page.locator('#token-error', { hasText: 'refused' }).waitFor()
    assert.equal(await page.isVisible('#app'), false)
  })

  it('shows every agent with its skills, load and status', async () => {
    const [boss, analyst, painter] = swarm.nodes as [typeof swarm.nodes[0], typeof swarm.nodes[0], typeof swarm.nodes[0]]
    await page.goto(`${boss.apiUrl}/dashboard#token=${boss.apiToken}`)
    // The token leaves the address bar at once.
    await page.waitForURL(url => url.hash === '', { timeout: 5_000 })
    for (const node of swarm.nodes) {
      await page.locator(`tr[data-agent-id="${node.peerId.toString()}"]`).waitFor({ timeout: 15_000 })
    }
    const analystRow = page.locator(`tr[data-agent-id="${analyst.peerId.toString()}"]`)
    assert.match(await analystRow.innerText(), /analyst[\s\S]*analytics · expert[\s\S]*0\/4[\s\S]*idle/)
    assert.match(await page.locator(`tr[data-agent-id="${painter.peerId.toString()}"]`).innerText(), /viz · advanced/)
    assert.match(await page.locator('#node-name').innerText(), /boss/)
    await page.locator('#live[data-state="live"]').waitFor()
  })

  it('shows an announced task reaching COMPLETE live, without reloading', async () => {
    const boss = swarm.nodes[0]!
    const before = loads
    await page.evaluate('window.stillHere = true')
    // Every status the task's row shows, in order.
    await page.evaluate(`window.seen = []; new MutationObserver(() => {
      for (const row of document.querySelectorAll('tr.task')) {
        const last = window.seen.filter(s => s.id === row.dataset.taskId).pop()
        if (last === undefined || last.status !== row.dataset.status) window.seen.push({ id: row.dataset.taskId, status: row.dataset.status })
      }
    }).observe(document.getElementById('tasks'), { subtree: true, childList: true, attributes: true })`)
    const task = await boss.announce({
      description: 'Analyze customer data and plot it',
      skills: [{ name: 'analytics', minLevel: 'advanced' }, { name: 'viz' }],
      input: { rows: [1, 2, 3] },
      bidWindowMs: 300
    })
    const row = page.locator(`tr.task[data-task-id="${task.id}"]`)
    await row.waitFor({ timeout: 10_000 })
    assert.match(await row.innerText(), /Analyze customer data/)
    await page.locator(`tr.task[data-task-id="${task.id}"][data-status="COMPLETE"]`).waitFor({ timeout: 30_000 })
    const outcome = await task.result()
    assert.equal(outcome.status, 'COMPLETE')
    assert.equal(loads, before, 'the page was not loaded again')
    assert.equal(await page.evaluate('window.stillHere'), true, 'the page was not reloaded')
    const seen = (await page.evaluate<Array<{ id: string, status: string }>>('window.seen')).filter(s => s.id === task.id).map(s => s.status)
    assert.ok(seen.length >= 2 && seen.at(-1) === 'COMPLETE' && ['ANNOUNCED', 'ASSIGNED', 'RUNNING'].includes(seen[0] ?? ''), `the row went through the task's states: ${seen.join(' → ')}`)
    if (process.env.SWARM_DASHBOARD_SCREENSHOT !== undefined) await page.screenshot({ path: process.env.SWARM_DASHBOARD_SCREENSHOT, fullPage: true })
    assert.match(await row.innerText(), /analyst/)
    assert.match(await row.innerText(), /painter/)
    // The event log shows what came in over the event stream.
    assert.match(await page.locator('#events').innerText(), /task:completed/)
  })

  it('opens the task: its group, timeline, result, proposals and blackboard', async () => {
    const boss = swarm.nodes[0]!
    const [stored] = boss.tasks({ limit: 1 })
    assert.ok(stored !== undefined)
    const { audit } = boss.task(stored.taskId)!
    assert.ok(audit.length > 0)
    await page.click(`tr.task[data-task-id="${stored.taskId}"]`)
    await page.locator('#timeline li').nth(audit.length - 1).waitFor({ timeout: 10_000 })
    const timeline = await page.locator('#timeline').innerText()
    for (const entry of audit) assert.ok(timeline.includes(entry.action), `timeline shows ${entry.action}`)
    const summary = { members: stored.state.members }
    for (const member of summary.members) {
      await page.locator(`#group li[data-member-id="${member.peerId}"]`).waitFor()
    }
    assert.match(await page.locator('#output').innerText(), /analytics|viz/)
    // No part of this task was served by a model: no tokens.
    assert.equal((await page.locator('#tokens').innerText()).trim(), '-')
    // Rendered when the node answers them, "none" otherwise: never an error.
    assert.ok((await page.locator('#proposals').innerText()).length > 0)
    assert.ok((await page.locator('#blackboard').innerText()).length > 0)
    if (process.env.SWARM_DASHBOARD_SCREENSHOT !== undefined) await page.screenshot({ path: process.env.SWARM_DASHBOARD_SCREENSHOT.replace(/(\.png)?$/, '-task.png'), fullPage: true })
  })

  it('shows the tokens a model spent on a task, per part with its model', async () => {
    const boss = swarm.nodes[0]!
    const task = await boss.announce({ description: 'Write why customers leave', skills: [{ name: 'writer' }], bidWindowMs: 300 })
    const outcome = await task.result()
    assert.equal(outcome.status, 'COMPLETE')
    const usage = (outcome.output as { writer: { usage: { totalTokens: number } } }).writer.usage
    assert.ok(usage.totalTokens > 0)
    await page.locator(`tr.task[data-task-id="${task.id}"][data-status="COMPLETE"]`).waitFor({ timeout: 30_000 })
    await page.click(`tr.task[data-task-id="${task.id}"]`)
    await page.locator('#tokens', { hasText: 'writer-model' }).waitFor({ timeout: 10_000 })
    assert.equal((await page.locator('#tokens').innerText()).trim(), `${usage.totalTokens} in all: writer ${usage.totalTokens} (writer-model)`)
  })

  it('draws a workflow as a graph whose steps change state live', async () => {
    const boss = swarm.nodes[0]!
    const run = boss.run({
      name: 'report',
      steps: [
        // A long bid window keeps the first step running while the page opens the workflow.
        { id: 'analyze', skills: ['analytics:advanced'], input: { rows: [1, 2] }, bidWindowMs: 2000 },
        { id: 'plot', skills: ['viz'], needs: ['analyze'] }
      ]
    })
    const row = page.locator(`#workflows tr.task[data-workflow-id="${run.id}"]`)
    await row.waitFor({ timeout: 10_000 })
    await row.click()
    const node = (step: string, status: string): ReturnType<Page['locator']> => page.locator(`#workflow-graph g.wf-node[data-step-id="${step}"][data-status="${status}"]`)
    // The first step is seen out in the swarm, the second waiting for it.
    await node('analyze', 'running').waitFor({ timeout: 15_000 })
    assert.equal(await page.locator('#workflow-graph g.wf-node[data-step-id="plot"]').getAttribute('data-status'), 'waiting')
    assert.equal(await page.locator('#workflow-graph path.wf-edge').count(), 1)
    const view = await run.result()
    assert.equal(view.status, 'completed')
    await node('plot', 'completed').waitFor({ timeout: 10_000 })
    await node('analyze', 'completed').waitFor()
    await page.locator(`#workflows tr.task[data-workflow-id="${run.id}"][data-status="completed"]`).waitFor({ timeout: 10_000 })
  })

  it('shows the votes and the blackboard of a verified task', async () => {
    const boss = swarm.nodes[0]!
    const task = await boss.announce({
      description: 'Why do customers leave?',
      skills: [{ name: 'research' }, { name: 'viz' }],
      input: { question: 'price' },
      verify: 'majority',
      bidWindowMs: 300
    })
    await page.locator(`tr.task[data-task-id="${task.id}"][data-status="VERIFIED"]`).waitFor({ timeout: 30_000 })
    await page.click(`tr.task[data-task-id="${task.id}"]`)
    // The decision may reach the page just after the task's state: the open task follows its events.
    const proposal = page.locator('#proposals .card', { hasText: 'approved' })
    await proposal.waitFor({ timeout: 10_000 }).catch(async (err: unknown) => {
      const shown = await page.locator('#proposals').innerText()
      throw new Error(`no approved proposal on the page after 10 s; it shows: ${shown}; the node has: ${JSON.stringify(boss.groups.proposals(task.id))}`, { cause: err })
    })
    const text = await proposal.innerText()
    assert.match(text, /verify the result/)
    assert.match(text, /approved/)
    assert.match(text, /for 2 · against 0 · abstain 0 of 2 voters/)
    assert.match(text, /yes analyst/)
    assert.match(text, /yes painter/)
    const board = await page.locator('#blackboard').innerText()
    assert.match(board, /churn is driven by price/)
    assert.match(board, /observation\s*churn doubled after the price change/)
    assert.match(board, /supports churn is driven by price/)
    assert.match(board, /compared churn before and after the price change/)
    assert.match(board, /analyst/)
    if (process.env.SWARM_DASHBOARD_SCREENSHOT !== undefined) await page.screenshot({ path: process.env.SWARM_DASHBOARD_SCREENSHOT.replace(/(\.png)?$/, '-votes.png'), fullPage: true })
  })

  it('works offline: everything it loaded came from the node itself, without script errors', () => {
    const origin = new URL(swarm.nodes[0]!.apiUrl!).origin
    const elsewhere = requests.filter(url => !url.startsWith(origin) && !url.startsWith('data:'))
    assert.deepEqual(elsewhere, [])
    assert.deepEqual(pageErrors, [])
  })
})
