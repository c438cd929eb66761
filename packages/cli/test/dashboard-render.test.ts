import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { fit, progressBar, renderDashboard, shareRows, tableLines, wrapParts } from '../src/dashboard/render.js'
import { frameSize } from '../src/commands/dashboard.js'
import { initialState, reduce } from '../src/dashboard/state.js'
import type { DashboardAction, DashboardState } from '../src/dashboard/state.js'

const T0 = 1_700_000_000_000
const SELF = '12D3KooWSelfSelfSelfSelfSelfSelfSelf000001'
const VIZ = '12D3KooWPainterPainterPainterPainter000003'

function busyState (agents = 3, tasks = 4): DashboardState {
  const actions: DashboardAction[] = [
    { type: 'status', at: T0, status: { peerId: SELF, name: 'desk', network: 'lab', software: { version: '0.1.0' }, uptimeMs: 65_000, connections: 2, peers: 2, agents, capacity: 4, load: 1 } },
    {
      type: 'agents',
      at: T0,
      agents: [
        { peerId: SELF, name: 'desk', self: true, skills: [{ name: 'analytics', level: 'novice' }], capacity: 4, load: 1, lastSeen: T0 },
        { peerId: VIZ, name: 'painter', self: false, skills: [{ name: 'viz', level: 'advanced' }], capacity: 2, load: 1, lastSeen: T0 },
        ...Array.from({ length: Math.max(0, agents - 2) }, (_, i) => ({ peerId: `12D3KooWExtra${String(i).padStart(30, '0')}`, name: `extra-${i}`, self: false, skills: [{ name: 'viz', level: 'novice' }], capacity: 1, load: 0, lastSeen: T0 }))
      ]
    },
    {
      type: 'tasks',
      at: T0,
      tasks: Array.from({ length: tasks }, (_, i) => ({
        taskId: `task${i}xxxxxxxxxxxxxxxx`,
        status: i === 0 ? 'RUNNING' : 'COMPLETE',
        description: `Render chart number ${i} with a rather long description that will not fit in a narrow terminal`,
        skills: [{ name: 'viz', minLevel: 'advanced', count: 1 }],
        priority: i === 0 ? 'high' : 'normal',
        createdAt: T0 - 10_000,
        updatedAt: T0 - 5_000,
        attempts: 1,
        maxAttempts: 3,
        groupId: `g${i}`,
        members: [{ peerId: VIZ, skills: ['viz'] }]
      }))
    },
    { type: 'task', at: T0 + 1, event: { type: 'progress', taskId: 'task0xxxxxxxxxxxxxxxx', at: T0 + 1, peerId: VIZ, skill: 'viz', progress: 0.4, message: 'drawing' } },
    { type: 'stream', at: T0 + 2, state: 'live' }
  ]
  return actions.reduce(reduce, initialState(T0))
}

describe('dashboard render helpers', () => {
  it('fit cuts with an ellipsis', () => {
    assert.equal(fit('abcdef', 10), 'abcdef')
    assert.equal(fit('abcdef', 4), 'abc…')
    assert.equal(fit('abcdef', 0), '')
  })

  it('progressBar fills in proportion', () => {
    assert.equal(progressBar(0.5), '█████░░░░░  50%')
    assert.equal(progressBar(2), '██████████ 100%')
    assert.equal(progressBar(0, 4), '░░░░   0%')
  })

  it('tableLines aligns columns and gives the last one what is left', () => {
    const t = tableLines(['A', 'BB', 'REST'], [['x', 'yyy', 'a long tail of text'], ['xx', 'y', 'short']], [5, 5, 0], 16)
    assert.equal(t.header, 'A   BB   REST')
    assert.equal(t.rows[0], 'x   yyy  a long…')
    assert.equal(t.rows[1], 'xx  y    short')
  })

  it('shareRows shares round-robin and never gives more than wanted', () => {
    assert.deepEqual(shareRows([10, 1, 10], 7), [3, 1, 3])
    assert.deepEqual(shareRows([2, 2], 10), [2, 2])
    assert.deepEqual(shareRows([5], 0), [0])
  })

  it('wrapParts joins parts into lines within the width', () => {
    assert.deepEqual(wrapParts(['aaaa', 'bbbb', 'cccc'], 11), ['aaaa · bbbb', 'cccc'])
  })

  it('frameSize uses the terminal, else $COLUMNS/$LINES, else 100×40', () => {
    assert.deepEqual(frameSize({ size: () => ({ columns: 80, rows: 24 }) }, {}), { width: 80, height: 24 })
    assert.deepEqual(frameSize({ size: () => ({ columns: 0 }) }, { COLUMNS: '132', LINES: '50' }), { width: 132, height: 50 })
    assert.deepEqual(frameSize({ size: () => ({}) }, { COLUMNS: 'wide' }), { width: 100, height: 40 })
  })
})

describe('renderDashboard', () => {
  it('shows the node, the metrics, agents with their task and progress, the queue, groups and events', () => {
    const lines = renderDashboard(busyState(), { width: 140, height: 60, footer: 'q quit' })
    const text = lines.join('\n')
    assert.match(lines[0] ?? '', /^swarm dashboard · desk 12D3KooW…000001 · network lab · v0\.1\.0 · \d\d:\d\d:\d\d$/)
    assert.match(text, /peers 2 · agents 3 · load 1\/4 · uptime 1m5s · stream live/)
    assert.match(text, /done 3 · failed 0 · rejected 0 · cancelled 0 · active 1 · success 100% · throughput 0\.6\/min \(5m\) · avg 5\.0s · errors 0/)
    assert.match(text, /^AGENTS \(3\)$/m)
    assert.match(text, /^painter\s+12D3KooW…000003\s+working\s+1\/2\s+task0xxx viz\s+████░░░░░░\s+40%\s+viz:advanced$/m)
    assert.match(text, /^desk \*\s+12D3KooW…000001\s+busy\s+1\/4\s+-\s+analytics:novice$/m)
    assert.match(text, /^TASKS \(1 active, 3 finished\)$/m)
    assert.match(text, /^ID\s+PRIORITY\s+STATE\s+TRY\s+OFFERS\s+TIME\s+TOKENS\s+SKILLS\s+DESCRIPTION$/m)
    assert.match(text, /^task0xxx\s+high\s+RUNNING\s+1\/3\s+-\s+10\.0s\s+-\s+viz:advanced\s+Render chart number 0/m)
    assert.match(text, /^GROUPS \(1 working\)$/m)
    assert.match(text, /^task0xxx\s+RUNNING\s+painter \(viz 40%\)$/m)
    assert.match(text, /^EVENTS$/m)
    assert.match(text, /\d\d:\d\d:\d\d {2}task task0xxx painter viz 40% drawing$/m)
    assert.equal(lines.at(-1), 'q quit')
  })

  it('never draws a line wider than the terminal nor more lines than it has', () => {
    const state = busyState(30, 40)
    for (const [width, height] of [[40, 12], [80, 24], [120, 40], [200, 80], [20, 5], [60, 3]] as const) {
      const lines = renderDashboard(state, { width, height, footer: 'q or Ctrl-C: quit' })
      assert.ok(lines.length <= height, `${width}x${height}: ${lines.length} lines`)
      for (const line of lines) assert.ok(line.length <= width, `${width}x${height}: "${line}" is ${line.length} wide`)
    }
  })

  it('says how many rows did not fit, and keeps the footer', () => {
    const lines = renderDashboard(busyState(30, 40), { width: 100, height: 24, footer: 'q quit' })
    assert.equal(lines.length, 24)
    assert.ok(lines.some(l => /^… \d+ more$/.test(l)), lines.join('\n'))
    assert.equal(lines.at(-1), 'q quit')
  })

  it('a one-off frame (height Infinity, not live) shows every row and no stream or events', () => {
    const lines = renderDashboard(busyState(30, 40), { width: 100, height: Infinity, live: false })
    const text = lines.join('\n')
    assert.ok(!text.includes('more'), 'nothing is cut')
    assert.ok(lines.filter(l => l.startsWith('extra-')).length === 28)
    assert.ok(!text.includes('EVENTS'))
    assert.ok(!text.includes('stream'))
    assert.ok(!text.includes('\x1b'), 'no escapes without color')
  })

  it('color only wraps whole title lines', () => {
    const lines = renderDashboard(busyState(), { width: 100, height: 40, color: true })
    assert.ok(lines.some(l => l === '\x1b[1mAGENTS (3)\x1b[0m'))
    assert.ok(lines.filter(l => l.includes('\x1b')).every(l => l.startsWith('\x1b[') && l.endsWith('\x1b[0m')))
  })

  it('before the first snapshot it says it is connecting', () => {
    const lines = renderDashboard(initialState(T0), { width: 80, height: 20 })
    assert.match(lines[0] ?? '', /connecting/)
    assert.ok(lines.includes('(no agents known yet)'))
  })
})
