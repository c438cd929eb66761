import { multiaddr } from '@multiformats/multiaddr'
import type { Logger } from '../logger.js'
import type { Libp2p } from '@libp2p/interface'

/**
 * Why a dial to a bootstrap address failed, in words a user can act on. A node of a private
 * swarm answers a node without its key (or with another) with noise, which libp2p reports as an
 * encryption failure.
 */
export function dialFailureHint (err: unknown): string {
  const name = (err as { name?: unknown })?.name
  const message = String((err as { message?: unknown })?.message ?? err)
  if (name === 'EncryptionFailedError') {
    return `the encryption handshake failed (${message}): if that node runs a private swarm, start this one with the same --swarm-key file`
  }
  if (/ECONNREFUSED/.test(message)) return 'nothing listens at that address (is the node running, and is the port right?)'
  if (/timed? ?out|ETIMEDOUT|aborted/i.test(message)) return `no answer in time (${message}): a firewall, or a wrong address?`
  return message
}

/** Delay before the next attempt to rejoin: 1 s, 2 s, 4 s … (from `baseMs`) at most `maxMs`. */
export function rejoinDelay (attempt: number, maxMs = 30_000, baseMs = 1_000): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(attempt, 16)))
}

export interface RejoinOptions {
  libp2p: Pick<Libp2p, 'getConnections' | 'dial'>
  /** Bootstrap multiaddrs (with /p2p/<peer id>). */
  addrs: string[]
  logger: Logger
  maxDelayMs?: number
  /** First delay, and how often a connected node checks (default 1 s). */
  baseDelayMs?: number
}

/**
 * Dials the bootstrap addresses again while the node has no connection at all: libp2p's
 * bootstrap discovery dials them once at start, so a node started before its registry (or left
 * alone when every peer went away) would otherwise stay alone. With any connection it does
 * nothing: the swarm never needs the bootstrap peer once the node knows others.
 */
export class BootstrapRejoiner {
  readonly #opts: RejoinOptions
  #timer?: NodeJS.Timeout
  #attempt = 0
  #running = false
  /** The last reason logged at warn for each address (a new reason is logged again). */
  readonly #reasons = new Map<string, string>()

  constructor (options: RejoinOptions) {
    this.#opts = options
  }

  start (): void {
    if (this.#running || this.#opts.addrs.length === 0) return
    this.#running = true
    this.#schedule()
  }

  stop (): void {
    this.#running = false
    clearTimeout(this.#timer)
  }

  #schedule (): void {
    if (!this.#running) return
    this.#timer = setTimeout(() => { void this.#tick() }, rejoinDelay(this.#attempt, this.#opts.maxDelayMs, this.#opts.baseDelayMs))
    this.#timer.unref()
  }

  async #tick (): Promise<void> {
    if (!this.#running) return
    if (this.#opts.libp2p.getConnections().length > 0) {
      this.#attempt = 0
      this.#schedule()
      return
    }
    this.#attempt++
    this.#opts.logger.info('no peers: dialling the bootstrap addresses again', { attempt: this.#attempt })
    await Promise.allSettled(this.#opts.addrs.map(async addr => {
      try {
        await this.#opts.libp2p.dial(multiaddr(addr))
        this.#reasons.delete(addr)
      } catch (err) {
        const hint = dialFailureHint(err)
        if (this.#reasons.get(addr) === hint) {
          this.#opts.logger.debug('bootstrap dial failed', { addr, err })
        } else {
          this.#reasons.set(addr, hint)
          this.#opts.logger.warn(`cannot reach the bootstrap peer ${addr}: ${hint}`, { addr })
        }
      }
    }))
    this.#schedule()
  }
}
