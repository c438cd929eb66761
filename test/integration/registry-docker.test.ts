/**
 * docker/ without a Docker engine: the compose file's registry key and the agents' bootstrap
 * address agree, the agents' default environment is a valid node configuration, every file the
 * Dockerfile copies exists, and the demo handler the containers run works.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { describe, it } from 'vitest'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { registryOverrides, settingsFromEnv, startOverrides, withEnv } from '@swarm/cli'
import { decodePeerKey, parseConfig, registryConfig } from '@swarm/node'
import { parse } from 'yaml'
import { z } from 'zod'
import { REPO_ROOT } from '../helpers/cli.js'

const ServiceSchema = z.object({
  image: z.string(),
  build: z.object({ context: z.string(), dockerfile: z.string() }),
  command: z.array(z.string()),
  environment: z.record(z.string(), z.string())
})
const ComposeSchema = z.object({ services: z.object({ registry: ServiceSchema, agent: ServiceSchema }) })

const compose = ComposeSchema.parse(parse(readFileSync(`${REPO_ROOT}docker/compose.yaml`, 'utf8'), { merge: true }))
const { registry, agent } = compose.services

/** The value compose gives `${NAME:-default}` when NAME is not set. */
function defaults (env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1')]))
}

describe('docker/compose.yaml', () => {
  it('gives the registry the fixed identity that the agents bootstrap from', () => {
    const key = decodePeerKey(registry.environment.SWARM_PEER_KEY ?? '', 'SWARM_PEER_KEY')
    const bootstrap = agent.environment.SWARM_BOOTSTRAP ?? ''
    assert.match(bootstrap, /^\/dns4\/registry\/tcp\/4100\/p2p\//)
    assert.equal(bootstrap.split('/p2p/')[1], peerIdFromPrivateKey(key).toString())
  })

  it('starts the registry on port 4100 and agents with `start`', () => {
    assert.equal(registry.command[0], 'registry')
    assert.equal(agent.command[0], 'start')
    const flags = withEnv({ mdns: !registry.command.includes('--no-mdns'), relay: true }, settingsFromEnv(defaults(registry.environment)))
    const config = registryConfig({ dataDir: '/data', ...registryOverrides(flags) })
    assert.deepEqual(config.listen, ['/ip4/0.0.0.0/tcp/4100'])
    assert.equal(config.mdns, false)
    assert.equal(registry.image, agent.image)
    assert.equal(registry.build.dockerfile, 'docker/Dockerfile')
  })

  it('turns the agents\' default environment into a valid configuration with handlers', () => {
    const flags = withEnv({ mdns: !agent.command.includes('--no-mdns') }, settingsFromEnv(defaults(agent.environment)))
    const config = parseConfig({ dataDir: '/data', ...startOverrides(flags) })
    assert.deepEqual(config.skills.map(s => [s.name, s.level, s.handler?.kind]), [['summarize', 'expert', 'exec'], ['viz', 'intermediate', 'exec']])
    assert.deepEqual(config.bootstrap, [agent.environment.SWARM_BOOTSTRAP])
    assert.equal(config.dht, 'client')
    assert.equal(config.mdns, false)
    for (const skill of config.skills) {
      assert.equal(skill.handler?.kind === 'exec' ? skill.handler.args[0] : undefined, 'docker/handlers/demo.mjs')
    }
  })
})

describe('docker/Dockerfile', () => {
  const dockerfile = readFileSync(`${REPO_ROOT}docker/Dockerfile`, 'utf8')

  it('copies only files that exist in the repository', () => {
    const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap(m => (m[1] ?? '').split(' '))
    assert.ok(sources.length > 0)
    for (const source of sources) assert.ok(existsSync(`${REPO_ROOT}${source}`), `COPY ${source}`)
  })

  it('runs swarm-node, `start` by default', () => {
    assert.match(dockerfile, /^ENTRYPOINT \["swarm-node"\]$/m)
    assert.match(dockerfile, /^CMD \["start"\]$/m)
    assert.match(dockerfile, /^EXPOSE 4001 4100$/m)
  })

  it('ships a demo handler that works', () => {
    const run = spawnSync(process.execPath, [`${REPO_ROOT}docker/handlers/demo.mjs`, 'summarize'], { input: JSON.stringify({ text: 'Swarms work. Bees agree.', values: [1, 5] }), encoding: 'utf8' })
    assert.equal(run.status, 0, run.stderr)
    const out = JSON.parse(run.stdout) as { skill: string, summary: string, words: number, stats: { mean: number } }
    assert.equal(out.skill, 'summarize')
    assert.equal(out.summary, 'Swarms work.')
    assert.equal(out.words, 4)
    assert.equal(out.stats.mean, 3)
  })
})
