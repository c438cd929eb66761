/**
 * Private swarms: a pre-shared key (the libp2p PSK v1 format that `@libp2p/pnet` reads) that every
 * connection is encrypted with before anything else is said, so that a node without the key
 * cannot even begin to talk to one that has it, and the other way round.
 *
 * `@libp2p/pnet` alone cannot tell a wrong key from a broken connection (with another key both
 * sides just read noise), so the protector here adds one check after the nonce exchange: each side
 * sends a fixed marker through the protected stream and reads the other's. A mismatch, or a peer
 * that says something that is not a nonce at all (a node without a key), fails the connection at
 * once with a line in the log naming the remote address and what to do.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { preSharedKey } from '@libp2p/pnet'
import { byteStream } from '@libp2p/utils'
import { SwarmError } from '../errors.js'
import type { Logger } from '../logger.js'
import type { ConnectionProtector, MessageStream } from '@libp2p/interface'

/** The first two lines of a PSK v1 file. */
const PSK_HEADER = '/key/swarm/psk/1.0.0/\n/base16/\n'

/** What each side sends through the protected stream to prove it has the same key. */
const MARKER = new TextEncoder().encode('swarm-private-v1')

/** How long the nonce exchange and the marker may take. */
const HANDSHAKE_TIMEOUT_MS = 5_000

/** At most one log line per remote host and this many ms (a peer retrying must not flood the log). */
const LOG_EVERY_MS = 60_000

/** A new key in the PSK v1 format: 32 random bytes in hex under the two header lines. */
export function newSwarmKey (): string {
  return `${PSK_HEADER}${randomBytes(32).toString('hex')}\n`
}

/**
 * Writes a new swarm key to `path` (mode 0600). Refuses to overwrite an existing file unless
 * `force`: replacing the key of a running swarm cuts every node off that keeps the old one.
 */
export function writeSwarmKey (path: string, force = false): void {
  if (existsSync(path) && !force) {
    throw new SwarmError('CONFIG_INVALID', `${path} exists already: replacing a swarm key cuts off every node that keeps the old one. Pass --force to replace it`, { path })
  }
  writeFileSync(path, newSwarmKey(), { mode: 0o600 })
  chmodSync(path, 0o600)
}

/** Reads and checks a swarm key file; the error says what is wrong and how to make one. */
export function readSwarmKey (path: string): Uint8Array {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new SwarmError('CONFIG_INVALID', `cannot read the swarm key file ${path}: ${(err as Error).message}. Make one with: swarm-node keygen --swarm-key ${path}`, { path })
  }
  const lines = text.split(/\r?\n/)
  const hex = lines[2]?.trim() ?? ''
  if (`${lines[0] ?? ''}\n${lines[1] ?? ''}\n` !== PSK_HEADER || !/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new SwarmError('CONFIG_INVALID', `the swarm key file ${path} is not a libp2p PSK v1 key (three lines: /key/swarm/psk/1.0.0/, /base16/, 64 hex digits). Make one with: swarm-node keygen --swarm-key <file>`, { path })
  }
  return new TextEncoder().encode(`${PSK_HEADER}${hex.toLowerCase()}\n`)
}

/** The remote address of a connection being upgraded (a MultiaddrConnection has one). */
function remoteAddrOf (conn: MessageStream): string {
  const addr: unknown = (conn as Partial<{ remoteAddr: unknown }>).remoteAddr
  return addr !== undefined && addr !== null ? String(addr) : 'a peer'
}

/** Compares two markers in constant time. */
function sameMarker (got: Uint8Array): boolean {
  return got.byteLength === MARKER.byteLength && timingSafeEqual(got, MARKER)
}

/**
 * The connection protector of a private swarm: `@libp2p/pnet`'s, then the marker check (see the
 * module comment). Failures are logged at warn, at most once a minute per remote host.
 */
export function privateNetwork (psk: Uint8Array, log: Logger): () => ConnectionProtector {
  const inner = preSharedKey({ psk, timeout: HANDSHAKE_TIMEOUT_MS })
  const lastLogged = new Map<string, number>()
  const refused = (conn: MessageStream, why: string): void => {
    const addr = remoteAddrOf(conn)
    const host = addr.split('/').slice(0, 3).join('/')
    const now = Date.now()
    if ((lastLogged.get(host) ?? 0) + LOG_EVERY_MS > now) return
    if (lastLogged.size > 10_000) lastLogged.clear()
    lastLogged.set(host, now)
    log.warn(`connection with ${addr} refused: ${why}. Nodes of a private swarm need the same --swarm-key file`, { remoteAddr: addr })
  }
  return () => {
    const protector = inner()
    return {
      async protect (conn, options) {
        let boxed: MessageStream
        try {
          boxed = await protector.protect(conn, options)
        } catch (err) {
          refused(conn, `the private-network handshake failed (${(err as Error).message}): the other node has no swarm key, or it is not a swarm node`)
          throw err
        }
        const bytes = byteStream(boxed)
        const signal = options?.signal ?? AbortSignal.timeout(HANDSHAKE_TIMEOUT_MS)
        try {
          const [got] = await Promise.all([bytes.read({ bytes: MARKER.byteLength, signal }), bytes.write(MARKER, { signal })])
          if (!sameMarker(got.subarray())) throw new SwarmError('ACCESS_DENIED', 'the other node uses another swarm key')
        } catch (err) {
          refused(conn, err instanceof SwarmError ? err.message : `the other node did not prove it has this swarm key (${(err as Error).message}): it has another key, or none`)
          conn.abort(err instanceof Error ? err : new Error(String(err)))
          throw err
        }
        return bytes.unwrap()
      }
    }
  }
}
