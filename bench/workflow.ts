/**
 * The workflow part of the bench: what running steps as a workflow costs over running their
 * tasks. A few real nodes on 127.0.0.1 (one runs the workflows, the others serve the steps with
 * the builtin `echo` handler, which answers at once) run a chain of 10 steps and a fan-out of 10
 * (one step, then 10 that need it, then one that needs the 10), one workflow at a time.
 *
 * For every step: the time from the moment its needs were done (the workflow's start for a step
 * that needs nothing) to the moment the step finished, both in the workflow's state, minus its
 * task's own total time (creation → final state) as the announcer measured it. What is left is
 * the coordination the workflow adds: deciding the step is ready, resolving its input, checking
 * that agents with the skill are reachable before the task is created, storing the workflow's
 * state after every event, and taking the task's outcome back.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createSwarmNode } from '@swarm/node'
import { summarize } from '@swarm/sim'
import type { WorkflowResult, WorkflowShapeResult } from './types.js'
import type { NodeConfigInput, SwarmNode, TaskOutcome, WorkflowView } from '@swarm/node'

export interface WorkflowBenchOptions {
  /** Nodes that serve the steps (the node that runs the workflows comes on top). */
  workers: number
  /** Workflows of each shape. */
  repeats: number
}

const SKILL = 'echo'
const FAN = 10
const CHAIN = 10

function chain (): unknown {
  return { name: 'bench-chain', steps: Array.from({ length: CHAIN }, (_, i) => ({ id: `s${i + 1}`, skills: [SKILL], ...(i > 0 ? { needs: [`s${i}`] } : {}) })) }
}

function fanOut (): unknown {
  const leaves = Array.from({ length: FAN }, (_, i) => ({ id: `f${i + 1}`, skills: [SKILL], needs: ['root'] }))
  return { name: 'bench-fan-out', steps: [{ id: 'root', skills: [SKILL] }, ...leaves, { id: 'join', skills: [SKILL], needs: leaves.map(l => l.id) }] }
}

function nodeConfig (dataDir: string, name: string, extra: Partial<NodeConfigInput>): NodeConfigInput {
  return {
    name,
    dataDir,
    storage: 'memory',
    listen: ['/ip4/127.0.0.1/tcp/0'],
    mdns: false,
    api: { enabled: false },
    logLevel: 'warn',
    gossip: { ipColocationThreshold: 1000 },
    ...extra
  }
}

/** Resolves once `node` knows `count` agents other than itself with the skill. */
async function knowsWorkers (node: SwarmNode, count: number, timeoutMs = 30_000): Promise<void> {
  const enough = (): boolean => node.agents({ skill: SKILL }).filter(a => !a.self).length >= count
  if (enough()) return
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { node.off('agent:joined', check); reject(new Error(`the conductor learnt only ${node.agents({ skill: SKILL }).length} of ${count} workers in ${timeoutMs} ms`)) }, timeoutMs)
    function check (): void {
      if (!enough()) return
      clearTimeout(timer)
      node.off('agent:joined', check)
      resolve()
    }
    node.on('agent:joined', check)
  })
}

/** The task's total time as its announcer measured it (from the stored outcome). */
function taskTotalMs (node: SwarmNode, taskId: string): number | undefined {
  const outcome = node.task(taskId)?.task.result as TaskOutcome | undefined
  const t = outcome?.timings
  if (t === undefined) return undefined
  if (t.totalMs !== undefined) return t.totalMs
  return t.finishedAt !== undefined ? t.finishedAt - t.createdAt : undefined
}

/** The per-step figures of one completed workflow. */
function stepFigures (node: SwarmNode, view: WorkflowView): { overhead: number[], task: number[] } {
  const finished = new Map(view.steps.map(s => [s.id, s.finishedAt]))
  const overhead: number[] = []
  const task: number[] = []
  for (const s of view.steps) {
    const t = s.tasks.at(-1)
    if (s.status !== 'completed' || s.finishedAt === undefined || t === undefined) continue
    const needsDone = s.needs.length === 0 ? view.createdAt : Math.max(...s.needs.map(n => finished.get(n) ?? Number.NaN))
    const own = taskTotalMs(node, t.taskId)
    if (own === undefined || !Number.isFinite(needsDone)) continue
    overhead.push(s.finishedAt - needsDone - own)
    task.push(own)
  }
  return { overhead, task }
}

/** Runs the workflow part in this process: starts the nodes, runs the workflows, stops the nodes. */
export async function runWorkflowBench (o: WorkflowBenchOptions, onProgress: (text: string) => void = () => {}): Promise<WorkflowResult> {
  const started = Date.now()
  const dir = mkdtempSync(join(tmpdir(), 'swarm-bench-workflow-'))
  const nodes: SwarmNode[] = []
  const warmup = 2
  try {
    const conductor = await createSwarmNode(nodeConfig(join(dir, 'conductor'), 'conductor', {}))
    nodes.push(conductor)
    const bootstrap = [conductor.addrs[0] as string]
    for (let i = 0; i < o.workers; i++) {
      // Capacity for a whole fan-out on every worker: the steps never wait for a free slot.
      nodes.push(await createSwarmNode(nodeConfig(join(dir, `worker-${i + 1}`), `worker-${i + 1}`, { bootstrap, capacity: FAN + 2, skills: [{ name: SKILL, level: 'expert', handler: { kind: 'builtin', name: 'echo', delayMs: 0 } }] })))
    }
    await knowsWorkers(conductor, o.workers)
    const shapes: WorkflowShapeResult[] = []
    const all: number[] = []
    for (const [shape, spec, steps] of [['chain', chain(), CHAIN], ['fan-out', fanOut(), FAN + 2]] as const) {
      const overhead: number[] = []
      const task: number[] = []
      const wall: number[] = []
      let completed = 0
      const failures: Record<string, number> = {}
      for (let i = 0; i < warmup + o.repeats; i++) {
        const view = await conductor.run(spec).result()
        if (i < warmup) continue
        if (view.status !== 'completed') {
          const why = `${view.status}${view.code !== undefined ? ` (${view.code})` : ''}: ${view.reason ?? 'no reason given'}`
          failures[why] = (failures[why] ?? 0) + 1
          continue
        }
        completed++
        wall.push((view.finishedAt ?? view.updatedAt) - view.createdAt)
        const f = stepFigures(conductor, view)
        overhead.push(...f.overhead)
        task.push(...f.task)
        onProgress(`${shape}: ${i + 1 - warmup}/${o.repeats} workflows`)
      }
      all.push(...overhead)
      shapes.push({ shape, steps, workflows: o.repeats, completed, overheadMs: summarize(overhead), taskMs: summarize(task), workflowMs: summarize(wall), failures })
    }
    return { nodes: nodes.length, handler: 'builtin echo (answers at once)', warmup, shapes, overheadMs: summarize(all), durationMs: Date.now() - started }
  } finally {
    await Promise.allSettled(nodes.map(async node => { await node.stop() }))
    rmSync(dir, { recursive: true, force: true })
  }
}

/** The result of a workflow part that did not finish. */
export function workflowCrashed (error: string, durationMs: number): WorkflowResult {
  const none = summarize([])
  return { nodes: 0, handler: 'builtin echo (answers at once)', warmup: 0, shapes: [], overheadMs: none, durationMs, error }
}
