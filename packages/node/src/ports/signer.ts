/**
 * Signing with this node's libp2p identity, and checking another peer's signature: what makes
 * offers (and votes) verifiable by anyone later, without trusting whoever relayed them.
 * Implemented over the node's private key by net/key-signer.ts; faked in unit tests.
 */
export interface SignerPort {
  /** Signs `bytes` with this node's private key (Ed25519 for the keys the node creates). */
  sign: (bytes: Uint8Array) => Promise<Uint8Array>
  /**
   * Whether `sig` is `peerId`'s signature of `bytes` (the public key is taken from the peer id).
   * False, never a throw, for a peer id that is not one or carries no inline public key.
   */
  verify: (peerId: string, bytes: Uint8Array, sig: Uint8Array) => Promise<boolean>
}
