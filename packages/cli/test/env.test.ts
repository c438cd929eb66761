import assert from 'node:assert/strict'
import { resolve } from 'node:path'
import { describe, it } from 'vitest'
import { blameEnv, envSources, settingsFromEnv, withEnv } from '../src/env.js'
import { CliError, EXIT } from '../src/exit-codes.js'
import { runCaptured } from './helpers.js'
import { registryOverrides } from '../src/commands/registry.js'
import { dhtFlag, shareableAddrs } from '../src/commands/foreground.js'
import { startOverrides } from '../src/commands/start.js'
import type { StartFlags } from '../src/commands/start.js'
import type { RegistryFlags } from '../src/commands/registry.js'
import { assertUsage } from './helpers.js'

describe('settings from the environment', () => {
  it('reads lists, numbers and switches', () => {
    const env = settingsFromEnv({
      SWARM_SKILLS: 'summarize:expert, viz:intermediate,',
      SWARM_EXEC: 'summarize=node a.mjs --fast; viz=node b.mjs',
      SWARM_BOOTSTRAP: '/dns4/registry/tcp/4100/p2p/12D3KooWabc',
      SWARM_NETWORK: 'lab',
      SWARM_CAPACITY: '2',
      SWARM_MDNS: 'false',
      SWARM_DHT: 'client',
      SWARM_PEER_KEY: 'CAESQ',
      HOME: '/root'
    })
    assert.deepEqual(env, {
      skill: ['summarize:expert', 'viz:intermediate'],
      exec: ['summarize=node a.mjs --fast', 'viz=node b.mjs'],
      bootstrap: ['/dns4/registry/tcp/4100/p2p/12D3KooWabc'],
      network: 'lab',
      capacity: '2',
      mdns: false,
      dht: 'client',
      peerKey: 'CAESQ'
    })
  })

  it('reads the swarm key file from SWARM_KEY_FILE; --swarm-key, --allow and --deny become settings', () => {
    assert.equal(settingsFromEnv({ SWARM_KEY_FILE: '/etc/swarm.key' }).swarmKey, '/etc/swarm.key')
    const overrides = startOverrides({ mdns: true, swarmKey: 'swarm.key', allow: ['12D3KooWa'], deny: ['12D3KooWb'] })
    assert.equal(overrides.swarmKey, resolve('swarm.key'))
    assert.deepEqual(overrides.allow, ['12D3KooWa'])
    assert.deepEqual(overrides.deny, ['12D3KooWb'])
    assertUsage(() => startOverrides({ mdns: true, swarmKey: ' ' }), /--swarm-key/)
  })

  it('removes SWARM_PEER_KEY from the environment once read', () => {
    const env: Record<string, string | undefined> = { SWARM_PEER_KEY: 'CAESQ', SWARM_NAME: 'a' }
    assert.equal(settingsFromEnv(env).peerKey, 'CAESQ')
    assert.deepEqual(env, { SWARM_NAME: 'a' })
  })

  it('treats empty variables as unset', () => {
    assert.deepEqual(settingsFromEnv({ SWARM_SKILLS: '', SWARM_BOOTSTRAP: ' ', SWARM_DHT: '' }), {})
  })

  it('refuses bad values and names the variable', () => {
    assertUsage(() => settingsFromEnv({ SWARM_CAPACITY: 'many' }), /SWARM_CAPACITY: must be a whole number/)
    assertUsage(() => settingsFromEnv({ SWARM_DHT: 'sometimes' }), /SWARM_DHT/)
    assertUsage(() => settingsFromEnv({ SWARM_MDNS: 'maybe' }), /SWARM_MDNS/)
  })

  it('SWARM_A2A_LISTEN fills --a2a-listen; --a2a-listen and --a2a-no-auth become the a2a settings', () => {
    const env = settingsFromEnv({ SWARM_A2A_LISTEN: ' /ip4/127.0.0.1/tcp/7600 ' })
    assert.deepEqual(env, { a2aListen: '/ip4/127.0.0.1/tcp/7600' })
    assert.equal(withEnv<StartFlags>({ mdns: true }, env).a2aListen, '/ip4/127.0.0.1/tcp/7600')
    assert.equal(withEnv<StartFlags>({ mdns: true, a2aListen: '/ip4/127.0.0.1/tcp/0' }, env).a2aListen, '/ip4/127.0.0.1/tcp/0')
    assertUsage(() => settingsFromEnv({ SWARM_A2A_LISTEN: '127.0.0.1:7600' }), /SWARM_A2A_LISTEN: must be a multiaddr/)
    assert.deepEqual(startOverrides({ mdns: true, a2aListen: '/ip4/127.0.0.1/tcp/7600', a2aNoAuth: true }).a2a, { listen: '/ip4/127.0.0.1/tcp/7600', auth: 'none' })
    assert.deepEqual(startOverrides({ mdns: true, a2aListen: '/ip4/127.0.0.1/tcp/7600' }).a2a, { listen: '/ip4/127.0.0.1/tcp/7600' })
    assert.equal(startOverrides({ mdns: true }).a2a, undefined)
  })

  it('fills in flags that were not given; flags win', () => {
    const flags: StartFlags = { mdns: true, skill: ['viz:expert'] }
    const merged = withEnv(flags, settingsFromEnv({ SWARM_SKILLS: 'summarize:expert', SWARM_BOOTSTRAP: '/ip4/10.0.0.1/tcp/4100/p2p/12D3KooWabc', SWARM_MDNS: 'no', SWARM_DHT: 'off' }))
    assert.deepEqual(merged.skill, ['viz:expert'])
    assert.deepEqual(merged.bootstrap, ['/ip4/10.0.0.1/tcp/4100/p2p/12D3KooWabc'])
    assert.equal(merged.mdns, false)
    assert.equal(merged.dht, 'off')
    const overrides = startOverrides(withEnv({ mdns: true }, settingsFromEnv({ SWARM_SKILLS: 'summarize:expert,viz', SWARM_EXEC: 'summarize=./run.sh x', SWARM_API_PORT: '7401' })))
    assert.deepEqual(overrides.skills?.map(s => [s.name, s.level, s.handler?.kind]), [['summarize', 'expert', 'exec'], ['viz', 'intermediate', undefined]])
    assert.deepEqual(overrides.api, { port: 7401 })
  })
})

describe('every start flag has its variable, and errors name it', () => {
  it('reads SWARM_HANDLER_TIMEOUT, SWARM_LOG_FILE, SWARM_ROLES, the SWARM_LLM_* and SWARM_ALLOW / SWARM_DENY', () => {
    const env = settingsFromEnv({
      SWARM_SKILLS: 'summarize:expert',
      SWARM_EXEC: 'summarize=node a.mjs',
      SWARM_HANDLER_TIMEOUT: '30s',
      SWARM_LOG_FILE: '-',
      SWARM_ROLES: 'coder, reviewer:expert',
      SWARM_LLM_URL: 'http://127.0.0.1:1234/v1',
      SWARM_LLM_MODEL: 'qwen',
      SWARM_LLM_API: 'openai',
      SWARM_ALLOW: '12D3KooWa,12D3KooWb',
      SWARM_DENY: '12D3KooWc'
    })
    const flags = withEnv<StartFlags>({ mdns: true, llmModel: 'from-flag' }, env)
    assert.equal(flags.handlerTimeout, '30s')
    assert.equal(flags.logFile, '-')
    assert.deepEqual(flags.role, ['coder', 'reviewer:expert'])
    assert.equal(flags.llmUrl, 'http://127.0.0.1:1234/v1')
    assert.equal(flags.llmModel, 'from-flag')
    assert.equal(flags.llmApi, 'openai')
    assert.deepEqual(flags.allow, ['12D3KooWa', '12D3KooWb'])
    assert.deepEqual(flags.deny, ['12D3KooWc'])
    const overrides = startOverrides(flags)
    assert.deepEqual(overrides.allow, ['12D3KooWa', '12D3KooWb'])
    assert.equal(overrides.logFile, '-')
  })

  it('tells which flags came from which variable, and rewrites their errors', () => {
    const env = settingsFromEnv({ SWARM_SKILLS: 'viz:guru', SWARM_CAPACITY: '3' })
    const sources = envSources({ mdns: true, capacity: '5' }, env)
    assert.deepEqual([...sources], [['--skill', 'SWARM_SKILLS']])
    const blamed = blameEnv(new CliError(EXIT.USAGE, 'invalid --skill "viz:guru": unknown level'), sources)
    assert.ok(blamed instanceof CliError)
    assert.equal(blamed.message, 'invalid SWARM_SKILLS (read as --skill) "viz:guru": unknown level')
    const other = new CliError(EXIT.USAGE, 'invalid --capacity "x"')
    assert.equal(blameEnv(other, sources), other)
  })

  it('start with a bad SWARM_SKILLS is exit 2 naming SWARM_SKILLS, not --skill', async () => {
    const before = process.env.SWARM_SKILLS
    process.env.SWARM_SKILLS = 'viz:guru'
    try {
      const { code, out } = await runCaptured(['start', '--data-dir', resolve('no-node-starts-here'), '--api-port', '0', '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns'])
      assert.equal(code, EXIT.USAGE)
      assert.match(out.errors.join('\n'), /SWARM_SKILLS \(read as --skill\) "viz:guru"/)
    } finally {
      if (before === undefined) delete process.env.SWARM_SKILLS
      else process.env.SWARM_SKILLS = before
    }
  })
})

describe('--dht', () => {
  it('alone means server; off, client and server by name', () => {
    assert.equal(dhtFlag(true), 'server')
    assert.equal(dhtFlag('server'), 'server')
    assert.equal(dhtFlag('client'), 'client')
    assert.equal(dhtFlag('off'), false)
    assertUsage(() => dhtFlag('maybe'), /use off, client or server/)
  })
})

describe('registry flags', () => {
  it('turn into config overrides', () => {
    const flags: RegistryFlags = { mdns: false, relay: false, listen: ['/ip4/0.0.0.0/tcp/4200'], maxReservations: '16', dht: 'off', apiPort: '0' }
    assert.deepEqual(registryOverrides(flags), { listen: ['/ip4/0.0.0.0/tcp/4200'], mdns: false, dht: false, relay: { server: false, maxReservations: 16 }, api: { port: 0 } })
    assert.deepEqual(registryOverrides({ mdns: true, relay: true }), {})
  })

  it('refuse skills, even from the environment', () => {
    assertUsage(() => registryOverrides(withEnv({ mdns: true, relay: true }, settingsFromEnv({ SWARM_SKILLS: 'viz:expert' }))), /registry has no skills/)
    assertUsage(() => registryOverrides({ mdns: true, relay: true, maxReservations: 'lots' }), /--max-reservations/)
  })

  it('list addresses others can dial first', () => {
    assert.deepEqual(shareableAddrs(['/ip4/127.0.0.1/tcp/4100/p2p/X', '/ip4/10.77.0.1/tcp/4100/p2p/X']), ['/ip4/10.77.0.1/tcp/4100/p2p/X', '/ip4/127.0.0.1/tcp/4100/p2p/X'])
  })
})
