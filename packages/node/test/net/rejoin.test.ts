import assert from 'node:assert/strict'
import { describe, it } from 'vitest'
import { silentLogger } from '../../src/logger.js'
import { BootstrapRejoiner, dialFailureHint, rejoinDelay } from '../../src/net/rejoin.js'

const ADDR = '/ip4/10.77.0.1/tcp/4100/p2p/12D3KooWE3wctGQja2Ai2LnQSbdpraq3N6y4TAgNM1PJYW9QTP1E'

describe('dialFailureHint', () => {
  it('tells a user what a failed bootstrap dial means', () => {
    assert.match(dialFailureHint(Object.assign(new Error('Message length too long - 13329 > 1024'), { name: 'EncryptionFailedError' })), /private swarm.*same --swarm-key/)
    assert.match(dialFailureHint(new Error('connect ECONNREFUSED 127.0.0.1:4001')), /nothing listens/)
    assert.match(dialFailureHint(new Error('The operation was aborted')), /no answer in time/)
    assert.equal(dialFailureHint(new Error('something else')), 'something else')
  })
})

describe('rejoinDelay', () => {
  it('doubles from the base up to the maximum', () => {
    assert.deepEqual([0, 1, 2, 3, 10, 100].map(a => rejoinDelay(a)), [1_000, 2_000, 4_000, 8_000, 30_000, 30_000])
    assert.equal(rejoinDelay(2, 500, 100), 400)
    assert.equal(rejoinDelay(5, 500, 100), 500)
  })
})

describe('BootstrapRejoiner', () => {
  it('dials the bootstrap addresses while alone, and stops once connected', async () => {
    let connections = 0
    const dialled: string[] = []
    let onDial = (): void => {}
    const libp2p = {
      getConnections: () => new Array(connections).fill(null),
      dial: async (addr: unknown) => {
        dialled.push(String(addr))
        onDial()
        if (dialled.length === 1) throw new Error('connection refused')
        connections = 1
        return undefined as never
      }
    } as unknown as ConstructorParameters<typeof BootstrapRejoiner>[0]['libp2p']
    const rejoiner = new BootstrapRejoiner({ libp2p, addrs: [ADDR], logger: silentLogger(), baseDelayMs: 5, maxDelayMs: 20 })
    const twoDials = new Promise<void>(resolve => { onDial = () => { if (dialled.length === 2) resolve() } })
    rejoiner.start()
    await twoDials
    // Connected now: a few more periods pass without another dial.
    await new Promise(resolve => setTimeout(resolve, 60))
    rejoiner.stop()
    assert.deepEqual(dialled, [ADDR, ADDR])
  })

  it('does nothing without bootstrap addresses', () => {
    const libp2p = { getConnections: () => [], dial: async () => { throw new Error('must not dial') } } as unknown as ConstructorParameters<typeof BootstrapRejoiner>[0]['libp2p']
    const rejoiner = new BootstrapRejoiner({ libp2p, addrs: [], logger: silentLogger() })
    rejoiner.start()
    rejoiner.stop()
  })
})
