/**
 * Swarm key files: `keygen` writes a libp2p PSK v1 key (mode 0600) that `@libp2p/pnet` reads,
 * refuses to overwrite one without --force, and a bad or missing file is named with what to do.
 */
import { afterEach, beforeEach, describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { newSwarmKey, readSwarmKey, writeSwarmKey } from '../../src/net/private-network.js'

describe('swarm key files', () => {
  let dir: string
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'swarm-key-')) })
  afterEach(() => { rmSync(dir, { recursive: true, force: true }) })

  it('writes a new PSK v1 key, private to its owner, and reads it back', () => {
    const path = join(dir, 'swarm.key')
    writeSwarmKey(path)
    const text = readFileSync(path, 'utf8')
    assert.match(text, /^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-f]{64}\n$/)
    assert.equal(statSync(path).mode & 0o777, 0o600)
    assert.equal(new TextDecoder().decode(readSwarmKey(path)), text)
    assert.notEqual(newSwarmKey(), newSwarmKey())
  })

  it('does not replace an existing key without force', () => {
    const path = join(dir, 'swarm.key')
    writeSwarmKey(path)
    const first = readFileSync(path, 'utf8')
    assert.throws(() => { writeSwarmKey(path) }, /exists already.*--force/)
    assert.equal(readFileSync(path, 'utf8'), first)
    writeSwarmKey(path, true)
    assert.notEqual(readFileSync(path, 'utf8'), first)
  })

  it('names a missing or malformed key file and says how to make one', () => {
    assert.throws(() => readSwarmKey(join(dir, 'none.key')), /cannot read the swarm key file .*none\.key.*swarm-node keygen --swarm-key/)
    const bad = join(dir, 'bad.key')
    writeFileSync(bad, '/key/swarm/psk/1.0.0/\n/base16/\nnot-hex\n')
    assert.throws(() => readSwarmKey(bad), /is not a libp2p PSK v1 key/)
  })
})
