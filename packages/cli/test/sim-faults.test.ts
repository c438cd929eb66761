/**
 * `swarm-node sim` flags of the frozen peers, the liars and the announcers: how they become
 * scenario overrides, and bad values named before any peer starts.
 */
import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { resolve } from 'node:path'
import { loadScenario } from '@swarm/sim'
import { simOverrides } from '../src/commands/sim.js'
import { assertUsage } from './helpers.js'

describe('simOverrides: freeze, liars, announcers', () => {
  it('maps the flags to freeze.*, liars.fraction and tasks.announcerCount', () => {
    assert.deepEqual(simOverrides({ freeze: '0.1', freezeAt: '0.5', freezeDuration: '15s', liars: '0.2', announcers: '5' }), {
      freeze: { fraction: 0.1, at: 0.5, durationMs: 15_000 },
      liars: { fraction: 0.2 },
      tasks: { announcerCount: 5 }
    })
  })

  it('gives every peer the swarm key of --swarm-key (a private swarm), keeping the preset\'s node settings', () => {
    const s = loadScenario('freeze-100', simOverrides({ swarmKey: 'swarm.key' }))
    assert.equal(s.node.swarmKey, resolve('swarm.key'))
    assert.equal(s.node.startBatch, loadScenario('freeze-100').node.startBatch)
    assertUsage(() => simOverrides({ swarmKey: ' ' }), /--swarm-key/)
  })

  it('overrides a preset field by field', () => {
    const s = loadScenario('freeze-100', simOverrides({ freezeDuration: '0', peers: '40' }))
    assert.equal(s.freeze.durationMs, 0)
    assert.equal(s.freeze.fraction, 0.1)
    assert.equal(s.peers, 40)
  })

  for (const [flags, pattern] of [
    [{ freeze: '1.5' }, /--freeze/],
    [{ freezeAt: 'soon' }, /--freeze-at/],
    [{ freezeDuration: 'forever' }, /--freeze-duration/],
    [{ liars: '-0.1' }, /--liars/],
    [{ announcers: '0' }, /--announcers/]
  ] as const) {
    it(`rejects ${JSON.stringify(flags)}, naming the flag`, () => { assertUsage(() => simOverrides(flags), pattern) })
  }
})
