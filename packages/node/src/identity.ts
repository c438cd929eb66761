import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync, chmodSync } from 'node:fs'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { SwarmError } from './errors.js'
import type { PrivateKey } from '@libp2p/interface'

/**
 * Loads the node's private key from `path`, or creates an Ed25519 key there (mode 0600) on
 * first start. The key is the node's identity: the same peer id comes back after a restart.
 */
export async function loadOrCreatePrivateKey (path: string): Promise<PrivateKey> {
  if (existsSync(path)) {
    try {
      return privateKeyFromProtobuf(readFileSync(path))
    } catch (err) {
      throw new SwarmError('DATA_DIR', `private key ${path} is unreadable or corrupt (${(err as Error).message}); move it away to create a new identity`, { path })
    }
  }
  const key = await generateKeyPair('Ed25519')
  writeFileSync(path, privateKeyToProtobuf(key), { mode: 0o600, flag: 'wx' })
  chmodSync(path, 0o600)
  return key
}

/** Loads the control API token from `path`, or creates a random one there (mode 0600). */
export function loadOrCreateToken (path: string): string {
  if (existsSync(path)) {
    const token = readFileSync(path, 'utf8').trim()
    if (token.length >= 16) return token
  }
  const token = randomBytes(32).toString('base64url')
  writeFileSync(path, token + '\n', { mode: 0o600 })
  chmodSync(path, 0o600)
  return token
}
