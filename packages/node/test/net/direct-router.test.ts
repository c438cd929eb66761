import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createMessage } from '@swarm/protocol'
import { DirectRouter } from '../../src/net/direct-router.js'

describe('DirectRouter', () => {
  it('hands each type to the handler registered for it, with the sender', async () => {
    const router = new DirectRouter()
    const from = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    router.handle('INPUT_REQUEST', (message, peer) => createMessage('INPUT_RESPONSE', { taskId: message.body.taskId, value: peer.toString() }))
    const reply = await router.dispatch(createMessage('INPUT_REQUEST', { taskId: 'task-0001' }), from)
    assert.equal(reply.type, 'INPUT_RESPONSE')
    assert.deepEqual(reply.body, { taskId: 'task-0001', value: from.toString() })
    assert.deepEqual(router.types(), ['INPUT_REQUEST'])
  })

  it('answers an unregistered type with an ERROR and refuses a second handler for a type', async () => {
    const router = new DirectRouter()
    const from = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const request = createMessage('INPUT_REQUEST', { taskId: 'task-0001' })
    const reply = await router.dispatch(request, from)
    assert.equal(reply.type, 'ERROR')
    assert.equal(reply.type === 'ERROR' ? reply.body.ref : undefined, request.id)
    router.handle('INPUT_REQUEST', () => request)
    assert.throws(() => { router.handle('INPUT_REQUEST', () => request) }, /registered already/)
  })
})
