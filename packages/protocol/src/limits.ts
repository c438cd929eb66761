/**
 * Size limits of the wire protocol. Every decoder enforces them before parsing, so an
 * oversized message costs the receiver nothing but the bytes it already read.
 */
export const LIMITS = {
  /** Largest message published on a gossipsub topic (encoded bytes). */
  maxGossipMessageBytes: 64 * 1024,
  /** Largest single length-prefixed message on a direct stream (encoded bytes). */
  maxStreamMessageBytes: 1024 * 1024,
  /** Largest task input carried inline in an announcement (encoded JSON bytes). */
  maxInlineInputBytes: 32 * 1024,
  /** Largest task input fetched from the announcer over a stream (encoded JSON bytes). */
  maxFetchedInputBytes: 16 * 1024 * 1024,
  /** Largest result a member may send back (encoded JSON bytes). */
  maxResultBytes: 512 * 1024,
  /** Skills one agent may advertise. */
  maxSkillsPerAgent: 64,
  /** Skills one task may require. */
  maxSkillsPerTask: 16,
  /** Members of one working group. */
  maxGroupSize: 64,
  /** Addresses in one agent card or announcement. */
  maxAddrs: 16,
  /** Characters of a free-text description. */
  maxDescriptionChars: 4096,
  /** Characters of a short text field (names, reasons, ids). */
  maxShortTextChars: 256,
  /**
   * Nesting of arrays and objects in one message, the envelope counting as level 1. Deeper
   * JSON is refused before validation (a few thousand levels would exhaust the stack).
   */
  maxJsonDepth: 64
} as const

