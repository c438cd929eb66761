import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ensureDataDir } from '../src/data-dir.js'
import { SwarmError } from '../src/errors.js'

function assertDataDirError (fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof SwarmError, String(err))
    assert.equal(err.code, 'DATA_DIR')
    assert.match(err.message, pattern)
    return true
  })
}

describe('ensureDataDir', () => {
  it('creates missing parents, each a private folder', () => {
    const base = mkdtempSync(join(tmpdir(), 'swarm-data-dir-'))
    try {
      const paths = ensureDataDir(join(base, 'a', 'b', 'c'))
      assert.equal(paths.root, join(base, 'a', 'b', 'c'))
      assert.ok(statSync(join(base, 'a', 'b', 'c')).isDirectory())
      assert.equal(statSync(join(base, 'a')).mode & 0o777, 0o700)
      // Again: an existing folder is fine.
      ensureDataDir(join(base, 'a', 'b', 'c'))
    } finally {
      rmSync(base, { recursive: true, force: true })
    }
  })

  it('refuses at once a folder under /proc (where a recursive mkdir never returns)', () => {
    assertDataDirError(() => ensureDataDir('/proc/swarm-no-such-dir/x'), /cannot use data directory \/proc\/swarm-no-such-dir\/x: .*ENOENT.*pass --data-dir/)
  })

  it('refuses a path that is a file', () => {
    const base = mkdtempSync(join(tmpdir(), 'swarm-data-dir-'))
    try {
      writeFileSync(join(base, 'file'), 'x')
      assertDataDirError(() => ensureDataDir(join(base, 'file')), /not a directory/)
      assertDataDirError(() => ensureDataDir(join(base, 'file', 'below')), /ENOTDIR/)
    } finally {
      rmSync(base, { recursive: true, force: true })
    }
  })
})
