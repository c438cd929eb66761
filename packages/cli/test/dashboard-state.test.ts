import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { parseStreamEvent } from '../src/dashboard/stream-events.js'
import { initialState, reduce } from '../src/dashboard/state.js'
import { agentActivity, metricsOf, queueOrder, stateForJson, unknownTasks } from '../src/dashboard/views.js'
import type { AgentSnapshot, TaskSummary } from '../src/dashboard/schemas.js'
import type { DashboardAction, DashboardState } from '../src/dashboard/state.js'

const SELF = '12D3KooWSelfSelfSelfSelfSelfSelfSelf000001'
const ANA = '12D3KooWAnalystAnalystAnalystAnalyst000002'
const VIZ = '12D3KooWPainterPainterPainterPainter000003'
const T0 = 1_700_000_000_000

function agent (peerId: string, name: string, skills: string[], extra: Partial<AgentSnapshot> = {}): AgentSnapshot {
  return { peerId, name, self: peerId === SELF, skills: skills.map(s => ({ name: s.split(':')[0] ?? '', level: s.split(':')[1] ?? 'novice' })), capacity: 2, load: 0, lastSeen: T0, ...extra }
}

function summary (taskId: string, status: string, extra: Partial<TaskSummary> = {}): TaskSummary {
  return { taskId, status, description: `task ${taskId}`, skills: [{ name: 'analytics', minLevel: 'advanced', count: 1 }], priority: 'normal', createdAt: T0, updatedAt: T0, attempts: 1, maxAttempts: 3, members: [], ...extra }
}

/** A node's view with three agents, as the snapshots give it. */
function seeded (): DashboardState {
  const actions: DashboardAction[] = [
    { type: 'status', at: T0, status: { peerId: SELF, name: 'desk', network: 'swarm', software: { version: '0.1.0' }, uptimeMs: 1000, connections: 2, peers: 2, agents: 3, capacity: 2, load: 0 } },
    { type: 'agents', at: T0, agents: [agent(SELF, 'desk', ['analytics:novice']), agent(ANA, 'analyst', ['analytics:expert']), agent(VIZ, 'painter', ['viz:advanced'])] }
  ]
  return actions.reduce(reduce, initialState(T0))
}

/** Feeds SSE events (name, data) through the parser and the reducer, as the live dashboard does. */
function stream (state: DashboardState, events: Array<[string, unknown]>): DashboardState {
  return events.reduce((s, [name, data], i) => {
    const action = parseStreamEvent(name, data, T0 + 100 + i)
    assert.ok(action !== undefined, `${name} is understood`)
    return reduce(s, action)
  }, state)
}

const TASK = 'TaskAAAAbbbbCCCCdddd01'
const lifecycle = (type: string, at: number, fields: Record<string, unknown> = {}): [string, unknown] => [`task:${type}`, { type, taskId: TASK, at, ...fields }]

describe('dashboard state: snapshots', () => {
  it('status and agents snapshots name the node and list the agents', () => {
    const s = seeded()
    assert.equal(s.node?.name, 'desk')
    assert.deepEqual(Object.values(s.agents).map(a => a.name).sort(), ['analyst', 'desk', 'painter'])
    assert.deepEqual(s.agents[ANA]?.skills, ['analytics:expert'])
    assert.equal(agentActivity(s, s.agents[ANA] ?? assert.fail()).status, 'idle')
  })

  it('a tasks snapshot gives the queue, and the running members their current task', () => {
    const s = reduce(seeded(), {
      type: 'tasks',
      at: T0 + 10,
      tasks: [
        summary('done1', 'COMPLETE', { updatedAt: T0 + 500, finishedAt: T0 + 500 }),
        summary('low1', 'ANNOUNCED', { priority: 'low', createdAt: T0 - 10 }),
        summary('crit1', 'RUNNING', { priority: 'critical', members: [{ peerId: ANA, skills: ['analytics'] }], groupId: 'g1' })
      ]
    })
    assert.deepEqual(queueOrder(s).map(t => t.taskId), ['crit1', 'low1', 'done1'], 'active by priority, then finished')
    const analyst = agentActivity(s, s.agents[ANA] ?? assert.fail())
    assert.equal(analyst.status, 'working')
    assert.equal(analyst.work?.taskId, 'crit1')
    assert.equal(s.tasks.done1?.offers, undefined, 'offers are unknown for a task only read from a snapshot')
  })

  it('shows the tokens the model-served parts of a finished task used', () => {
    let s = reduce(seeded(), { type: 'tasks', at: T0, tasks: [summary(TASK, 'ANNOUNCED')] })
    const usage = (total: number): unknown => ({ text: 't', model: 'm', usage: { promptTokens: total - 1, completionTokens: 1, totalTokens: total }, latencyMs: 5 })
    s = stream(s, [lifecycle('completed', T0 + 900, { outcome: { status: 'COMPLETE', ok: true, attempts: 1, bySkill: { coder: [{ peerId: ANA, ok: true, output: usage(120) }], reviewer: [{ peerId: VIZ, ok: true, output: usage(30) }], sum: [{ peerId: SELF, ok: true, output: { n: 3 } }] } } })])
    assert.equal(s.tasks[TASK]?.tokens, 150)
    let plain = reduce(seeded(), { type: 'tasks', at: T0, tasks: [summary(TASK, 'ANNOUNCED')] })
    plain = stream(plain, [lifecycle('completed', T0 + 900, { outcome: { status: 'COMPLETE', ok: true, attempts: 1, bySkill: { sum: [{ peerId: SELF, ok: true, output: { n: 3 } }] } } })])
    assert.equal(plain.tasks[TASK]?.tokens, undefined, 'no model, no tokens')
  })

  it('an older snapshot does not roll back what the stream already showed', () => {
    let s = reduce(seeded(), { type: 'tasks', at: T0, tasks: [summary(TASK, 'ANNOUNCED')] })
    s = stream(s, [lifecycle('completed', T0 + 900, { outcome: { status: 'COMPLETE', ok: true, attempts: 1 } })])
    s = reduce(s, { type: 'tasks', at: T0 + 1000, tasks: [summary(TASK, 'RUNNING', { updatedAt: T0 + 400 })] })
    assert.equal(s.tasks[TASK]?.status, 'COMPLETE')
  })
})

describe('dashboard state: the life of a task from the event stream', () => {
  const events: Array<[string, unknown]> = [
    lifecycle('announced', T0 + 1, { attempt: 1, topics: ['/swarm/swarm/skill/analytics/1'] }),
    lifecycle('offer', T0 + 2, { peerId: ANA, skills: ['analytics'], score: 0.91 }),
    lifecycle('offer', T0 + 3, { peerId: VIZ, skills: ['viz'], score: 0.8 }),
    lifecycle('bidding-closed', T0 + 4, { offers: 2, early: true }),
    lifecycle('formed', T0 + 5, { groupId: 'g1', members: [{ peerId: ANA, skills: ['analytics'] }, { peerId: VIZ, skills: ['viz'] }], formationMs: 4 }),
    lifecycle('started', T0 + 6, { groupId: 'g1' }),
    lifecycle('progress', T0 + 7, { peerId: VIZ, skill: 'viz', progress: 0.5, message: 'halfway' })
  ]

  it('shows offers, the group, and each member working on its part with its progress', () => {
    const s = stream(seeded(), events)
    const task = s.tasks[TASK]
    assert.equal(task?.status, 'RUNNING')
    assert.equal(task.offers, 2)
    assert.equal(task.groupId, 'g1')
    assert.deepEqual(task.members.map(m => m.peerId), [ANA, VIZ])
    assert.equal(task.known, false)
    assert.deepEqual(unknownTasks(s), [TASK], 'the dashboard reads the summary of a task it only heard about')
    const painter = agentActivity(s, s.agents[VIZ] ?? assert.fail())
    assert.equal(painter.status, 'working')
    assert.equal(painter.work?.progress, 0.5)
    assert.equal(painter.work?.message, 'halfway')
    assert.equal(agentActivity(s, s.agents[ANA] ?? assert.fail()).work?.skill, 'analytics')
    assert.equal(metricsOf(s).active, 1)
    assert.ok(s.recent.some(r => r.text.includes('offer from analyst for analytics (score 0.91)')))
    assert.ok(s.recent.some(r => r.text.includes('group formed in 4ms: analyst (analytics), painter (viz)')))
  })

  it('completion frees the members and counts in done, success rate and throughput', () => {
    const s = stream(seeded(), [
      ...events,
      lifecycle('member-result', T0 + 8, { peerId: ANA, skill: 'analytics', ok: true, durationMs: 3 }),
      lifecycle('member-result', T0 + 9, { peerId: VIZ, skill: 'viz', ok: true, durationMs: 4 }),
      lifecycle('state', T0 + 10, { from: 'RUNNING', to: 'COMPLETE' }),
      lifecycle('completed', T0 + 10, { outcome: { status: 'COMPLETE', ok: true, attempts: 1 } })
    ])
    assert.equal(s.tasks[TASK]?.status, 'COMPLETE')
    assert.equal(s.tasks[TASK]?.finishedAt, T0 + 10)
    assert.equal(agentActivity(s, s.agents[VIZ] ?? assert.fail()).status, 'idle')
    assert.deepEqual(Object.keys(s.work), [])
    const m = metricsOf(s)
    assert.equal(m.done, 1)
    assert.equal(m.active, 0)
    assert.equal(m.successRate, 1)
    assert.equal(m.throughputPerMin, 1 / 5, 'one task in the 5-minute window')
    assert.equal(m.errors, 0)
  })

  it('a failed part counts as an error once, a retry clears the group, a rejection lowers the success rate', () => {
    let s = stream(seeded(), [
      ...events,
      lifecycle('member-result', T0 + 8, { peerId: VIZ, skill: 'viz', ok: false, durationMs: 4, error: { code: 'HANDLER', message: 'boom' } })
    ])
    // The same failure seen again (this node is also the member: work:finished) is not counted twice.
    s = reduce(s, { type: 'task', at: T0 + 9, event: { type: 'member-result', taskId: TASK, at: T0 + 9, peerId: VIZ, skill: 'viz', ok: false, durationMs: 4 } })
    assert.equal(metricsOf(s).errors, 1)
    assert.equal(metricsOf(s).lastError?.includes('boom'), true)
    s = stream(s, [lifecycle('retry', T0 + 20, { attempt: 2, delayMs: 100, reason: 'viz failed' })])
    assert.equal(s.tasks[TASK]?.status, 'RETRY')
    assert.equal(s.tasks[TASK]?.attempts, 2)
    assert.deepEqual(s.tasks[TASK]?.members, [])
    assert.equal(agentActivity(s, s.agents[ANA] ?? assert.fail()).status, 'idle')
    s = stream(s, [
      lifecycle('announced', T0 + 30, { attempt: 2, topics: [] }),
      lifecycle('rejected', T0 + 40, { outcome: { status: 'REJECTED', ok: false, reason: 'no offers', attempts: 2 } })
    ])
    s = reduce(s, { type: 'tasks', at: T0 + 50, tasks: [summary('other', 'COMPLETE', { updatedAt: T0 + 45 })] })
    const m = metricsOf(s)
    assert.equal(m.rejected, 1)
    assert.equal(m.done, 1)
    assert.equal(m.successRate, 0.5)
    assert.equal(s.tasks[TASK]?.reason, 'no offers')
  })

  it('a replaced member hands its part to the backup', () => {
    const s = stream(seeded(), [...events, lifecycle('member-replaced', T0 + 8, { skill: 'viz', from: VIZ, to: SELF, reason: 'unreachable' })])
    assert.deepEqual(s.tasks[TASK]?.members, [{ peerId: ANA, skills: ['analytics'] }, { peerId: SELF, skills: ['viz'] }])
    assert.equal(agentActivity(s, s.agents[VIZ] ?? assert.fail()).status, 'idle')
    assert.equal(agentActivity(s, s.agents[SELF] ?? assert.fail()).work?.skill, 'viz')
    assert.equal(metricsOf(s).errors, 1)
  })
})

describe('dashboard state: this node\'s own work and the directory', () => {
  it('work events show what this node does for another announcer', () => {
    let s = stream(seeded(), [
      ['work:accepted', { taskId: 'far', groupId: 'g9', skills: ['analytics'] }],
      ['work:started', { taskId: 'far', groupId: 'g9', skills: ['analytics'] }],
      ['work:progress', { taskId: 'far', skill: 'analytics', progress: 0.25 }]
    ])
    const self = agentActivity(s, s.agents[SELF] ?? assert.fail())
    assert.equal(self.status, 'working')
    assert.equal(self.work?.taskId, 'far')
    assert.equal(self.work?.progress, 0.25)
    s = stream(s, [['work:finished', { taskId: 'far', groupId: 'g9', skill: 'analytics', ok: false, durationMs: 9, error: { code: 'HANDLER', message: 'exit 1' } }]])
    assert.equal(agentActivity(s, s.agents[SELF] ?? assert.fail()).status, 'idle')
    assert.equal(metricsOf(s).errors, 1)
    assert.equal(s.tasks.far, undefined, 'tasks of other announcers are not in this node\'s queue')
  })

  it('agents join, update and leave', () => {
    let s = stream(seeded(), [['agent:joined', { peerId: 'p4', card: { name: 'newbie', skills: [{ name: 'viz', level: 'novice' }], capacity: 1 }, load: 1, lastSeen: T0, self: false, verified: true }]])
    assert.equal(s.agents.p4?.name, 'newbie')
    assert.equal(agentActivity(s, s.agents.p4 ?? assert.fail()).status, 'full')
    s = stream(s, [['agent:left', { peerId: 'p4' }]])
    assert.equal(agentActivity(s, s.agents.p4 ?? assert.fail()).status, 'gone')
    assert.ok(s.recent.some(r => r.text === 'agent newbie left'))
  })

  it('the stream state follows hello, node:stopping and errors', () => {
    let s = stream(seeded(), [['hello', { peerId: SELF }]])
    assert.equal(s.stream.state, 'live')
    s = stream(s, [['node:stopping', {}]])
    assert.equal(s.stream.state, 'down')
    assert.equal(s.stream.message, 'the node is stopping')
  })

  it('malformed or unknown events are ignored', () => {
    assert.equal(parseStreamEvent('task:offer', { type: 'offer', taskId: 'x' }, T0), undefined)
    assert.equal(parseStreamEvent('task:offer', { type: 'formed', taskId: 'x', at: T0, groupId: 'g', members: [], formationMs: 1 }, T0), undefined, 'name and type must agree')
    assert.equal(parseStreamEvent('agent:joined', 'not an object', T0), undefined)
    assert.equal(parseStreamEvent('gossip:whatever', {}, T0), undefined)
    assert.equal(parseStreamEvent('work:progress', { taskId: 'x', skill: 's', progress: 'half' }, T0), undefined)
  })

  it('is a pure reducer: the same actions give the same state, and the input state is not changed', () => {
    const before = seeded()
    const frozen = JSON.stringify(before)
    const a = stream(before, [lifecycle('announced', T0 + 1, { attempt: 1, topics: [] })])
    const b = stream(before, [lifecycle('announced', T0 + 1, { attempt: 1, topics: [] })])
    assert.deepEqual(a, b)
    assert.equal(JSON.stringify(before), frozen)
  })

  it('stateForJson lists agents with their status and current task', () => {
    const s = stream(seeded(), [lifecycle('formed', T0 + 5, { groupId: 'g1', members: [{ peerId: ANA, skills: ['analytics'] }], formationMs: 4 })])
    const json = stateForJson(s) as { agents: Array<{ name: string, status: string, task?: { taskId: string } }>, metrics: { active: number }, groups: unknown[] }
    const analyst = json.agents.find(a => a.name === 'analyst')
    assert.equal(analyst?.status, 'assigned')
    assert.equal(analyst.task?.taskId, TASK)
    assert.equal(json.metrics.active, 1)
    assert.equal(json.groups.length, 1)
    assert.doesNotThrow(() => JSON.stringify(json))
  })
})
