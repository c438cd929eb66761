import { peerIdFromString } from '@libp2p/peer-id'
import type { SignerPort } from '../ports/signer.js'
import type { PrivateKey } from '@libp2p/interface'

/**
 * Whether `sig` is `peerId`'s signature of `bytes`, with the public key inlined in the peer id
 * (Ed25519 and secp256k1 peer ids carry it; an RSA one does not, and fails).
 */
export async function verifyPeerSignature (peerId: string, bytes: Uint8Array, sig: Uint8Array): Promise<boolean> {
  try {
    const key = peerIdFromString(peerId).publicKey
    if (key === undefined) return false
    return await key.verify(bytes, sig)
  } catch {
    return false
  }
}

/** The signer port over this node's libp2p private key. */
export function keySigner (privateKey: PrivateKey): SignerPort {
  return {
    sign: async bytes => await privateKey.sign(bytes),
    verify: verifyPeerSignature
  }
}
