/**
 * The report's section on the malicious peers (scenario adversaries): the honest tasks with the
 * attackers beside the same tasks without them (the clean run of the same seed), what the honest
 * peers refused and limited, and, per attacker, what it sent and how fast the honest peers'
 * gossipsub score of it fell below the graylist threshold.
 */
import { summarize } from './metrics.js'
import type { AttackerStats, HonestCounters, ScoreObservation, TaskRecord } from './messages.js'
import type { Summary } from './metrics.js'
import type { SimulationPlan } from './plan.js'

/** What the worker threads reported of the adversaries in one run. */
export interface AdversaryFacts {
  /** Epoch ms at which the attacks were started (undefined in the clean run). */
  attacksStartedAt?: number
  attackers: AttackerStats[]
  scores: ScoreObservation[]
  graylistThreshold?: number
  /** The honest peers' counters, summed over the threads. */
  honest: HonestCounters
}

/** The honest tasks of one run and what its honest peers refused and limited. */
export interface HonestOutcome {
  announced: number
  completed: number
  successRate: number
  formationMs: Summary
  completionMs: Summary
  counters: HonestCounters
}

/** One attacker: what it did and what became of it. */
export interface AttackerRow {
  /** Plan index of the peer. */
  peer: number
  peerId: string
  kind: string
  /** Its first misbehaviour, ms after the load started (none: it never got to misbehave). */
  firstMisbehaviourMs?: number
  sent: Record<string, number>
  answers: Record<string, number>
  errors: number
  /** Honest tasks it was a member of at some point (any attempt). */
  tasksJoined: number
  /** Honest peers that had it among their gossip peers at some sample. */
  observers: number
  /** Of those, the peers whose score of it went below the graylist threshold. */
  graylistedBy: number
  /** From its first misbehaviour (or the start of the attacks) to each such peer's score of it going below the threshold. */
  timeToGraylistMs: Summary
  /** The lowest score any honest peer gave it (none: no honest peer saw it). */
  minScore?: number
}

export interface AdversariesSection {
  /** Attackers by kind. */
  kinds: Record<string, number>
  /** When the attacks started, ms after the load started. */
  attacksStartedMs?: number
  /** The honest peers' gossipsub graylist threshold (their messages are dropped below it). */
  graylistThreshold?: number
  /** The run with the attackers. */
  attacked: HonestOutcome
  /** The same plan without them (adversaries.compareClean). */
  clean?: HonestOutcome
  attackers: AttackerRow[]
}

/** The outcome of the honest tasks of a run, from its report's figures. Pure. */
export function honestOutcome (report: { tasks: { announced: number, completed: number, successRate: number }, formationMs: Summary, completionMs: Summary }, counters: HonestCounters): HonestOutcome {
  const { announced, completed, successRate } = report.tasks
  return { announced, completed, successRate, formationMs: report.formationMs, completionMs: report.completionMs, counters }
}

/** The row of one attacker. Pure. */
function attackerRow (stats: AttackerStats, facts: AdversaryFacts, records: TaskRecord[], loadStartedAt: number): AttackerRow {
  const observed = facts.scores.filter(o => o.attacker === stats.peerId)
  const from = stats.firstMisbehaviourAt ?? facts.attacksStartedAt
  const times = from === undefined ? [] : observed.flatMap(o => o.belowAt === undefined ? [] : [Math.max(0, o.belowAt - from)])
  const minScore = observed.reduce((min, o) => Math.min(min, o.minScore), Number.POSITIVE_INFINITY)
  return {
    peer: stats.index,
    peerId: stats.peerId,
    kind: stats.kind,
    ...(stats.firstMisbehaviourAt !== undefined ? { firstMisbehaviourMs: stats.firstMisbehaviourAt - loadStartedAt } : {}),
    sent: stats.sent,
    answers: stats.answers,
    errors: stats.errors,
    tasksJoined: records.filter(r => (r.everMembers ?? r.members).includes(stats.peerId)).length,
    observers: observed.length,
    graylistedBy: observed.filter(o => o.belowAt !== undefined).length,
    timeToGraylistMs: summarize(times),
    ...(Number.isFinite(minScore) ? { minScore } : {})
  }
}

/** The adversaries section of the run with the attackers (its clean comparison is added by the caller). Pure. */
export function adversariesSection (facts: AdversaryFacts, plan: SimulationPlan, records: TaskRecord[], loadStartedAt: number, attacked: HonestOutcome): AdversariesSection {
  const kinds: Record<string, number> = {}
  for (const p of plan.peers) if (p.adversary !== undefined) kinds[p.adversary] = (kinds[p.adversary] ?? 0) + 1
  return {
    kinds,
    ...(facts.attacksStartedAt !== undefined ? { attacksStartedMs: facts.attacksStartedAt - loadStartedAt } : {}),
    ...(facts.graylistThreshold !== undefined ? { graylistThreshold: facts.graylistThreshold } : {}),
    attacked,
    attackers: [...facts.attackers].sort((a, b) => a.index - b.index).map(a => attackerRow(a, facts, records, loadStartedAt))
  }
}

/** Sums the counters of the worker threads. Pure. */
export function sumCounters (list: HonestCounters[]): HonestCounters {
  const out: HonestCounters = { gossipRejected: {}, limited: {}, penalties: {}, agentsKnownMax: 0 }
  for (const c of list) {
    out.agentsKnownMax = Math.max(out.agentsKnownMax, c.agentsKnownMax)
    for (const key of ['gossipRejected', 'limited', 'penalties'] as const) {
      for (const [k, n] of Object.entries(c[key])) out[key][k] = (out[key][k] ?? 0) + n
    }
  }
  return out
}

function ms (n: number): string {
  return Number.isFinite(n) ? `${Math.round(n)}` : '-'
}

/** `a 3, b 2` of the non-zero counts, largest first; `-` when none. */
function counts (c: Record<string, number>): string {
  const list = Object.entries(c).filter(([, n]) => n !== 0).sort((a, b) => b[1] - a[1])
  return list.length === 0 ? '-' : list.map(([k, n]) => `${k} ${n}`).join(', ')
}

function outcomeText (o: HonestOutcome): string {
  return `${(o.successRate * 100).toFixed(1)} % of ${o.announced} completed; formed p50 ${ms(o.formationMs.p50)} p95 ${ms(o.formationMs.p95)} ms; completed p50 ${ms(o.completionMs.p50)} p95 ${ms(o.completionMs.p95)} p99 ${ms(o.completionMs.p99)} ms`
}

function countersText (c: HonestCounters): string {
  return `limited: ${counts(c.limited)} · gossip refused: ${counts(c.gossipRejected)} · penalties: ${counts(c.penalties)} · largest directory ${c.agentsKnownMax} agents`
}

function attackerText (a: AttackerRow): string {
  const first = a.firstMisbehaviourMs === undefined ? 'never misbehaved' : `first misbehaved at ${(a.firstMisbehaviourMs / 1000).toFixed(1)} s`
  const fell = a.graylistedBy === 0
    ? `graylisted by none of the ${a.observers} honest peers that saw it`
    : `graylisted by ${a.graylistedBy} of ${a.observers} honest peers, p50 ${ms(a.timeToGraylistMs.p50)} ms, max ${ms(a.timeToGraylistMs.max)} ms after`
  const answers = Object.keys(a.answers).length > 0 ? `; answers: ${counts(a.answers)}` : ''
  return `sent ${counts(a.sent)}${answers}; in ${a.tasksJoined} honest tasks; ${first}; ${fell}; lowest score ${a.minScore === undefined ? '-' : a.minScore.toFixed(1)}`
}

/** The section as rows of (label, text), for the table and the HTML page. Pure. */
export function adversaryRows (section: AdversariesSection): Array<[string, string]> {
  const total = Object.values(section.kinds).reduce((n, k) => n + k, 0)
  const start = section.attacksStartedMs === undefined ? 'attacks never started' : `attacks from ${(section.attacksStartedMs / 1000).toFixed(1)} s`
  const rows: Array<[string, string]> = [
    ['adversaries', `${total} peers: ${counts(section.kinds)}; ${start}; graylist threshold ${section.graylistThreshold ?? '-'}`]
  ]
  if (section.clean !== undefined) rows.push(['honest tasks, clean run', outcomeText(section.clean)])
  rows.push(['honest tasks, attacked', outcomeText(section.attacked)])
  if (section.clean !== undefined) rows.push(['honest peers, clean run', countersText(section.clean.counters)])
  rows.push(['honest peers, attacked', countersText(section.attacked.counters)])
  for (const a of section.attackers) rows.push([`attacker ${a.peer} (${a.kind})`, attackerText(a)])
  return rows
}
