import assert from 'node:assert/strict'
import { describe, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { isSwarmError } from '../../src/errors.js'
import { dhtMode } from '../../src/net/libp2p.js'
import { decodePeerKey, encodePeerKey, registryConfig, REGISTRY_API_PORT, REGISTRY_LISTEN } from '../../src/registry/index.js'

function assertConfigError (fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isSwarmError(err), String(err))
    assert.equal(err.code, 'CONFIG_INVALID')
    assert.match(err.message, pattern)
    return true
  })
}

describe('registryConfig', () => {
  it('sets the registry defaults: fixed port, DHT server, relay server, no skills', () => {
    const config = registryConfig({ dataDir: '/var/lib/swarm-registry' })
    assert.equal(config.role, 'registry')
    assert.equal(config.name, 'registry')
    assert.deepEqual(config.listen, [REGISTRY_LISTEN])
    assert.equal(config.api.port, REGISTRY_API_PORT)
    assert.equal(dhtMode(config), 'server')
    assert.equal(config.relay.server, true)
    assert.equal(config.relay.maxReservations, 128)
    assert.deepEqual(config.skills, [])
    assert.equal(config.capacity, 0)
    assert.equal(config.connections.maxConnections, 1000)
  })

  it('lets the operator change address, network, relay and DHT', () => {
    const config = registryConfig({ dataDir: '/d', listen: ['/ip4/10.0.0.5/tcp/4200'], network: 'lab', relay: { server: false }, dht: false, api: { port: 0 } })
    assert.deepEqual(config.listen, ['/ip4/10.0.0.5/tcp/4200'])
    assert.equal(config.network, 'lab')
    assert.equal(config.relay.server, false)
    assert.equal(dhtMode(config), 'off')
    assert.equal(config.api.port, 0)
  })

  it('refuses skills and another role', () => {
    assertConfigError(() => registryConfig({ skills: [{ name: 'viz', level: 'expert' }] }), /registry has no skills/)
    assertConfigError(() => registryConfig({ role: 'agent' }), /role "registry"/)
  })

  it('validates what it is given', () => {
    assertConfigError(() => registryConfig({ relay: { maxReservations: 0 } }), /relay\.maxReservations/)
  })
})

describe('agent defaults for relay and DHT', () => {
  it('agents dial relays, relay for no one and run no DHT', async () => {
    const { parseConfig } = await import('../../src/config.js')
    const config = parseConfig({})
    assert.equal(config.role, 'agent')
    assert.deepEqual(config.relay, { client: true, server: false, maxReservations: 128 })
    assert.equal(dhtMode(config), 'off')
    assert.equal(dhtMode(parseConfig({ dht: 'client' })), 'client')
    assert.equal(dhtMode(parseConfig({ dht: true })), 'server')
  })
})

describe('peer keys as text', () => {
  it('round-trips a key, so a fixed key gives a known peer id', async () => {
    const key = await generateKeyPair('Ed25519')
    const text = encodePeerKey(key)
    const back = decodePeerKey(text)
    assert.equal(peerIdFromPrivateKey(back).toString(), peerIdFromPrivateKey(key).toString())
    assert.equal(peerIdFromPrivateKey(decodePeerKey(`  ${text}\n`)).toString(), peerIdFromPrivateKey(key).toString())
  })

  it('says how to produce one when the text is not a key', () => {
    assertConfigError(() => decodePeerKey('not a key!', 'SWARM_PEER_KEY'), /SWARM_PEER_KEY.*base64 -w0/)
    assertConfigError(() => decodePeerKey(Buffer.from('definitely not protobuf bytes').toString('base64')), /not a libp2p private key/)
  })
})
