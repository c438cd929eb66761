/**
 * Request frames are capped to what each message type needs (REQUEST_BYTE_LIMITS): a padded
 * small request is refused as OVERSIZED before its schema is read, a frame announced over the
 * stream's limit before its bytes are read; a protocol whose replies are large (inputs by
 * reference) still reads small requests only, and its large replies (over libp2p's 4 MiB
 * default buffer) arrive whole.
 */
import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { peerIdFromString } from '@libp2p/peer-id'
import { lpStream, streamPair } from '@libp2p/utils'
import { LIMITS, REQUEST_BYTE_LIMITS, createMessage, decodeMessage, encodeMessage } from '@swarm/protocol'
import { DirectMessenger } from '../../src/net/direct.js'
import { PENALTY } from '../../src/net/verdict.js'
import { silentLogger } from '../../src/logger.js'
import type { DirectHandler } from '../../src/net/direct.js'
import type { SwarmLibp2p } from '../../src/net/libp2p.js'
import type { Penalty } from '../../src/net/verdict.js'
import type { Connection, Stream } from '@libp2p/interface'
import type { Channel, SwarmMessage } from '@swarm/protocol'

const SELF = peerIdFromString('12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK')
const REMOTE = peerIdFromString('12D3KooWAjg6exuoS5YziHwKoqHKw5fVUhqb9HCZiauaQQ7yLSz5')

type StreamHandler = (stream: Stream, connection: Connection) => void

interface Setup {
  m: DirectMessenger
  charged: Penalty[]
  handled: SwarmMessage[]
  inbound: StreamHandler
}

/** A messenger over just enough of libp2p: inbound streams are handed in by the test; a dial reaches `answer`. */
async function setup (channel: Channel, sizes: { maxBytes: number, maxRequestBytes?: number }, answer: (stream: Stream) => Promise<void> = async () => {}): Promise<Setup> {
  let inbound: StreamHandler | undefined
  const libp2p = {
    peerId: SELF,
    handle: async (_protocol: string, h: StreamHandler) => { inbound = h },
    unhandle: async () => {},
    dialProtocol: async () => {
      const [outbound, far] = await streamPair()
      void answer(far)
      return outbound
    }
  }
  const charged: Penalty[] = []
  const handled: SwarmMessage[] = []
  const m = new DirectMessenger({
    libp2p: libp2p as unknown as SwarmLibp2p,
    logger: silentLogger(),
    protocol: '/swarm/test/1.0.0',
    channel,
    ...sizes,
    defaultTimeoutMs: 10_000,
    maxStreams: { inbound: 8, outbound: 8 },
    onPenalty: (_peer, penalty) => { charged.push(penalty) }
  })
  const handler: DirectHandler = message => {
    handled.push(message)
    return createMessage('ACK', { ref: message.id })
  }
  await m.start(handler)
  assert.ok(inbound !== undefined)
  return { m, charged, handled, inbound }
}

/** Writes `frame` (or only a length prefix announcing `announce` bytes) to the messenger as REMOTE; returns the reply, or undefined when the stream was reset. */
async function send (inbound: StreamHandler, frame: Uint8Array, announce?: number): Promise<SwarmMessage | undefined> {
  const [outbound, far] = await streamPair()
  inbound(far, { remotePeer: REMOTE } as unknown as Connection)
  const lp = lpStream(outbound, { maxDataLength: 32 * 1024 * 1024, maxBufferSize: 32 * 1024 * 1024 })
  if (announce === undefined) {
    await lp.write(frame)
  } else {
    // A varint length prefix for `announce` bytes, then a little: the rest never comes.
    const prefix: number[] = []
    for (let n = announce; ; n = Math.floor(n / 128)) {
      if (n < 128) { prefix.push(n); break }
      prefix.push((n % 128) | 0x80)
    }
    outbound.send(new Uint8Array([...prefix, 0x7b]))
  }
  try {
    return decodeMessage((await lp.read()).subarray(), { maxBytes: LIMITS.maxStreamMessageBytes })
  } catch {
    return undefined
  }
}

/** A well-formed GROUP_ACCEPT padded with JSON whitespace to about `bytes` (the schema cannot tell). */
function paddedAccept (bytes: number): Uint8Array {
  const json = JSON.stringify(createMessage('GROUP_ACCEPT', { taskId: 'task-0001', groupId: 'group-0001' }))
  return new TextEncoder().encode(json.slice(0, -1) + ' '.repeat(Math.max(0, bytes - json.length)) + '}')
}

const codeOf = (reply: SwarmMessage | undefined): string => reply === undefined ? 'reset' : reply.type === 'ERROR' ? reply.body.code : reply.type

describe('request frames capped by message type', () => {
  it('refuses a small request padded over its type\'s limit as OVERSIZED, charged to its sender, and takes one within it', async () => {
    const limit = REQUEST_BYTE_LIMITS.GROUP_ACCEPT
    assert.ok(limit !== undefined && limit < LIMITS.maxStreamMessageBytes)
    const s = await setup('direct', { maxBytes: LIMITS.maxStreamMessageBytes })
    assert.equal(codeOf(await send(s.inbound, paddedAccept(limit - 100))), 'ACK')
    assert.equal(s.handled.length, 1)
    const reply = await send(s.inbound, paddedAccept(limit + 100))
    assert.equal(codeOf(reply), 'OVERSIZED')
    assert.match(reply?.type === 'ERROR' ? reply.body.message : '', /GROUP_ACCEPT/)
    assert.equal(s.handled.length, 1, 'the handler never saw it')
    assert.deepEqual(s.charged, [{ reason: 'OVERSIZED', penalty: PENALTY.severe }])
  })

  it('refuses a frame announced over the stream\'s limit before reading it: charged, the stream reset', async () => {
    const s = await setup('direct', { maxBytes: LIMITS.maxStreamMessageBytes })
    assert.equal(codeOf(await send(s.inbound, new Uint8Array(), 16 * 1024 * 1024)), 'reset')
    assert.deepEqual(s.charged, [{ reason: 'OVERSIZED', penalty: PENALTY.severe }])
  })

  it('reads small requests only on the input protocol, whose replies may be 16 MiB', async () => {
    const s = await setup('input', { maxBytes: LIMITS.maxFetchedInputBytes + 64 * 1024, maxRequestBytes: 16 * 1024 })
    const padded = JSON.stringify(createMessage('INPUT_REQUEST', { taskId: 'task-0001' }))
    const big = new TextEncoder().encode(padded.slice(0, -1) + ' '.repeat(100 * 1024) + '}')
    assert.equal(codeOf(await send(s.inbound, big)), 'reset')
    assert.deepEqual(s.charged, [{ reason: 'OVERSIZED', penalty: PENALTY.severe }])
    assert.equal(codeOf(await send(s.inbound, new TextEncoder().encode(padded))), 'ACK')
  })

  it('receives a 6 MiB reply whole (beyond lpStream\'s default 4 MiB buffer)', async () => {
    const value = { data: 'y'.repeat(6 * 1024 * 1024) }
    const s = await setup('input', { maxBytes: LIMITS.maxFetchedInputBytes + 64 * 1024, maxRequestBytes: 16 * 1024 }, async far => {
      const lp = lpStream(far, { maxDataLength: 32 * 1024 * 1024, maxBufferSize: 32 * 1024 * 1024 })
      await lp.read()
      await lp.write(encodeMessage(createMessage('INPUT_RESPONSE', { taskId: 'task-0001', value }), Number.MAX_SAFE_INTEGER))
    })
    const reply = await s.m.request(REMOTE, createMessage('INPUT_REQUEST', { taskId: 'task-0001' }))
    assert.equal(reply.type, 'INPUT_RESPONSE')
    assert.equal(reply.type === 'INPUT_RESPONSE' ? JSON.stringify(reply.body.value).length : 0, JSON.stringify(value).length)
  })
})
