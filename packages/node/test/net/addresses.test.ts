import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { checkAddresses } from '../../src/net/addresses.js'
import { SwarmError } from '../../src/errors.js'

const PEER = '12D3KooWPZ6CaUjSWwPVxf4Wy4kBvhtyfBL8prRai8TX7PzDxrw8'

function refused (config: { listen?: string[], announce?: string[], bootstrap?: string[] }, pattern: RegExp): void {
  assert.throws(() => { checkAddresses({ listen: [], announce: [], bootstrap: [], ...config }) }, (err: unknown) => {
    assert.ok(err instanceof SwarmError, String(err))
    assert.equal(err.code, 'ADDRESS_INVALID')
    assert.match(err.message, pattern)
    return true
  })
}

describe('checkAddresses', () => {
  it('accepts TCP and relay listen addresses and full bootstrap addresses', () => {
    checkAddresses({
      listen: ['/ip4/0.0.0.0/tcp/4001', '/ip6/::/tcp/0', '/p2p-circuit'],
      announce: ['/dns4/node.example/tcp/4001'],
      bootstrap: [`/ip4/10.0.0.5/tcp/4001/p2p/${PEER}`, `/dns4/registry/tcp/4100/p2p/${PEER}/p2p-circuit/p2p/${PEER}`]
    })
  })

  it('names the field, the value and the peer id form for a bootstrap address with a bad peer id', () => {
    refused({ bootstrap: ['/ip4/127.0.0.1/tcp/4001/p2p/notapeerid'] }, /^bootstrap\.0: "notapeerid" in "\/ip4\/127\.0\.0\.1\/tcp\/4001\/p2p\/notapeerid" is not a peer id \(they look like 12D3KooW…/)
    // The README's placeholder, copied as it is.
    refused({ bootstrap: [`/ip4/10.0.0.5/tcp/4001/p2p/${PEER}`, '/ip4/10.0.0.5/tcp/4001/p2p/12D3KooW...'] }, /^bootstrap\.1: "12D3KooW\.\.\." /)
    refused({ bootstrap: ['/ip4/10.0.0.5/tcp/4001'] }, /^bootstrap\.0: .* has no \/p2p\/<peer id> part/)
  })

  it('refuses a listen address of a transport the node has not (QUIC, WebSockets)', () => {
    refused({ listen: ['/ip4/0.0.0.0/udp/4001/quic-v1'] }, /^listen\.0: "\/ip4\/0\.0\.0\.0\/udp\/4001\/quic-v1" is not a transport this node has: it listens on TCP only/)
    refused({ listen: ['/ip4/0.0.0.0/tcp/4001', '/ip4/0.0.0.0/tcp/4002/ws'] }, /^listen\.1: /)
  })

  it('refuses what is not a multiaddr, naming the field', () => {
    refused({ listen: ['127.0.0.1:4001'] }, /^listen\.0: "127\.0\.0\.1:4001" is not a multiaddr/)
    refused({ announce: ['/ip4/999.1.1.1/tcp/1'] }, /^announce\.0: /)
  })
})
