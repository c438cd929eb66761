/**
 * `swarm-node sim --adversaries <fraction:kinds>` and `--no-compare-clean`: how they become the
 * scenario's adversaries block, over a preset's, and bad values named before any peer starts.
 */
import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { loadScenario } from '@swarm/sim'
import { simOverrides } from '../src/commands/sim.js'
import { assertUsage } from './helpers.js'

describe('simOverrides: adversaries', () => {
  it('maps --adversaries to the fraction and the kinds, every kind when none is named', () => {
    assert.deepEqual(simOverrides({ adversaries: '0.1:flood,liar,sybil,lockout' }), { adversaries: { fraction: 0.1, kinds: ['flood', 'liar', 'sybil', 'lockout'] } })
    assert.deepEqual(simOverrides({ adversaries: '0.2:sybil' }), { adversaries: { fraction: 0.2, kinds: ['sybil'] } })
    assert.deepEqual(simOverrides({ adversaries: '0.05' }), { adversaries: { fraction: 0.05, kinds: ['flood', 'liar', 'sybil', 'lockout'] } })
  })

  it('turns the clean run off only with --no-compare-clean (commander gives compareClean true otherwise)', () => {
    assert.deepEqual(simOverrides({ adversaries: '0.1', compareClean: false }), { adversaries: { fraction: 0.1, kinds: ['flood', 'liar', 'sybil', 'lockout'], compareClean: false } })
    assert.deepEqual(simOverrides({ compareClean: true }), {})
    const s = loadScenario(undefined, simOverrides({ peers: '20', adversaries: '0.2:flood', compareClean: false }))
    assert.equal(s.adversaries?.compareClean, false)
    assert.deepEqual(s.adversaries?.kinds, ['flood'])
  })

  it('overrides the adversaries of a preset field by field', () => {
    const preset = loadScenario('adversaries-100')
    assert.equal(preset.adversaries?.fraction, 0.1)
    const s = loadScenario('adversaries-100', simOverrides({ adversaries: '0.2:lockout', peers: '40' }))
    assert.equal(s.adversaries?.fraction, 0.2)
    assert.deepEqual(s.adversaries?.kinds, ['lockout'])
    assert.equal(s.adversaries?.lockout.bidWindowMs, preset.adversaries?.lockout.bidWindowMs)
    assert.equal(s.peers, 40)
  })

  for (const [value, pattern] of [
    ['', /--adversaries "": .*fraction/],
    ['x:flood', /fraction must be a number/],
    ['1.5:flood', /fraction must be a number from 0 to 1/],
    ['0.1:flood,worm', /unknown kind "worm"/],
    ['0.1:flood,flood', /"flood" is named twice/],
    ['0.1:', /name at least one kind/],
    ['0.1:flood:liar', /one ":" at most/]
  ] as const) {
    it(`rejects --adversaries ${JSON.stringify(value)} as a usage error, naming what is wrong`, () => { assertUsage(() => simOverrides({ adversaries: value }), pattern) })
  }
})
