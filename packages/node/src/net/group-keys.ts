/**
 * The keys of the group topics this node is in, by topic and epoch (docs/protocol.md "Group
 * encryption"). A newer epoch becomes the one messages are sealed with; the epochs before it
 * still open messages for a grace period (members that have not heard of the rotation yet),
 * then are forgotten. Sealed messages of an epoch not known yet (a rotation notice still on
 * its way) may be held briefly and handed back when their key arrives.
 */

/** A key of one epoch. */
interface EpochKey {
  epoch: number
  key: Uint8Array
}

interface TopicKeys<Held> {
  current: EpochKey
  /** Earlier epochs still accepted, until their time. */
  older: Map<number, { key: Uint8Array, until: number }>
  held: Array<{ epoch: number, until: number, item: Held }>
}

/** Sealed messages held per topic at most (awaiting their epoch's key). */
const MAX_HELD_PER_TOPIC = 64

export class GroupKeyRing<Held = unknown> {
  readonly #topics = new Map<string, TopicKeys<Held>>()
  readonly #graceMs: number

  /** `graceMs`: how long an epoch still opens messages once a newer one is installed. */
  constructor (graceMs: number) {
    this.#graceMs = graceMs
  }

  /**
   * Installs the key of `epoch` for `topic`. A newer epoch than the current one becomes current
   * (the current one is kept for the grace period); the current epoch again (the same key sent
   * twice) changes nothing; an older one is not taken. Returns whether the key is now known.
   */
  install (topic: string, epoch: number, key: Uint8Array, now: number): boolean {
    const keys = this.#topics.get(topic)
    if (keys === undefined) {
      this.#topics.set(topic, { current: { epoch, key }, older: new Map(), held: [] })
      return true
    }
    if (epoch < keys.current.epoch) return keys.older.has(epoch)
    if (epoch === keys.current.epoch) {
      keys.current = { epoch, key }
      return true
    }
    keys.older.set(keys.current.epoch, { key: keys.current.key, until: now + this.#graceMs })
    keys.current = { epoch, key }
    return true
  }

  /** The key messages on `topic` are sealed with, if the topic has one. */
  current (topic: string): EpochKey | undefined {
    return this.#topics.get(topic)?.current
  }

  /** Whether `topic` has a key (then only sealed messages are taken there). */
  has (topic: string): boolean {
    return this.#topics.has(topic)
  }

  /** The key of `epoch` on `topic`, if it is current or still in its grace period. */
  keyOf (topic: string, epoch: number, now: number): Uint8Array | undefined {
    const keys = this.#topics.get(topic)
    if (keys === undefined) return undefined
    if (epoch === keys.current.epoch) return keys.current.key
    const older = keys.older.get(epoch)
    if (older === undefined) return undefined
    if (now > older.until) {
      keys.older.delete(epoch)
      return undefined
    }
    return older.key
  }

  /** Forgets every key of `topic` (the group dissolved, or this node left it), and what it held. */
  drop (topic: string): void {
    this.#topics.delete(topic)
  }

  /**
   * Holds `item` (a sealed message of `epoch`) for the grace period when `epoch` is newer than
   * the topic's current one: its key is probably on its way. Returns whether it was held.
   */
  hold (topic: string, epoch: number, item: Held, now: number): boolean {
    const keys = this.#topics.get(topic)
    if (keys === undefined || epoch <= keys.current.epoch) return false
    keys.held = keys.held.filter(h => h.until >= now)
    if (keys.held.length >= MAX_HELD_PER_TOPIC) return false
    keys.held.push({ epoch, until: now + this.#graceMs, item })
    return true
  }

  /** Takes the items held for `epoch` on `topic` (its key just arrived), still in their time. */
  release (topic: string, epoch: number, now: number): Held[] {
    const keys = this.#topics.get(topic)
    if (keys === undefined) return []
    const due = keys.held.filter(h => h.epoch === epoch && h.until >= now)
    keys.held = keys.held.filter(h => h.epoch !== epoch && h.until >= now)
    return due.map(h => h.item)
  }
}
