/**
 * An {@link EventSink} that keeps every event a service emits, for assertions, and fake peer ids
 * for the tests that need real-looking peers (services parse peer id strings).
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { EventSink } from '../../src/ports/events.js'
import type { PeerId } from '@libp2p/interface'

export class RecordingEvents<Events> implements EventSink<Events> {
  readonly emitted: Array<{ event: keyof Events & string, payload: unknown }> = []

  emit<K extends keyof Events & string>(event: K, payload: Events[K]): void {
    this.emitted.push({ event, payload })
  }

  /** Payloads of one event, in order. */
  of<K extends keyof Events & string>(event: K): Array<Events[K]> {
    return this.emitted.filter(e => e.event === event).map(e => e.payload as Events[K])
  }

  /** Names of the events emitted, in order. */
  names (): string[] {
    return this.emitted.map(e => e.event)
  }
}

/** `n` fresh peer ids (Ed25519 keys). */
export async function fakePeerIds (n: number): Promise<PeerId[]> {
  return await Promise.all(Array.from({ length: n }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))))
}
