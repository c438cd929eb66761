/**
 * Runs each measured workload in a Node process of its own, so that its memory and CPU figures
 * are its own (a process that ran a simulation before keeps its heap and its RSS). This file is
 * both the parent-side helper and, when forked, the child.
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { planSimulation } from '@swarm/sim'
import { runBroker } from './broker.js'
import { crashed, runSwarm } from './swarm.js'
import { runWorkflowBench, workflowCrashed } from './workflow.js'
import type { BrokerProgress } from './broker.js'
import type { RedisTarget } from './redis-server.js'
import type { BrokerResult, SwarmResult, SwarmWorkload, WorkflowResult } from './types.js'
import type { WorkflowBenchOptions } from './workflow.js'
import type { Scenario, SimProgress } from '@swarm/sim'

type Job =
  | { kind: 'swarm', workload: SwarmWorkload }
  | { kind: 'broker', target: RedisTarget, scenario: Scenario }
  | { kind: 'workflow', options: WorkflowBenchOptions }

type FromChild =
  | { type: 'swarm-progress', progress: SimProgress }
  | { type: 'broker-progress', progress: BrokerProgress }
  | { type: 'workflow-progress', text: string }
  | { type: 'swarm-result', result: SwarmResult }
  | { type: 'broker-result', result: BrokerResult }
  | { type: 'workflow-result', result: WorkflowResult }
  | { type: 'error', error: string }

const CHILD_FLAG = '--bench-child'

/** Forks this file, hands it the job and resolves with its first result message. */
async function runInChild (job: Job, onMessage: (m: FromChild) => void): Promise<FromChild> {
  const child = fork(fileURLToPath(import.meta.url), [CHILD_FLAG], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  try {
    return await new Promise<FromChild>((resolve, reject) => {
      child.on('message', (m: FromChild) => {
        if (m.type === 'swarm-progress' || m.type === 'broker-progress' || m.type === 'workflow-progress') onMessage(m)
        else resolve(m)
      })
      child.once('error', reject)
      child.once('exit', (code, signal) => { reject(new Error(`the ${job.kind} process exited (${signal ?? `code ${String(code)}`}) before reporting`)) })
      child.send(job)
    })
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }
}

/** A simulator run in a child process; a crash of the child is reported as a crashed result. */
export async function runSwarmIsolated (workload: SwarmWorkload, onProgress: (p: SimProgress) => void): Promise<SwarmResult> {
  try {
    const m = await runInChild({ kind: 'swarm', workload }, p => { if (p.type === 'swarm-progress') onProgress(p.progress) })
    if (m.type === 'swarm-result') return m.result
    return crashed(workload, m.type === 'error' ? m.error : `unexpected ${m.type}`)
  } catch (err) {
    return crashed(workload, err instanceof Error ? err.message : String(err))
  }
}

/** A broker run (the scenario's plan through Redis at `target`) in a child process; throws when it fails. */
export async function runBrokerIsolated (target: RedisTarget, scenario: Scenario, onProgress: (p: BrokerProgress) => void): Promise<BrokerResult> {
  const m = await runInChild({ kind: 'broker', target, scenario }, p => { if (p.type === 'broker-progress') onProgress(p.progress) })
  if (m.type === 'broker-result') return m.result
  throw new Error(m.type === 'error' ? m.error : `unexpected ${m.type}`)
}

/** The workflow part in a child process; a crash of the child is reported as a result with its error. */
export async function runWorkflowIsolated (options: WorkflowBenchOptions, onProgress: (text: string) => void): Promise<WorkflowResult> {
  const started = Date.now()
  try {
    const m = await runInChild({ kind: 'workflow', options }, p => { if (p.type === 'workflow-progress') onProgress(p.text) })
    if (m.type === 'workflow-result') return m.result
    return workflowCrashed(m.type === 'error' ? m.error : `unexpected ${m.type}`, Date.now() - started)
  } catch (err) {
    return workflowCrashed(err instanceof Error ? err.message : String(err), Date.now() - started)
  }
}

/** Sends a message to the parent, then calls `then` once it is handed over. */
function send (message: FromChild, then?: () => void): void {
  process.send?.(message, undefined, undefined, () => { then?.() })
}

async function runJob (job: Job): Promise<FromChild> {
  if (job.kind === 'swarm') return { type: 'swarm-result', result: await runSwarm(job.workload, progress => { send({ type: 'swarm-progress', progress }) }) }
  if (job.kind === 'workflow') return { type: 'workflow-result', result: await runWorkflowBench(job.options, text => { send({ type: 'workflow-progress', text }) }) }
  const plan = planSimulation(job.scenario, 1)
  return { type: 'broker-result', result: await runBroker(job.target, job.scenario, plan, progress => { send({ type: 'broker-progress', progress }) }) }
}

if (process.argv.includes(CHILD_FLAG) && process.send !== undefined) {
  // The bench went away (Ctrl-C, crash): stop too.
  process.once('disconnect', () => { process.exit(0) })
  process.once('message', (job: Job) => {
    runJob(job).then(result => { send(result, () => { process.exit(0) }) }, (err: unknown) => {
      send({ type: 'error', error: err instanceof Error ? err.stack ?? err.message : String(err) }, () => { process.exit(1) })
    })
  })
}
