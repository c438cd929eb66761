/**
 * Which sender may send which message on a group topic, and the count of what was refused.
 * The topic validator asks {@link GroupAuthorization.authorize} before gossipsub accepts a
 * message, so that messages from peers outside the group are rejected and gossipsub's peer
 * scoring punishes their senders; the handlers report their own refusals (a vote after the
 * deadline, a forged blackboard update) through {@link GroupAuthorization.refuse}.
 */
import { ANNOUNCER_TYPES, GROUP_TYPES, MAX_COUNTED_REFUSALS } from './constants.js'
import type { GroupStats } from './inputs.js'
import type { Live } from './live-groups.js'
import type { Logger } from '../logger.js'
import type { PeerId } from '@libp2p/interface'
import type { SwarmMessage } from '@swarm/protocol'

export class GroupAuthorization {
  readonly #stats: GroupStats
  readonly #log: Logger
  /** Ids of refused messages already counted (the validator and the delivery may both see one). */
  readonly #counted = new Set<string>()

  constructor (stats: GroupStats, log: Logger) {
    this.#stats = stats
    this.#log = log
  }

  /**
   * Whether the signer may send this message in this group: the announcer's types from the
   * announcer only, the others from participants (members, former members, the announcer).
   */
  authorize (live: Live, message: SwarmMessage, signer: PeerId): boolean {
    if (!GROUP_TYPES.has(message.type)) return false
    const s = signer.toString()
    const ok = ANNOUNCER_TYPES.has(message.type) ? s === live.session.announcer : live.session.isParticipant(s)
    if (!ok) this.refuse(message, 'NOT_A_MEMBER', s)
    return ok
  }

  /** Counts a refused message once: votes by reason, other types by `TYPE:REASON`. */
  refuse (message: SwarmMessage, reason: string, from: string): void {
    if (this.#counted.has(message.id)) return
    this.#counted.add(message.id)
    if (this.#counted.size > MAX_COUNTED_REFUSALS) {
      const oldest = this.#counted.values().next().value
      if (oldest !== undefined) this.#counted.delete(oldest)
    }
    if (message.type === 'VOTE') this.#stats.votesRejected[reason] = (this.#stats.votesRejected[reason] ?? 0) + 1
    else this.#stats.rejected[`${message.type}:${reason}`] = (this.#stats.rejected[`${message.type}:${reason}`] ?? 0) + 1
    this.#log.debug('group message refused', { type: message.type, reason, from })
  }
}
