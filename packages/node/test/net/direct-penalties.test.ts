import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { peerIdFromString } from '@libp2p/peer-id'
import { lpStream, streamPair } from '@libp2p/utils'
import { ProtocolError, createMessage, decodeMessage, encodeMessage } from '@swarm/protocol'
import { DirectMessenger } from '../../src/net/direct.js'
import { PENALTY } from '../../src/net/verdict.js'
import { silentLogger } from '../../src/logger.js'
import type { DirectHandler } from '../../src/net/direct.js'
import type { SwarmLibp2p } from '../../src/net/libp2p.js'
import type { Penalty } from '../../src/net/verdict.js'
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import type { SwarmMessage } from '@swarm/protocol'

const SELF = peerIdFromString('12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK')
const REMOTE = peerIdFromString('12D3KooWAjg6exuoS5YziHwKoqHKw5fVUhqb9HCZiauaQQ7yLSz5')
const PROTOCOL = '/swarm/test/direct/1.0.0'

type StreamHandler = (stream: Stream, connection: Connection) => void

/**
 * Just enough of libp2p for the messenger: `handle` keeps the inbound handler, and a dial opens
 * an in-memory stream pair whose far end is given to `answer` (the remote peer).
 */
function fakeLibp2p (answer: (stream: Stream) => Promise<void> = async () => {}): { libp2p: SwarmLibp2p, inbound: () => StreamHandler } {
  let handler: StreamHandler | undefined
  const libp2p = {
    peerId: SELF,
    handle: async (_protocol: string, h: StreamHandler) => { handler = h },
    unhandle: async () => {},
    dialProtocol: async () => {
      const [outbound, inbound] = await streamPair()
      void answer(inbound)
      return outbound
    }
  }
  return {
    libp2p: libp2p as unknown as SwarmLibp2p,
    inbound: () => {
      assert.ok(handler !== undefined, 'the messenger registered its protocol')
      return handler
    }
  }
}

interface Charged { peer: PeerId, penalty: Penalty }

async function messenger (handler: DirectHandler, answer?: (stream: Stream) => Promise<void>): Promise<{ m: DirectMessenger, charged: Charged[], inbound: () => StreamHandler }> {
  const charged: Charged[] = []
  const { libp2p, inbound } = fakeLibp2p(answer)
  const m = new DirectMessenger({
    libp2p,
    logger: silentLogger(),
    protocol: PROTOCOL,
    channel: 'direct',
    maxBytes: 64 * 1024,
    defaultTimeoutMs: 10_000,
    maxStreams: { inbound: 8, outbound: 8 },
    onPenalty: (peer, penalty) => { charged.push({ peer, penalty }) }
  })
  await m.start(handler)
  return { m, charged, inbound }
}

/** Sends one raw frame to the messenger's inbound handler as REMOTE and returns its reply. */
async function sendRaw (inbound: StreamHandler, frame: Uint8Array): Promise<SwarmMessage> {
  const [outbound, far] = await streamPair()
  inbound(far, { remotePeer: REMOTE } as unknown as Connection)
  const lp = lpStream(outbound)
  await lp.write(frame)
  const reply = await lp.read()
  return decodeMessage(reply.subarray())
}

describe('DirectMessenger reports peers at fault to its penalty sink', () => {
  it('charges an undecodable request to its sender and answers ERROR with the codec code', async () => {
    const { m, charged, inbound } = await messenger(() => assert.fail('not handled'))
    const reply = await sendRaw(inbound(), new TextEncoder().encode('not json'))
    assert.equal(reply.type, 'ERROR')
    assert.equal(reply.type === 'ERROR' ? reply.body.code : undefined, 'MALFORMED')
    assert.equal(charged.length, 1)
    assert.ok(charged[0]?.peer.equals(REMOTE))
    assert.deepEqual(charged[0]?.penalty, { reason: 'MALFORMED', penalty: PENALTY.severe })
    assert.deepEqual(m.stats.rejected, { MALFORMED: 1 })
  })

  it('charges a request refused for the requester\'s fault, not an ordinary refusal', async () => {
    const { charged, inbound } = await messenger(message => {
      const code = message.type === 'GROUP_SYNC_REQUEST' ? 'NOT_A_MEMBER' : 'BIDDING_CLOSED'
      return createMessage('ERROR', { ref: message.id, code, message: 'refused' })
    })
    const sync = createMessage('GROUP_SYNC_REQUEST', { taskId: 'task-0001', groupId: 'group-001', stateVector: 'AA==' })
    const other = createMessage('DIRECTORY_REQUEST', { limit: 10 })
    assert.equal((await sendRaw(inbound(), encodeMessage(sync))).type, 'ERROR')
    assert.equal((await sendRaw(inbound(), encodeMessage(other))).type, 'ERROR')
    assert.deepEqual(charged.map(c => c.penalty), [{ reason: 'NOT_A_MEMBER', penalty: PENALTY.minor }])
  })

  it('charges a peer whose reply cannot be decoded, and still fails the request', async () => {
    const { m, charged } = await messenger(() => assert.fail('not handled'), async stream => {
      const lp = lpStream(stream)
      await lp.read()
      await lp.write(new TextEncoder().encode(JSON.stringify({ v: 99 })))
      await stream.close()
    })
    await assert.rejects(m.request(REMOTE, createMessage('DIRECTORY_REQUEST', { limit: 10 })), (err: unknown) => err instanceof ProtocolError && err.code === 'UNSUPPORTED_VERSION')
    assert.equal(charged.length, 1)
    assert.ok(charged[0]?.peer.equals(REMOTE))
    assert.deepEqual(charged[0]?.penalty, { reason: 'UNSUPPORTED_VERSION', penalty: PENALTY.minor })
  })
})
