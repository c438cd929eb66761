/**
 * A cheap id of a raw gossip message (before its signature is checked), so that gossipsub
 * drops duplicates without verifying their signatures again. FNV-1a over sender, sequence
 * number and data.
 */
export function fastMessageId (msg: { from?: Uint8Array, seqno?: Uint8Array, data?: Uint8Array, topic: string }): string {
  let h1 = 0x811c9dc5
  let h2 = 0x01000193 ^ (msg.data?.byteLength ?? 0)
  const mix = (bytes: Uint8Array | undefined): void => {
    if (bytes === undefined) return
    for (let i = 0; i < bytes.byteLength; i++) {
      const b = bytes[i] as number
      h1 = Math.imul(h1 ^ b, 0x01000193)
      h2 = Math.imul(h2 ^ b, 0x5bd1e995) ^ (h2 >>> 15)
    }
  }
  mix(msg.from)
  mix(msg.seqno)
  mix(msg.data)
  return (h1 >>> 0).toString(36) + '.' + (h2 >>> 0).toString(36) + '.' + (msg.data?.byteLength ?? 0).toString(36)
}
