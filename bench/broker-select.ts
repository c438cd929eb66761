/**
 * Group selection of the broker baseline: a minimal greedy cover, since @swarm/node does not
 * export its selectGroup (core/ is not re-exported from the package root).
 */
import { levelRank, LEVELS } from '@swarm/protocol'
import type { Level, RequiredSkill } from '@swarm/protocol'

export interface OfferSkill { name: string, level: Level }

const MAX_RANK = LEVELS.length - 1

export interface Offer { agent: number, skills: OfferSkill[], load: number, capacity: number }

/** Score of an offer for one required skill, 0..1 (level and free capacity); undefined if it does not qualify. */
function slotScore (offer: Offer, req: RequiredSkill): number | undefined {
  const skill = offer.skills.find(s => s.name === req.name)
  if (skill === undefined) return undefined
  const rank = levelRank(skill.level)
  const minRank = levelRank(req.minLevel)
  if (rank < minRank) return undefined
  const level = MAX_RANK - minRank <= 0 ? 1 : 0.5 + 0.5 * (rank - minRank) / (MAX_RANK - minRank)
  const free = offer.capacity > 0 && offer.load < offer.capacity ? (offer.capacity - offer.load) / offer.capacity : 0
  return 0.6 * level + 0.4 * free
}

export interface Selection {
  members: Array<{ agent: number, skills: string[] }>
  minSlotScore: number
  /** Qualified offers left out, per skill, best first. */
  backups: Map<string, number[]>
}

/**
 * A minimal greedy cover (the swarm's selectGroup is not exported by @swarm/node): repeatedly
 * take the offer with the highest summed score over the open slots it can fill (one slot per
 * skill), ties broken by lower load, until every slot is filled.
 */
export function selectGreedy (required: RequiredSkill[], offers: Offer[], exclude: ReadonlySet<number>, maxGroupSize: number): Selection | undefined {
  const eligible = offers.filter(o => !exclude.has(o.agent) && o.load < o.capacity)
  const open = new Map(required.map(r => [r.name, r.count]))
  const chosen = new Set<number>()
  const members: Selection['members'] = []
  let minSlotScore = 1
  for (;;) {
    const openSkills = required.filter(r => (open.get(r.name) ?? 0) > 0)
    if (openSkills.length === 0) break
    let best: { offer: Offer, total: number, fills: Array<{ skill: string, score: number }> } | undefined
    for (const offer of eligible) {
      if (chosen.has(offer.agent)) continue
      const fills = openSkills.flatMap(r => { const score = slotScore(offer, r); return score === undefined ? [] : [{ skill: r.name, score }] })
      if (fills.length === 0) continue
      const total = fills.reduce((s, f) => s + f.score, 0)
      if (best === undefined || total > best.total + 1e-9 || (Math.abs(total - best.total) <= 1e-9 && offer.load < best.offer.load)) best = { offer, total, fills }
    }
    if (best === undefined) return undefined
    chosen.add(best.offer.agent)
    members.push({ agent: best.offer.agent, skills: best.fills.map(f => f.skill) })
    for (const f of best.fills) {
      open.set(f.skill, (open.get(f.skill) ?? 0) - 1)
      minSlotScore = Math.min(minSlotScore, f.score)
    }
  }
  if (members.length > maxGroupSize) return undefined
  const backups = new Map<string, number[]>()
  for (const req of required) {
    const ranked = eligible.flatMap(o => { const score = chosen.has(o.agent) ? undefined : slotScore(o, req); return score === undefined ? [] : [{ agent: o.agent, score }] })
    backups.set(req.name, ranked.sort((a, b) => b.score - a.score).map(r => r.agent))
  }
  return { members, minSlotScore, backups }
}
