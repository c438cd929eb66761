/**
 * A hostile peer for integration tests, built from the project's own stack: an ordinary swarm
 * node (same libp2p assembly, same keys and codec) whose gossipsub and streams the test drives
 * by hand, so it can send what an honest node never would: raw bytes on a topic, forged or
 * oversized frames, floods of valid-looking messages.
 */
import { lpStream } from '@libp2p/utils'
import { LIMITS, createMessage, encodeMessage } from '@swarm/protocol'
import type { SwarmNode } from '@swarm/node'
import type { PeerId } from '@libp2p/interface'
import type { BodyInput, MessageType } from '@swarm/protocol'

/** Encodes a well-formed message of `type` (the attacker's own fields, any values the schema allows). */
export function frame<T extends MessageType> (type: T, body: BodyInput<T>): Uint8Array {
  return encodeMessage(createMessage(type, body), Number.MAX_SAFE_INTEGER)
}

/**
 * Publishes `data` as it is on `topic` from the attacker (signed by its key, like every
 * gossipsub message, but with whatever payload the test chose). Resolves to the number of peers
 * gossipsub sent it to.
 */
export async function publishRaw (attacker: SwarmNode, topic: string, data: Uint8Array): Promise<number> {
  const result = await attacker.libp2p.services.pubsub.publish(topic, data)
  return result.recipients.length
}

/**
 * Opens a stream of `protocol` to `peer`, writes `data` as one length-prefixed frame and reads
 * one frame back. Resolves to the reply, or undefined when the peer closed or reset the stream
 * (what a receiver does with a frame over its limit).
 */
export async function rawRequest (attacker: SwarmNode, peer: PeerId, protocol: string, data: Uint8Array, timeoutMs = 10_000): Promise<Uint8Array | undefined> {
  const signal = AbortSignal.timeout(timeoutMs)
  const stream = await attacker.libp2p.dialProtocol(peer, protocol, { signal })
  const limit = Math.max(data.byteLength, LIMITS.maxFetchedInputBytes) + 16
  const lp = lpStream(stream, { maxDataLength: limit, maxBufferSize: limit })
  try {
    await lp.write(data, { signal })
    const reply = await lp.read({ signal })
    await stream.close({ signal }).catch(() => {})
    return reply.subarray()
  } catch {
    stream.abort(new Error('attacker request ended'))
    return undefined
  }
}
