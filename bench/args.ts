/** Command-line flags of `npm run bench`, with their defaults. */
import { parseArgs } from 'node:util'

export interface BenchOptions {
  /** Swarm sizes; sizes up to 100 get the latency, throughput and broker runs, larger ones a scale run. */
  peers: number[]
  /** Tasks of each steady run (default: 600 at 100 peers, 500 at scale, 300 with --quick). */
  tasks?: number
  /** Arrivals per second of each steady run (default: 5 at 100 peers, the preset's rate at scale). */
  rate?: number
  /** Rates of the throughput runs, tried in order until one loses or fails tasks. */
  highRates: number[]
  /** Tasks per throughput run (default: a minute of arrivals, half a minute with --quick). */
  highTasks?: number
  skipBroker: boolean
  quick: boolean
  seed: number
  /** Where to write the JSON instead of bench/results/<timestamp>.json (latest.json is then left alone). */
  out?: string
  /** Run only this part of the bench. */
  only?: 'workflow'
  /** No workflow part. */
  skipWorkflow: boolean
  /** Workflows of each shape in the workflow part (default 20, 10 with --quick). */
  workflowRepeats?: number
}

export const USAGE = `usage: npm run bench -- [--quick] [--peers 100,500,1000] [--tasks N] [--rate R]
                         [--high-rate 20[,40…]] [--high-tasks N] [--skip-broker] [--seed S] [--out file.json]
                         [--only workflow] [--skip-workflow] [--workflow-repeats N]
  --quick        100 peers only, fewer tasks (a few minutes)
  --peers        swarm sizes: ≤ 100 get the latency, throughput and broker runs; larger ones a scale run
                 (scale-500 / scale-1000 presets)
  --tasks/--rate tasks and arrival rate of the steady runs (default 600 at 5/s; 500 at the preset's rate at scale)
  --high-rate    rates of the throughput runs (default 20/s), tried in order until one does not complete every task
  --high-tasks   tasks per throughput run (default: one minute of arrivals)
  --skip-broker  no Redis baseline
  --out          write the JSON there instead of bench/results/<timestamp>.json, and leave latest.json alone
  --only workflow  only the workflow part: the coordination a workflow adds per step (a chain and a
                 fan-out of 10 steps on 5 local nodes); --skip-workflow leaves it out
  --workflow-repeats  workflows of each shape in the workflow part (default 20, 10 with --quick)`

function positiveList (text: string, flag: string): number[] {
  const values = text.split(',').map(s => Number(s.trim()))
  if (values.length === 0 || values.some(v => !(v > 0) || !Number.isFinite(v))) throw new Error(`--${flag} needs positive numbers, got "${text}"`)
  return values
}

function positive (text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined
  const value = Number(text)
  if (!(value > 0) || !Number.isFinite(value)) throw new Error(`--${flag} needs a positive number, got "${text}"`)
  return value
}

/** Parses the flags; throws with a message on bad input. */
export function parseBenchArgs (argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      peers: { type: 'string' },
      tasks: { type: 'string' },
      rate: { type: 'string' },
      'high-rate': { type: 'string', default: '20' },
      'high-tasks': { type: 'string' },
      'skip-broker': { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      seed: { type: 'string', default: '1' },
      out: { type: 'string' },
      only: { type: 'string' },
      'skip-workflow': { type: 'boolean', default: false },
      'workflow-repeats': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false }
    }
  })
  if (values.help) throw new Error(USAGE)
  const quick = values.quick
  const peers = values.peers === undefined ? (quick ? [100] : [100, 500, 1000]) : positiveList(values.peers, 'peers').map(Math.round)
  if (peers.some(p => p < 2)) throw new Error('--peers needs at least 2 peers per run')
  const tasks = positive(values.tasks, 'tasks')
  const highTasks = positive(values['high-tasks'], 'high-tasks')
  if (values.only !== undefined && values.only !== 'workflow') throw new Error(`--only takes "workflow" (the only part that runs alone), got "${values.only}"`)
  if (values.only !== undefined && values['skip-workflow']) throw new Error('--only workflow and --skip-workflow contradict each other')
  const workflowRepeats = positive(values['workflow-repeats'], 'workflow-repeats')
  const seed = Number(values.seed)
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed needs a non-negative integer, got "${values.seed}"`)
  return {
    peers,
    ...(tasks !== undefined ? { tasks: Math.round(tasks) } : {}),
    ...(values.rate !== undefined ? { rate: positive(values.rate, 'rate') } : {}),
    highRates: positiveList(values['high-rate'], 'high-rate'),
    ...(highTasks !== undefined ? { highTasks: Math.round(highTasks) } : {}),
    skipBroker: values['skip-broker'],
    quick,
    seed,
    ...(values.out !== undefined ? { out: values.out } : {}),
    ...(values.only !== undefined ? { only: 'workflow' as const } : {}),
    skipWorkflow: values['skip-workflow'],
    ...(workflowRepeats !== undefined ? { workflowRepeats: Math.round(workflowRepeats) } : {})
  }
}
