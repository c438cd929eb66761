/**
 * A node's secrets never reach its handlers: a `swarm-node` process started with its identity
 * in SWARM_PEER_KEY (and other secrets in its environment) runs an exec handler that returns its
 * whole environment as the task's result. The node has the identity of the key (so it was read),
 * and the announcer sees an environment with neither the key nor the other variables, only the
 * basic ones and those the handler's config names.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { NodeProcess, REPO_ROOT, jsonLines, runSwarmNode } from '../helpers/cli.js'
import { tempDir } from '../helpers/nodes.js'

const COMMON = ['--listen', '/ip4/127.0.0.1/tcp/0', '--api-port', '0', '--no-mdns']

describe('swarm-node: secrets never reach a handler', () => {
  const dir = tempDir('swarm-e2e-secrets-')
  const dataDir = (name: string): string => join(dir.path, name)
  const nodes: NodeProcess[] = []
  let key = ''
  let workerId = ''

  beforeAll(async () => {
    const privateKey = await generateKeyPair('Ed25519')
    key = Buffer.from(privateKeyToProtobuf(privateKey)).toString('base64')
    const exec = `env='${process.execPath}' '${REPO_ROOT}test/fixtures/env-handler.mjs'`
    const worker = new NodeProcess([...COMMON, '--data-dir', dataDir('worker'), '--name', 'worker', '--skill', 'env:expert', '--exec', exec], {
      SWARM_PEER_KEY: key,
      CLOUD_SECRET: 'aws-credentials'
    })
    nodes.push(worker)
    const started = await worker.started()
    workerId = started.peerId
    assert.equal(workerId, peerIdFromPrivateKey(privateKey).toString(), 'the worker took its identity from SWARM_PEER_KEY')
    const desk = new NodeProcess([...COMMON, '--data-dir', dataDir('desk'), '--name', 'desk', '--bootstrap', started.addrs[0] ?? ''])
    nodes.push(desk)
    await desk.started()
    await desk.waitFor(l => l.event === 'agent:joined' && l.name === 'worker', 'desk to learn about the worker')
  }, 60_000)

  afterAll(async () => {
    await Promise.all(nodes.map(async n => await n.stop('SIGKILL')))
    dir.cleanup()
  })

  it('the handler\'s environment has no key and no other secret of the node', async () => {
    const result = await runSwarmNode(['announce', 'show env', '--skill', 'env:novice', '--wait', '--json', '--data-dir', dataDir('desk')])
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`)
    const events = jsonLines(result.stdout)
    const formed = events.find(e => e.type === 'formed') as { members: Array<{ peerId: string }> } | undefined
    assert.deepEqual(formed?.members.map(m => m.peerId), [workerId])
    // The handler's output (its environment) is in the task's result, among the events printed.
    const text = JSON.stringify(events)
    assert.ok(text.includes('"PATH"'), `the handler ran and returned its environment: ${text.slice(0, 500)}`)
    assert.ok(!text.includes('SWARM_PEER_KEY'), 'no SWARM_PEER_KEY variable')
    assert.ok(!text.includes(key.slice(0, 40)), 'the key\'s value appears nowhere')
    assert.ok(!text.includes('aws-credentials'), 'other variables of the node are not passed on')
  }, 60_000)
})
