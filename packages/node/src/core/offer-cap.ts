/**
 * Which bidders offer on a task when the announcer caps the offers: every bidder ranks the
 * capable agents it knows by a hash of (task id, attempt, peer id) and offers only if it is among
 * the first `cap`. All bidders compute the same ranking from the same directory, so about `cap`
 * agents offer, a different few for every task (which also spreads the load). Pure.
 */

/** FNV-1a 32-bit hash of a string. */
export function fnv1a (text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** Position (0-based) of `self` among `peers` ranked by hash for this task; `self` is counted in. */
export function offerRank (taskId: string, attempt: number, self: string, peers: Iterable<string>): number {
  const key = (peer: string): number => fnv1a(`${taskId}:${attempt}:${peer}`)
  const mine = key(self)
  let rank = 0
  for (const peer of new Set(peers)) {
    if (peer === self) continue
    const other = key(peer)
    if (other < mine || (other === mine && peer < self)) rank++
  }
  return rank
}

/** Whether `self` should offer: no cap, or ranked within `cap` for at least one skill it covers. */
export function withinOfferCap (taskId: string, attempt: number, self: string, cap: number, capableBySkill: Array<{ peers: Iterable<string>, count: number }>): boolean {
  if (cap <= 0) return true
  return capableBySkill.some(({ peers, count }) => offerRank(taskId, attempt, self, peers) < cap * count)
}

/**
 * The agents an announcer asks directly for one skill: `want` of the capable agents, ranked by
 * hash for this task. Agents it is already connected to answer within milliseconds while a new
 * connection costs a handshake that, on a busy host, can outlast the bid window; so up to
 * `want - 1` connected agents go first (hash order among them), and at least one place is
 * left to the hash ranking over all of them, which keeps spreading work (and connections) over
 * the whole swarm instead of the few neighbours. With `want` = 1 the ranking alone decides.
 * Without `explore` (the announcer has connections enough), connected agents take every place
 * they can: each new connection costs both ends a handshake and tens of KiB for as long as it
 * stays open, and a swarm whose every task opened one ended with each peer connected to most
 * others (100 peers at 20 tasks/s: 22 connections each at the start, 64 after a minute).
 */
export function chooseDirectTargets (taskId: string, attempt: number, candidates: ReadonlyArray<{ peer: string, connected: boolean }>, want: number, explore = true): string[] {
  if (want <= 0) return []
  const ranked = [...candidates]
    .map(c => ({ ...c, rank: fnv1a(`${taskId}:${attempt}:${c.peer}`) }))
    .sort((a, b) => a.rank - b.rank || (a.peer < b.peer ? -1 : 1))
  const chosen: string[] = []
  for (const c of ranked) {
    if (chosen.length >= (explore ? want - 1 : want)) break
    if (c.connected) chosen.push(c.peer)
  }
  for (const c of ranked) {
    if (chosen.length >= want) break
    if (!chosen.includes(c.peer)) chosen.push(c.peer)
  }
  return chosen
}
