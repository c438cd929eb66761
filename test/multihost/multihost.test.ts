/**
 * The multi-host test: scripts/multihost.sh builds four hosts in network namespaces joined by a
 * bridge (a registry and three agents, each on its own 10.77.0.x address), announces tasks from
 * one host, cuts an agent's host off and then the registry's, and reports what it saw. Needs
 * root; run with `npm run test:multihost` (CI runs it after `npm test`).
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { describe, it } from 'vitest'
import { REPO_ROOT } from '../helpers/cli.js'

interface TaskReport {
  label: string
  status: string | null
  members: Array<{ host: string, skills: string[] }>
  output: Record<string, { stats?: { mean: number }, summary?: string }> | null
}

interface MultihostReport {
  announcer: string
  cut: string[]
  registryViz: string[]
  tasks: TaskReport[]
}

async function runScript (): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const child = spawn('bash', [`${REPO_ROOT}scripts/multihost.sh`], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString()
    process.stderr.write(d)
  })
  // The script cleans up on SIGTERM (its EXIT trap); 150 s is well past its usual 30 s.
  const timer = setTimeout(() => { child.kill('SIGTERM') }, 150_000)
  const code = await new Promise<number | null>(resolve => { child.on('close', c => { resolve(c) }) })
  clearTimeout(timer)
  return { code, stdout, stderr }
}

describe('swarm across hosts in network namespaces', () => {
  it('forms groups across hosts, returns results, and keeps working when a host and then the registry are cut off', async () => {
    const { code, stdout, stderr } = await runScript()
    assert.equal(code, 0, `scripts/multihost.sh failed (exit ${code}):\n${stderr.split('\n').slice(-40).join('\n')}`)
    const line = stdout.split('\n').find(l => l.startsWith('MULTIHOST_RESULT '))
    assert.ok(line, `no MULTIHOST_RESULT line in:\n${stdout}`)
    const report = JSON.parse(line.slice('MULTIHOST_RESULT '.length)) as MultihostReport

    // The registry answered "who has viz at expert level" with the right host.
    assert.deepEqual(report.registryViz, ['h4'])

    const byLabel = new Map(report.tasks.map(t => [t.label, t]))
    assert.deepEqual([...byLabel.keys()], ['before-1', 'before-2', 'cut-1', 'cut-2', 'cut-3', 'no-registry'])
    for (const task of report.tasks) {
      assert.equal(task.status, 'COMPLETE', `${task.label} completed`)
      // Every member is on another host than the announcer, never the registry.
      assert.ok(task.members.length > 0, `${task.label} had a group`)
      for (const m of task.members) {
        assert.ok(['h3', 'h4'].includes(m.host), `${task.label}: member on ${m.host}`)
      }
      const skills = task.members.flatMap(m => m.skills).sort()
      assert.deepEqual(skills, ['analytics', 'viz'], `${task.label} covered both skills`)
      // The results came back from the other hosts' handlers.
      assert.equal(task.output?.analytics?.stats?.mean, 5, `${task.label} analytics result`)
      assert.equal(task.output?.viz?.summary, 'Across hosts.', `${task.label} viz result`)
    }
    // Before the cut, analytics experts are only on h3 and viz experts only on h4.
    for (const label of ['before-1', 'before-2']) {
      const members = byLabel.get(label)?.members ?? []
      assert.deepEqual(members.map(m => `${m.host}:${m.skills.join('+')}`).sort(), ['h3:analytics', 'h4:viz'], `${label} spans two hosts`)
    }
    // Once h3 is cut off, nothing is given to it.
    for (const label of ['cut-1', 'cut-2', 'cut-3', 'no-registry']) {
      assert.ok(byLabel.get(label)?.members.every(m => m.host !== 'h3'), `${label} went to the hosts still reachable`)
    }
  })
})
