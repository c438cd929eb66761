import { privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { z } from 'zod'
import { SwarmError } from '../errors.js'
import type { PrivateKey } from '@libp2p/interface'

const Base64Schema = z.string().trim().regex(/^[A-Za-z0-9+/_-]+={0,2}$/, 'must be base64').min(16)

/**
 * Decodes a peer key given as text: the base64 of the protobuf bytes a node keeps in
 * <data dir>/peer.key (`base64 -w0 peer.key`). Used to give the registry a fixed identity.
 */
export function decodePeerKey (text: string, source = 'peer key'): PrivateKey {
  const parsed = Base64Schema.safeParse(text)
  if (!parsed.success) {
    throw new SwarmError('CONFIG_INVALID', `invalid ${source}: expected the base64 of a peer.key file (base64 -w0 <data dir>/peer.key)`)
  }
  try {
    return privateKeyFromProtobuf(Buffer.from(parsed.data, parsed.data.includes('-') || parsed.data.includes('_') ? 'base64url' : 'base64'))
  } catch (err) {
    throw new SwarmError('CONFIG_INVALID', `invalid ${source}: not a libp2p private key (${(err as Error).message}); copy it with base64 -w0 <data dir>/peer.key`)
  }
}

/** The text form of a key, as decodePeerKey reads it. */
export function encodePeerKey (key: PrivateKey): string {
  return Buffer.from(privateKeyToProtobuf(key)).toString('base64')
}
