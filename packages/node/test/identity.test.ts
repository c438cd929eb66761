import { afterAll, beforeAll, describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { dataDirPaths, ensureDataDir } from '../src/data-dir.js'
import { SwarmError } from '../src/errors.js'
import { loadOrCreatePrivateKey, loadOrCreateToken } from '../src/identity.js'

let dir: string

beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'swarm-identity-test-')) })
afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

function modeOf (path: string): number {
  return statSync(path).mode & 0o777
}

describe('loadOrCreatePrivateKey', () => {
  it('creates an Ed25519 key with mode 0600 and returns the same identity next time', async () => {
    const path = join(dir, 'peer.key')
    assert.equal(existsSync(path), false)
    const first = await loadOrCreatePrivateKey(path)
    assert.equal(first.type, 'Ed25519')
    assert.equal(existsSync(path), true)
    assert.equal(modeOf(path), 0o600)
    const second = await loadOrCreatePrivateKey(path)
    assert.equal(peerIdFromPrivateKey(second).toString(), peerIdFromPrivateKey(first).toString())
    assert.ok(second.equals(first))
  })

  it('creates different identities in different files', async () => {
    const a = await loadOrCreatePrivateKey(join(dir, 'a.key'))
    const b = await loadOrCreatePrivateKey(join(dir, 'b.key'))
    assert.notEqual(peerIdFromPrivateKey(a).toString(), peerIdFromPrivateKey(b).toString())
  })

  it('gives DATA_DIR for a corrupt key file, and leaves the file alone', async () => {
    const path = join(dir, 'corrupt.key')
    writeFileSync(path, 'this is not a protobuf private key')
    await assert.rejects(loadOrCreatePrivateKey(path), (err: unknown) => {
      assert.ok(err instanceof SwarmError)
      assert.equal(err.code, 'DATA_DIR')
      assert.ok(err.message.includes(path), err.message)
      assert.match(err.message, /move it away/)
      assert.equal(err.details.path, path)
      return true
    })
    assert.equal(readFileSync(path, 'utf8'), 'this is not a protobuf private key')
  })

  it('gives DATA_DIR for an empty key file', async () => {
    const path = join(dir, 'empty.key')
    writeFileSync(path, '')
    await assert.rejects(loadOrCreatePrivateKey(path), (err: unknown) => err instanceof SwarmError && err.code === 'DATA_DIR')
  })
})

describe('loadOrCreateToken', () => {
  it('creates a token with mode 0600 and returns it again next time', () => {
    const path = join(dir, 'api-token')
    const token = loadOrCreateToken(path)
    assert.ok(token.length >= 16)
    assert.match(token, /^[A-Za-z0-9_-]+$/)
    assert.equal(modeOf(path), 0o600)
    assert.equal(readFileSync(path, 'utf8').trim(), token)
    assert.equal(loadOrCreateToken(path), token)
  })

  it('keeps a token the operator wrote', () => {
    const path = join(dir, 'own-token')
    writeFileSync(path, '  my-own-long-secret-token  \n')
    assert.equal(loadOrCreateToken(path), 'my-own-long-secret-token')
  })

  it('replaces a token that is too short, with mode 0600', () => {
    const path = join(dir, 'short-token')
    writeFileSync(path, 'short\n', { mode: 0o644 })
    chmodSync(path, 0o644)
    const token = loadOrCreateToken(path)
    assert.notEqual(token, 'short')
    assert.ok(token.length >= 16)
    assert.equal(readFileSync(path, 'utf8').trim(), token)
    assert.equal(modeOf(path), 0o600)
  })

  it('creates different tokens in different files', () => {
    assert.notEqual(loadOrCreateToken(join(dir, 't1')), loadOrCreateToken(join(dir, 't2')))
  })
})

describe('ensureDataDir', () => {
  it('creates a nested folder with mode 0700 and returns its file paths', () => {
    const root = join(dir, 'data', 'nested', 'node-a')
    const paths = ensureDataDir(root)
    assert.ok(statSync(root).isDirectory())
    assert.equal(modeOf(root), 0o700)
    assert.deepEqual(paths, dataDirPaths(root))
    assert.deepEqual(paths, {
      root,
      privateKey: join(root, 'peer.key'),
      apiToken: join(root, 'api-token'),
      a2aToken: join(root, 'a2a-token'),
      apiInfo: join(root, 'api.json'),
      lock: join(root, 'node.lock'),
      database: join(root, 'swarm.db'),
      log: join(root, 'node.log'),
      blocked: join(root, 'blocked.json')
    })
  })

  it('tightens the mode of an existing folder to 0700', () => {
    const root = join(dir, 'existing')
    mkdirSync(root, { mode: 0o755 })
    chmodSync(root, 0o755)
    ensureDataDir(root)
    assert.equal(modeOf(root), 0o700)
  })

  it('is idempotent', () => {
    const root = join(dir, 'twice')
    ensureDataDir(root)
    writeFileSync(join(root, 'keep'), 'x')
    ensureDataDir(root)
    assert.equal(readFileSync(join(root, 'keep'), 'utf8'), 'x')
  })

  it('gives DATA_DIR for a path that is a file', () => {
    const file = join(dir, 'a-file')
    writeFileSync(file, 'not a folder')
    for (const root of [file, join(file, 'below')]) {
      assert.throws(() => ensureDataDir(root), (err: unknown) => {
        assert.ok(err instanceof SwarmError)
        assert.equal(err.code, 'DATA_DIR')
        assert.ok(err.message.includes(root), err.message)
        assert.match(err.message, /--data-dir/)
        return true
      })
    }
  })
})
