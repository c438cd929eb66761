/**
 * Fresh identities for a sybil attacker: Ed25519 keys made with node:crypto, in the shapes
 * gossipsub's message signing reads (its "publish config": author, protobuf public key, signer).
 * A sybil peer publishes under one of them by lending it to its own gossipsub for one message
 * (see `publishAs`): the receivers see a validly signed message from a peer they never met.
 */
import { generateKeyPairSync, sign } from 'node:crypto'
import type { SwarmNode } from '@swarm/node'

/** libp2p's protobuf PublicKey header of an Ed25519 key: Type = 1 (field 1), Data of 32 bytes (field 2). */
const ED25519_PROTOBUF_HEADER = [0x08, 0x01, 0x12, 0x20]
/** Identity multihash header of a 36-byte key: code 0x00, length 0x24. */
const IDENTITY_MULTIHASH_HEADER = [0x00, 0x24]
/** gossipsub's PublishConfigType.Signing. */
const PUBLISH_CONFIG_SIGNING = 0
const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'

/** A fresh identity: its peer id (base58btc, as libp2p prints it) and what gossipsub signs with. */
export interface SybilIdentity {
  peerId: string
  /** gossipsub's publish config of the identity (private field of GossipSub). */
  publishConfig: object
}

/** Base58btc of `bytes` (the Bitcoin alphabet, leading zero bytes as "1"). Pure. */
function base58 (bytes: Uint8Array): string {
  let n = BigInt('0x' + (Buffer.from(bytes).toString('hex') || '0'))
  let out = ''
  while (n > 0n) {
    out = (BASE58[Number(n % 58n)] as string) + out
    n /= 58n
  }
  for (const b of bytes) {
    if (b !== 0) break
    out = '1' + out
  }
  return out
}

/** Makes a fresh Ed25519 identity. */
export function freshIdentity (): SybilIdentity {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  const x = publicKey.export({ format: 'jwk' }).x ?? ''
  const key = new Uint8Array([...ED25519_PROTOBUF_HEADER, ...Buffer.from(x, 'base64url')])
  const multihash = new Uint8Array([...IDENTITY_MULTIHASH_HEADER, ...key])
  const peerId = base58(multihash)
  // What gossipsub reads of the author while it builds a message: the multihash of the id (the
  // message id comes from the protobuf key it is given next to it).
  const author = {
    type: 'Ed25519',
    publicKey: undefined,
    toMultihash: () => ({ code: 0, size: key.byteLength, digest: key, bytes: multihash }),
    toString: () => peerId,
    equals: (other: unknown) => String(other) === peerId
  }
  const signer = { sign: (data: Uint8Array) => new Uint8Array(sign(null, data, privateKey)) }
  return { peerId, publishConfig: { type: PUBLISH_CONFIG_SIGNING, author, key, privateKey: signer } }
}

/**
 * Publishes `data` on `topic` from `node`'s gossipsub, signed by `identity` instead of the
 * node's own key. gossipsub reads its publish config synchronously when a publication starts,
 * so the node's own config is back in place before anything else can publish.
 */
export async function publishAs (node: SwarmNode, identity: SybilIdentity, topic: string, data: Uint8Array): Promise<number> {
  const pubsub = node.libp2p.services.pubsub
  const internals = pubsub as unknown as { publishConfig: unknown }
  const own = internals.publishConfig
  internals.publishConfig = identity.publishConfig
  let publication: ReturnType<typeof pubsub.publish>
  try {
    publication = pubsub.publish(topic, data)
  } finally {
    internals.publishConfig = own
  }
  return (await publication).recipients.length
}
