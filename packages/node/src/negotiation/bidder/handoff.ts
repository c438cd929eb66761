/**
 * The member side of a handoff: asking the announcer to pass one running part to a backup
 * (HANDOFF direct, no `to`: the announcer picks the backup), and the parts that may be handed
 * off, as work.ts runs them and drain() (graceful shutdown) finds them.
 */
import { LIMITS, createMessage } from '@swarm/protocol'
import type { MessengerPort } from '../../ports/messenger.js'
import type { PeerId } from '@libp2p/interface'
import type { Json } from '@swarm/protocol'

/** The reason a node gives when it hands its parts off because it stops. */
export const SHUTDOWN_REASON = 'shutting down'

/** How long a member waits for the announcer's answer to its HANDOFF (it finds and starts a backup first). */
export const HANDOFF_TIMEOUT_MS = 10_000

/** The announcer's answer: the part moved (to `to`, when it named the backup), or why not. */
export type HandoffAnswer = { ok: true, to?: string } | { ok: false, why: string }

/** A part whose handler runs on this node. */
export interface RunningPart {
  taskId: string
  groupId: string
  skill: string
  announcer: PeerId
  /** The last state the handler saved with ctx.saveCheckpoint. */
  checkpoint?: Json
  /** Stops the handler (aborts its signal), with a HandlerError as the reason. */
  stop: AbortController
  /** The answer to the handoff asked for this part while the node drains, once asked. */
  drain?: Promise<HandoffAnswer>
  /** Resolves when the part ended (its result sent, or handed off). */
  ended: Promise<void>
}

/** The `to` an announcer named in its ACK `data`, if any. */
function targetOf (data: Json | undefined): string | undefined {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return undefined
  const to = data.to
  return typeof to === 'string' ? to : undefined
}

/**
 * Asks the announcer to hand `part` off to a backup, resuming from `state`: resolves with its
 * answer — never rejects (no answer, or a message that cannot be sent, is a refusal).
 */
export async function requestHandoff (messenger: MessengerPort, self: PeerId, part: RunningPart, request: { reason: string, state?: Json }, timeoutMs: number): Promise<HandoffAnswer> {
  try {
    const message = createMessage('HANDOFF', {
      taskId: part.taskId,
      groupId: part.groupId,
      skill: part.skill,
      from: self.toString(),
      reason: request.reason.slice(0, LIMITS.maxShortTextChars),
      ...(request.state !== undefined ? { checkpoint: request.state } : {})
    })
    const reply = await messenger.request(part.announcer, message, { timeoutMs: Math.max(1, timeoutMs) })
    if (reply.type === 'ACK') {
      const to = targetOf(reply.body.data)
      return { ok: true, ...(to !== undefined ? { to } : {}) }
    }
    if (reply.type === 'ERROR') return { ok: false, why: `${reply.body.code}: ${reply.body.message}` }
    return { ok: false, why: `unexpected answer ${reply.type}` }
  } catch (err) {
    return { ok: false, why: `no answer: ${err instanceof Error ? err.message : String(err)}` }
  }
}
