/**
 * The central-broker baseline: the same agents (skills, levels, capacity) and the same workload
 * as a simulator plan, running the same contract net through a real Redis server.
 *
 * - Every agent is an in-process object with two Redis connections: one SUBSCRIBEd to the
 *   channels of its skills and to its own channel, one to PUBLISH.
 * - The announcer PUBLISHes the announcement on the channel of each required skill; capable
 *   agents with free capacity reserve it (a lease) and PUBLISH an offer to the announcer's channel.
 * - The announcer closes bidding early once every required slot has a good offer and a backup
 *   (or, without backups, after a quarter of the bid window), at the latest when the bid window
 *   ends; it selects a group greedily, invites the members on their channels and counts the group
 *   formed when every invitee accepted (a decline is replaced by the next best offer).
 * - It then PUBLISHes "closed" on the skill channels: members start working (sleep workMs),
 *   other bidders release their lease. Members PUBLISH their result to the announcer, which
 *   completes the task when every member answered. Failed attempts are retried like the swarm's.
 */
import { summarize } from '@swarm/sim'
import { createClient } from 'redis'
import { BrokerAgent, Counters } from './broker-agent.js'
import { loopbackBytes } from './loopback.js'
import { procCpuSeconds, procRssBytes } from './redis-server.js'
import type { Channels, Client, Outcome } from './broker-agent.js'
import type { Scenario, SimulationPlan } from '@swarm/sim'
import type { RedisTarget } from './redis-server.js'
import type { BrokerResult, LatencySummary } from './types.js'

export interface BrokerProgress { announced: number, completed: number, failed: number, total: number }

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

function latency (values: number[]): LatencySummary {
  const s = summarize(values)
  return { n: s.n, p50: s.p50, p95: s.p95, p99: s.p99, max: s.max, mean: s.mean }
}

/** Bytes Redis read from and wrote to its clients so far (INFO stats). */
async function redisNetBytes (client: Client): Promise<number | undefined> {
  const info = await client.info('stats')
  const read = (field: string): number | undefined => {
    const value = new RegExp(`^${field}:(\\d+)`, 'm').exec(info)?.[1]
    return value === undefined ? undefined : Number(value)
  }
  const input = read('total_net_input_bytes')
  const output = read('total_net_output_bytes')
  return input === undefined || output === undefined ? undefined : input + output
}

interface Tally {
  formation: number[]
  completion: number[]
  failures: Record<string, number>
  groupSizes: Record<string, number>
  completed: number
  failed: number
  rejected: number
  retried: number
  lastFinish: number
}

function record (tally: Tally, outcome: Outcome): void {
  tally.lastFinish = Date.now()
  if (outcome.attempts > 1) tally.retried++
  if (outcome.ok) {
    tally.completed++
    if (outcome.formationMs !== undefined) tally.formation.push(outcome.formationMs)
    if (outcome.totalMs !== undefined) tally.completion.push(outcome.totalMs)
    tally.groupSizes[String(outcome.members)] = (tally.groupSizes[String(outcome.members)] ?? 0) + 1
    return
  }
  if (outcome.status === 'REJECTED') tally.rejected++
  else tally.failed++
  const key = `${outcome.status}: ${outcome.reason ?? ''}`
  tally.failures[key] = (tally.failures[key] ?? 0) + 1
}

/**
 * Runs the plan's workload through the broker at `target`: every agent connects first, then the
 * tasks arrive as planned. Run it in a process of its own (see broker-child.ts) so that memory
 * and CPU are the broker's alone.
 */
export async function runBroker (target: RedisTarget, scenario: Scenario, plan: SimulationPlan, onProgress?: (p: BrokerProgress) => void): Promise<BrokerResult> {
  const runId = Math.random().toString(36).slice(2, 8)
  const ch: Channels = { skill: name => `swarm-bench:${runId}:skill:${name}`, agent: index => `swarm-bench:${runId}:agent:${index}` }
  const counters = new Counters()
  const setupStart = Date.now()
  const rss0 = process.memoryUsage().rss
  const control: Client = createClient({ url: target.url })
  control.on('error', () => { counters.errors++ })
  const agents = plan.peers.map(p => new BrokerAgent(p, scenario, target.url, ch, counters))
  try {
    await control.connect()
    for (let i = 0; i < agents.length; i += 20) await Promise.all(agents.slice(i, i + 20).map(async a => { await a.connect() }))
    const setupMs = Date.now() - setupStart
    // Idle traffic on the loopback (other processes of this machine) over a quiet second.
    const quiet0 = loopbackBytes()
    await sleep(1000)
    const quiet1 = loopbackBytes()
    const background = quiet0 !== undefined && quiet1 !== undefined ? quiet1 - quiet0 : undefined

    const cpu0 = process.cpuUsage()
    const redisCpu0 = procCpuSeconds(target.pid)
    const bytes0 = loopbackBytes()
    const net0 = await redisNetBytes(control)
    const loadStart = Date.now()
    const tally: Tally = { formation: [], completion: [], failures: {}, groupSizes: {}, completed: 0, failed: 0, rejected: 0, retried: 0, lastFinish: loadStart }
    const pending: Array<Promise<void>> = []
    const deadline = loadStart + scenario.durationLimitS * 1000
    const timer = setInterval(() => { onProgress?.({ announced: pending.length, completed: tally.completed, failed: tally.failed + tally.rejected, total: plan.tasks.length }) }, 1000)
    for (const task of plan.tasks) {
      const wait = loadStart + task.at - Date.now()
      if (wait > 0) await sleep(wait)
      if (Date.now() > deadline) break
      const announcer = agents[task.announcer] as BrokerAgent
      pending.push(announcer.announce(task).then(outcome => { record(tally, outcome) }))
    }
    const loadEnd = Date.now()
    await Promise.race([Promise.all(pending), sleep(Math.max(0, deadline - Date.now()))])
    clearInterval(timer)
    const elapsedS = Math.max(0.001, (Date.now() - loadStart) / 1000)
    const bytes1 = loopbackBytes()
    const net1 = await redisNetBytes(control)
    const cpu = process.cpuUsage(cpu0)
    const redisCpu1 = procCpuSeconds(target.pid)
    const rss1 = process.memoryUsage().rss
    const redisRss = procRssBytes(target.pid)

    const announced = pending.length
    const lost = announced - tally.completed - tally.failed - tally.rejected
    const benchS = (cpu.user + cpu.system) / 1e6
    const redisS = redisCpu0 !== undefined && redisCpu1 !== undefined ? redisCpu1 - redisCpu0 : undefined
    const perTask = (n: number): number => announced === 0 ? 0 : n / announced
    return {
      redisVersion: target.version,
      peers: agents.length,
      connections: agents.length * 2 + 1,
      rate: scenario.tasks.rate,
      tasks: { announced, completed: tally.completed, failed: tally.failed, rejected: tally.rejected, lost, retried: tally.retried, successRate: perTask(tally.completed) },
      formationMs: latency(tally.formation),
      completionMs: latency(tally.completion),
      tasksPerMinute: (tally.completed / Math.max(1, tally.lastFinish - loadStart)) * 60_000,
      groupSizes: tally.groupSizes,
      publishesPerTask: perTask(counters.publishes),
      ...(net0 !== undefined && net1 !== undefined ? { redisBytesPerTask: perTask(net1 - net0) } : {}),
      ...(bytes0 !== undefined && bytes1 !== undefined && background !== undefined
        ? { loopbackBytesPerTask: perTask(Math.max(0, bytes1 - bytes0 - background * elapsedS)) }
        : {}),
      memory: { processPerAgentMiB: Math.max(0, rss1 - rss0) / 2 ** 20 / agents.length, ...(redisRss !== undefined ? { redisRssMiB: redisRss / 2 ** 20 } : {}) },
      cpu: { benchS, ...(redisS !== undefined ? { redisS } : {}), coresUsed: (benchS + (redisS ?? 0)) / elapsedS },
      durations: { setupMs, loadMs: loadEnd - loadStart, drainMs: Math.max(0, tally.lastFinish - loadEnd) },
      failures: { ...tally.failures, ...(lost > 0 ? { 'LOST: no final state when the run ended': lost } : {}), ...(counters.errors > 0 ? { 'redis client errors': counters.errors } : {}) }
    }
  } finally {
    await Promise.allSettled([...agents.map(async a => { await a.close() }), control.close()])
  }
}
