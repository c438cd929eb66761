/**
 * A signer for unit tests: a "signature" is the SHA-256 of the signer's peer id and the bytes,
 * so it verifies for exactly that peer and those bytes (a changed byte, or another peer's
 * signature, fails) without real keys. Cheap and deterministic; the real one is net/key-signer.ts.
 */
import { createHash } from 'node:crypto'
import type { SignerPort } from '../../src/ports/signer.js'
import type { PeerId } from '@libp2p/interface'

function digest (peerId: string, bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`fake-signature:${peerId}:`).update(bytes).digest())
}

/** The fake signer of `self`. */
export function fakeSigner (self: PeerId | string): SignerPort {
  const id = self.toString()
  return {
    sign: async bytes => digest(id, bytes),
    verify: async (peerId, bytes, sig) => Buffer.from(digest(peerId, bytes)).equals(Buffer.from(sig))
  }
}
