/**
 * Who may connect: an allow list (when it is not empty, only those peers), a deny list from the
 * configuration, and peers blocked at run time (`swarm-node block <peer>`, through the control
 * API), which are kept in the data directory (`blocked.json`) so that a restart does not let them
 * back in. The connection gater asks {@link PeerAccess.permits} for every dial and every inbound
 * connection (net/libp2p.ts).
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { peerIdFromString } from '@libp2p/peer-id'
import { z } from 'zod'
import { SwarmError } from '../errors.js'
import type { Logger } from '../logger.js'

/** A peer blocked at run time. */
export interface BlockedPeer {
  peerId: string
  /** Epoch ms. */
  at: number
  reason?: string
}

/** What the node's access lists say, as the control API shows them. */
export interface AccessView {
  allow: string[]
  deny: string[]
  blocked: BlockedPeer[]
}

const BlockedFileSchema = z.object({
  blocked: z.array(z.object({ peerId: z.string(), at: z.number(), reason: z.string().max(256).optional() }).strict()).max(100_000)
}).strict()

/** Checks a peer id given by a user; the error names it. */
function checkPeerId (peerId: string, what: string): string {
  try {
    return peerIdFromString(peerId).toString()
  } catch {
    throw new SwarmError('CONFIG_INVALID', `${what}: "${peerId}" is not a peer id (they look like 12D3KooW…)`, { peerId })
  }
}

export class PeerAccess {
  readonly #allow: ReadonlySet<string>
  readonly #deny: ReadonlySet<string>
  readonly #blocked = new Map<string, BlockedPeer>()
  readonly #file: string | undefined
  readonly #log: Logger

  /**
   * `allow` and `deny` come from the configuration (checked: a bad peer id is CONFIG_INVALID);
   * `file` keeps the run-time blocks (none kept without it).
   */
  constructor (init: { allow: readonly string[], deny: readonly string[], file?: string }, log: Logger) {
    this.#allow = new Set(init.allow.map(p => checkPeerId(p, 'allow')))
    this.#deny = new Set(init.deny.map(p => checkPeerId(p, 'deny')))
    this.#file = init.file
    this.#log = log
    for (const b of this.#load()) this.#blocked.set(b.peerId, b)
  }

  /** Whether `peerId` may connect (or be dialled). */
  permits (peerId: string): boolean {
    if (this.#deny.has(peerId) || this.#blocked.has(peerId)) return false
    return this.#allow.size === 0 || this.#allow.has(peerId)
  }

  /** Blocks a peer from now on (kept across restarts). Returns false when it was blocked already. */
  block (peerId: string, at: number, reason?: string): boolean {
    const id = checkPeerId(peerId, 'block')
    if (this.#blocked.has(id)) return false
    this.#blocked.set(id, { peerId: id, at, ...(reason !== undefined ? { reason } : {}) })
    this.#save()
    return true
  }

  /** Lifts a run-time block. Returns false when the peer was not blocked (a deny-list entry stays). */
  unblock (peerId: string): boolean {
    const id = checkPeerId(peerId, 'unblock')
    if (!this.#blocked.delete(id)) return false
    this.#save()
    return true
  }

  view (): AccessView {
    return { allow: [...this.#allow], deny: [...this.#deny], blocked: [...this.#blocked.values()] }
  }

  #load (): BlockedPeer[] {
    if (this.#file === undefined || !existsSync(this.#file)) return []
    try {
      const parsed = BlockedFileSchema.parse(JSON.parse(readFileSync(this.#file, 'utf8')))
      return parsed.blocked.filter(b => {
        try {
          checkPeerId(b.peerId, 'blocked')
          return true
        } catch {
          return false
        }
      })
    } catch (err) {
      // A damaged file must not open the door silently: say so loudly; the node starts without it.
      this.#log.error('the blocked peers file cannot be read: no peer is blocked until it is fixed or removed', { file: this.#file, err })
      return []
    }
  }

  #save (): void {
    if (this.#file === undefined) return
    try {
      const tmp = `${this.#file}.tmp`
      writeFileSync(tmp, JSON.stringify({ blocked: [...this.#blocked.values()] }, null, 2) + '\n', { mode: 0o600 })
      renameSync(tmp, this.#file)
    } catch (err) {
      this.#log.error('the blocked peers were not saved: they are blocked until this node stops', { file: this.#file, err })
    }
  }
}
