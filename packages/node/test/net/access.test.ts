/**
 * Who may connect: an allow list admits only its peers, a deny list and run-time blocks refuse
 * theirs, blocks survive a restart (the file in the data directory), a bad peer id is named, and a
 * damaged file is reported rather than silently trusted.
 */
import { afterEach, beforeEach, describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PeerAccess } from '../../src/net/access.js'
import { silentLogger } from '../../src/logger.js'
import { fakePeerIds } from '../fakes/fake-events.js'
import { memoryLog } from '../fakes/memory-log.js'

describe('PeerAccess', () => {
  let dir: string
  let a: string
  let b: string
  let c: string

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'swarm-access-'))
    ;[a, b, c] = (await fakePeerIds(3)).map(p => p.toString()) as [string, string, string]
  })
  afterEach(() => { rmSync(dir, { recursive: true, force: true }) })

  it('lets anyone in without lists; an allow list admits only its peers; deny beats allow', () => {
    assert.equal(new PeerAccess({ allow: [], deny: [] }, silentLogger()).permits(a), true)
    const listed = new PeerAccess({ allow: [a, b], deny: [b] }, silentLogger())
    assert.deepEqual([a, b, c].map(p => listed.permits(p)), [true, false, false])
  })

  it('keeps run-time blocks across a restart, and lifts them', () => {
    const file = join(dir, 'blocked.json')
    const first = new PeerAccess({ allow: [], deny: [], file }, silentLogger())
    assert.equal(first.block(a, 1_000, 'spam'), true)
    assert.equal(first.block(a, 2_000), false, 'blocked already')
    assert.equal(first.permits(a), false)
    const again = new PeerAccess({ allow: [], deny: [], file }, silentLogger())
    assert.equal(again.permits(a), false)
    assert.deepEqual(again.view().blocked, [{ peerId: a, at: 1_000, reason: 'spam' }])
    assert.equal(again.unblock(a), true)
    assert.equal(new PeerAccess({ allow: [], deny: [], file }, silentLogger()).permits(a), true)
  })

  it('names a bad peer id, in the config and at run time', () => {
    assert.throws(() => new PeerAccess({ allow: ['12D3KooW...'], deny: [] }, silentLogger()), /allow: "12D3KooW\.\.\." is not a peer id/)
    assert.throws(() => new PeerAccess({ allow: [], deny: [] }, silentLogger()).block('nope', 1), /block: "nope" is not a peer id/)
  })

  it('says so loudly when the blocks file is damaged', () => {
    const file = join(dir, 'blocked.json')
    writeFileSync(file, '{ not json')
    const { logger, lines } = memoryLog()
    const access = new PeerAccess({ allow: [], deny: [], file }, logger)
    assert.equal(access.permits(a), true)
    assert.ok(lines.some(l => l.level === 'error' && /blocked peers file cannot be read/.test(String(l.msg))))
  })
})
