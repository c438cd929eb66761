/**
 * Sealing of group-topic messages (docs/protocol.md "Group encryption"): AES-256-GCM with the
 * group's 32-byte key of one epoch, a random 12-byte nonce per message, and the topic and the
 * epoch as associated data, so that a sealed message cannot be replayed on another group's topic
 * or under another epoch. Pure functions; the key ring is group-keys.ts, the use gossip.ts.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { MAX_SEALED_DATA_CHARS } from '@swarm/protocol'

/** Bytes of a group key (AES-256). */
export const GROUP_KEY_BYTES = 32
const NONCE_BYTES = 12
const TAG_BYTES = 16

/** A sealed payload as it travels in a SEALED body (base64url). */
interface SealedPayload {
  nonce: string
  data: string
}

/** A fresh random group key. */
export function newGroupKey (): Uint8Array {
  return new Uint8Array(randomBytes(GROUP_KEY_BYTES))
}

/** A group key as it travels in TASK_START and GROUP_KEY (base64url, 43 characters). */
export function encodeGroupKey (key: Uint8Array): string {
  return Buffer.from(key).toString('base64url')
}

/** The key of its base64url form, or undefined when it is not 32 bytes. */
export function decodeGroupKey (text: string): Uint8Array | undefined {
  const key = Buffer.from(text, 'base64url')
  return key.byteLength === GROUP_KEY_BYTES ? new Uint8Array(key) : undefined
}

/** The associated data of a sealed message: what it is bound to besides its key. */
function associatedData (topic: string, epoch: number): Buffer {
  return Buffer.from(`${topic}\n${epoch}`, 'utf8')
}

/** Encrypts `plaintext` for the group of `topic` with its key of `epoch`. */
export function seal (key: Uint8Array, topic: string, epoch: number, plaintext: Uint8Array): SealedPayload {
  const nonce = randomBytes(NONCE_BYTES)
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES })
  cipher.setAAD(associatedData(topic, epoch))
  const data = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()])
  return { nonce: nonce.toString('base64url'), data: data.toString('base64url') }
}

/**
 * Decrypts a sealed payload; undefined when it does not open (another key, topic or epoch, or
 * any byte changed).
 */
export function open (key: Uint8Array, topic: string, epoch: number, sealed: SealedPayload): Uint8Array | undefined {
  const nonce = Buffer.from(sealed.nonce, 'base64url')
  const data = Buffer.from(sealed.data, 'base64url')
  if (nonce.byteLength !== NONCE_BYTES || data.byteLength < TAG_BYTES || key.byteLength !== GROUP_KEY_BYTES) return undefined
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES })
    decipher.setAAD(associatedData(topic, epoch))
    decipher.setAuthTag(data.subarray(data.byteLength - TAG_BYTES))
    return new Uint8Array(Buffer.concat([decipher.update(data.subarray(0, data.byteLength - TAG_BYTES)), decipher.final()]))
  } catch {
    return undefined
  }
}

/** Largest encoded SEALED message: its sealed data and the envelope around it. */
export const MAX_SEALED_MESSAGE_BYTES = MAX_SEALED_DATA_CHARS + 1024
