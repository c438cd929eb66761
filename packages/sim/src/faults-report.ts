/**
 * The report's sections on the peers that misbehave without dying: frozen peers (stopped, not
 * killed) with the time from each freeze to the replacement of the frozen member, and liars
 * (they accept work and never deliver) with the share of tasks they still win over the run.
 */
import { summarize } from './metrics.js'
import type { FreezeRecord } from './freezer.js'
import type { PeerStats, TaskRecord } from './messages.js'
import type { Summary } from './metrics.js'
import type { SimulationPlan } from './plan.js'

/** What the frozen peers' tasks became, and how fast their parts moved to a backup. */
export interface FreezeSection {
  /** Peers frozen during the run, and how many of them thawed before its end. */
  frozen: number
  thawed: number
  /** Tasks with a member that was frozen at some time while they ran (any attempt). */
  tasksHit: number
  hitCompleted: number
  hitNotCompleted: number
  /** Frozen members replaced by a backup while frozen (one per task and member). */
  replacements: number
  /**
   * From a member's freeze (or its task's announcement, if later) to its replacement by a
   * backup, over every such replacement.
   */
  freezeToReplacementMs: Summary
  hit: Array<{ index: number, status: string, attempts: number, frozenMembers: string[], replacedAfterMs: number[] }>
}

/** How often the liars won tasks as the run went on, and what became of those tasks. */
export interface LiarsSection {
  liars: number
  /** Tasks with a liar among their members at some point (any attempt, replaced members too). */
  tasksWithLiar: number
  /** Of those, completed (a backup or a retry did the liar's part). */
  withLiarCompleted: number
  /** Liar members replaced by a backup. */
  replacements: number
  /**
   * The load cut in `buckets` equal spans by announcement time: tasks announced in each, and
   * the share of them that had a liar as a member. It falls as the announcers' reputation of
   * the liars does (first-hand: each announcer learns from its own tasks); `completed` of them.
   */
  buckets: Array<{ fromMs: number, toMs: number, announced: number, withLiar: number, share: number, completed: number }>
  /** Completed tasks over the tasks with a record. */
  doneShare: number
}

/** The peer ids of the planned peers with `flag`, from the peers' final counters. */
function peerIdsOf (plan: SimulationPlan, stats: PeerStats[], flag: 'frozen' | 'liar'): Set<string> {
  const wanted = new Set(plan.peers.filter(p => p[flag]).map(p => p.index))
  return new Set(stats.filter(s => wanted.has(s.index)).map(s => s.peerId))
}

/** The freeze section of a run, or undefined when nothing froze. Pure. */
export function freezeSection (records: TaskRecord[], freezes: FreezeRecord[]): FreezeSection | undefined {
  if (freezes.length === 0) return undefined
  const hit: FreezeSection['hit'] = []
  const times: number[] = []
  for (const r of records) {
    const members = r.everMembers ?? r.members
    const frozen = freezes.filter(f => members.includes(f.peerId) && f.at <= r.finishedAt && r.announcedAt <= (f.thawedAt ?? Number.POSITIVE_INFINITY))
    if (frozen.length === 0) continue
    const after: number[] = []
    for (const f of frozen) {
      const until = f.thawedAt ?? Number.POSITIVE_INFINITY
      const first = (r.replaced ?? []).filter(e => e.from === f.peerId && e.at >= f.at && e.at <= until).reduce((min, e) => Math.min(min, e.at), Number.POSITIVE_INFINITY)
      if (Number.isFinite(first)) after.push(first - Math.max(f.at, r.announcedAt))
    }
    times.push(...after)
    hit.push({ index: r.index, status: r.status, attempts: r.attempts, frozenMembers: frozen.map(f => f.peerId), replacedAfterMs: after })
  }
  return {
    frozen: new Set(freezes.map(f => f.peerId)).size,
    thawed: new Set(freezes.filter(f => f.thawedAt !== undefined).map(f => f.peerId)).size,
    tasksHit: hit.length,
    hitCompleted: hit.filter(h => h.status === 'COMPLETE').length,
    hitNotCompleted: hit.filter(h => h.status !== 'COMPLETE').length,
    replacements: times.length,
    freezeToReplacementMs: summarize(times),
    hit
  }
}

/** Tasks per span of the load, by announcement time, for the liars' share. */
const LIAR_BUCKETS = 10

/**
 * The liars section of a run, or undefined without liars. `loadStartedAt`/`loadEndedAt` bound
 * the announcements (epoch ms). Pure.
 */
export function liarsSection (plan: SimulationPlan, stats: PeerStats[], records: TaskRecord[], loadStartedAt: number, loadEndedAt: number): LiarsSection | undefined {
  const liars = peerIdsOf(plan, stats, 'liar')
  if (plan.peers.every(p => !p.liar)) return undefined
  const withLiar = (r: TaskRecord): boolean => (r.everMembers ?? r.members).some(m => liars.has(m))
  const spanMs = Math.max(1, loadEndedAt - loadStartedAt)
  const count = loadEndedAt > loadStartedAt ? LIAR_BUCKETS : 1
  const buckets = Array.from({ length: count }, (_, i) => ({ fromMs: Math.round((i * spanMs) / count), toMs: Math.round(((i + 1) * spanMs) / count), announced: 0, withLiar: 0, share: 0, completed: 0 }))
  for (const r of records) {
    const i = Math.min(count - 1, Math.max(0, Math.floor(((r.announcedAt - loadStartedAt) / spanMs) * count)))
    const b = buckets[i] as (typeof buckets)[number]
    b.announced++
    if (withLiar(r)) b.withLiar++
    if (r.ok) b.completed++
  }
  for (const b of buckets) b.share = b.announced === 0 ? 0 : b.withLiar / b.announced
  const lied = records.filter(withLiar)
  return {
    liars: plan.peers.filter(p => p.liar).length,
    tasksWithLiar: lied.length,
    withLiarCompleted: lied.filter(r => r.ok).length,
    replacements: records.reduce((n, r) => n + (r.replaced ?? []).filter(e => liars.has(e.from)).length, 0),
    buckets,
    doneShare: records.length === 0 ? 0 : records.filter(r => r.ok).length / records.length
  }
}
