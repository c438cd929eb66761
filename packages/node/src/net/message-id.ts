/**
 * The fast id of a raw gossip message (before its signature is checked), so that gossipsub drops
 * duplicates without verifying their signatures again. Because it is checked before the
 * signature, it must not be forgeable: with a plain hash, a peer could send junk that collides
 * with a message it expects and have the real one dropped as a duplicate. So it is an
 * HMAC-SHA-256 under a key drawn at random for each process (nobody else knows it), over the
 * topic, sender, sequence number and data, cut to 128 bits.
 */
import { createHmac, randomBytes } from 'node:crypto'

/** The key of this process's fast message ids. */
const PROCESS_KEY = randomBytes(32)

/** A length-prefixed field, so that moving bytes between fields changes the id. */
function field (h: ReturnType<typeof createHmac>, bytes: Uint8Array | undefined): void {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(bytes?.byteLength ?? 0xffffffff)
  h.update(length)
  if (bytes !== undefined) h.update(bytes)
}

/** The keyed id of a raw message (`key` defaults to this process's; tests pass their own). */
export function fastMessageId (msg: { from?: Uint8Array, seqno?: Uint8Array, data?: Uint8Array, topic: string }, key: Uint8Array = PROCESS_KEY): string {
  const h = createHmac('sha256', key)
  field(h, Buffer.from(msg.topic, 'utf8'))
  field(h, msg.from)
  field(h, msg.seqno)
  field(h, msg.data)
  return h.digest().subarray(0, 16).toString('base64url')
}
