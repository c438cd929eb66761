import { StreamBufferError } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import { ProtocolError, createMessage, decodeMessage, encodeMessage, maxRequestBytes } from '@swarm/protocol'
import { multiaddr } from '@multiformats/multiaddr'
import { SwarmError } from '../errors.js'
import { decodeFailure, directPenalty } from './verdict.js'
import type { Logger } from '../logger.js'
import type { PenaltySink } from './verdict.js'
import type { MessengerPort } from '../ports/messenger.js'
import type { SwarmLibp2p } from './libp2p.js'
import type { PeerId, Stream, Connection } from '@libp2p/interface'
import type { Channel, SwarmMessage } from '@swarm/protocol'

/** Answers one inbound request; `from` is the authenticated remote peer. */
export type DirectHandler = (message: SwarmMessage, from: PeerId) => Promise<SwarmMessage> | SwarmMessage

export interface DirectMessengerOptions {
  libp2p: SwarmLibp2p
  logger: Logger
  /** Protocol id of the channel. */
  protocol: string
  channel: Channel
  /** Largest message accepted in either direction. */
  maxBytes: number
  /**
   * Largest inbound request frame read (default maxBytes): the input protocol's replies are
   * large, its requests small. A decoded request larger than its type's own limit
   * (REQUEST_BYTE_LIMITS in @swarm/protocol) is refused as OVERSIZED too.
   */
  maxRequestBytes?: number
  /** Time a request may take end to end, unless the caller says otherwise. */
  defaultTimeoutMs: number
  /** Streams of this protocol open at once per connection, each way. */
  maxStreams: { inbound: number, outbound: number }
  /**
   * Told of every peer at fault (net/verdict.ts): a request or a reply that cannot be decoded,
   * and a request this node refused for a reason that is the requester's fault.
   */
  onPenalty?: PenaltySink
}

export interface DirectStats {
  requestsSent: number
  requestsFailed: number
  requestsHandled: number
  rejected: Record<string, number>
  bytesSent: number
  bytesReceived: number
  /** Requests sent and the bytes they moved both ways, by the request's message type. */
  sentByType: Record<string, { requests: number, bytes: number }>
}

/** What lpStream throws for a frame whose announced length is over maxDataLength (or whose bytes overflow maxBufferSize). */
const OVERSIZED_FRAME_ERRORS = new Set(['InvalidDataLengthError', 'InvalidDataLengthLengthError'])

/** Whether reading a frame failed because it is over the limits. */
function oversizedFrame (err: unknown): boolean {
  return err instanceof StreamBufferError || (err instanceof Error && OVERSIZED_FRAME_ERRORS.has(err.name))
}

/**
 * The frame limits of a length-prefixed stream: lpStream has no default limit for one frame and
 * buffers at most 4 MiB by default, so a frame larger than that would fail however large
 * maxDataLength is. Both are set from the one limit (plus room for the length prefix).
 */
function frameLimits (maxBytes: number): { maxDataLength: number, maxBufferSize: number } {
  return { maxDataLength: maxBytes, maxBufferSize: maxBytes + 16 }
}

/**
 * Request/response messages to one peer over a libp2p stream: one length-prefixed envelope each
 * way, then the stream is closed (so no protocol ever hits the per-connection stream limit).
 * Requests to this node itself are answered in-process.
 */
export class DirectMessenger implements MessengerPort {
  readonly #opts: DirectMessengerOptions
  readonly #log: Logger
  /** Largest inbound request frame read. */
  readonly #maxRequest: number
  #handler?: DirectHandler
  readonly stats: DirectStats = { requestsSent: 0, requestsFailed: 0, requestsHandled: 0, rejected: {}, bytesSent: 0, bytesReceived: 0, sentByType: {} }

  constructor (options: DirectMessengerOptions) {
    this.#opts = options
    this.#log = options.logger
    this.#maxRequest = options.maxRequestBytes ?? options.maxBytes
  }

  async start (handler: DirectHandler): Promise<void> {
    this.#handler = handler
    await this.#opts.libp2p.handle(this.#opts.protocol, (stream, connection) => { void this.#onStream(stream, connection) }, {
      maxInboundStreams: this.#opts.maxStreams.inbound,
      maxOutboundStreams: this.#opts.maxStreams.outbound
    })
  }

  async stop (): Promise<void> {
    this.#handler = undefined
    await this.#opts.libp2p.unhandle(this.#opts.protocol).catch(() => {})
  }

  /** Adds addresses of a peer (e.g. from an announcement) so that it can be dialled. */
  async learnAddrs (peer: PeerId, addrs: string[]): Promise<void> {
    if (addrs.length === 0 || peer.equals(this.#opts.libp2p.peerId)) return
    const multiaddrs = []
    for (const addr of addrs) {
      try {
        multiaddrs.push(multiaddr(addr))
      } catch { /* a bad address is skipped */ }
    }
    if (multiaddrs.length > 0) await this.#opts.libp2p.peerStore.merge(peer, { multiaddrs }).catch(() => {})
  }

  /** Sends `message` to `peer` and returns its reply. Throws SwarmError TIMEOUT or a delivery error. */
  async request (peer: PeerId, message: SwarmMessage, options: { timeoutMs?: number, maxReplyBytes?: number } = {}): Promise<SwarmMessage> {
    const handler = this.#handler
    if (peer.equals(this.#opts.libp2p.peerId)) {
      if (handler === undefined) throw new SwarmError('NOT_STARTED', 'direct messaging is not started')
      // Round-trip through the codec so that a local answer is exactly what a remote one would be.
      return decodeMessage(encodeMessage(await handler(decodeMessage(encodeMessage(message)), peer)))
    }
    const timeoutMs = options.timeoutMs ?? this.#opts.defaultTimeoutMs
    const signal = AbortSignal.timeout(timeoutMs)
    this.stats.requestsSent++
    let stream: Stream | undefined
    try {
      stream = await this.#opts.libp2p.dialProtocol(peer, this.#opts.protocol, { signal })
      const lp = lpStream(stream, frameLimits(options.maxReplyBytes ?? this.#opts.maxBytes))
      const bytes = encodeMessage(message, this.#opts.maxBytes)
      this.stats.bytesSent += bytes.byteLength
      const byType = this.stats.sentByType[message.type] ??= { requests: 0, bytes: 0 }
      byType.requests++
      byType.bytes += bytes.byteLength
      await lp.write(bytes, { signal })
      const reply = await lp.read({ signal })
      this.stats.bytesReceived += reply.byteLength
      byType.bytes += reply.byteLength
      const decoded = this.#decodeReply(peer, reply.subarray(), options.maxReplyBytes ?? this.#opts.maxBytes)
      await stream.close({ signal }).catch(() => { stream?.abort(new Error('close failed')) })
      return decoded
    } catch (err) {
      this.stats.requestsFailed++
      stream?.abort(err instanceof Error ? err : new Error(String(err)))
      if (signal.aborted) throw new SwarmError('TIMEOUT', `${message.type} to ${peer.toString()} got no answer within ${timeoutMs} ms`, { peer: peer.toString() }, { cause: err })
      throw err
    }
  }

  /** Decodes a peer's reply; one that cannot be decoded is charged to the peer, then thrown. */
  #decodeReply (peer: PeerId, bytes: Uint8Array, maxBytes: number): SwarmMessage {
    try {
      return decodeMessage(bytes, { maxBytes, channel: this.#opts.channel })
    } catch (err) {
      this.#charge(peer, directPenalty(decodeFailure(err)))
      throw err
    }
  }

  #charge (peer: PeerId, penalty: ReturnType<typeof directPenalty>): void {
    if (penalty !== undefined) this.#opts.onPenalty?.(peer, penalty)
  }

  async #onStream (stream: Stream, connection: Connection): Promise<void> {
    const signal = AbortSignal.timeout(this.#opts.defaultTimeoutMs)
    const from = connection.remotePeer
    const lp = lpStream(stream, frameLimits(this.#maxRequest))
    try {
      let bytes
      try {
        bytes = await lp.read({ signal })
      } catch (err) {
        // A frame announced longer than the limit is refused before its bytes are read: the
        // sender is charged and the stream reset (its bytes are not worth reading to answer).
        if (oversizedFrame(err)) this.#refuse(from, new ProtocolError('OVERSIZED', `request frame over the limit of ${this.#maxRequest} bytes`))
        throw err
      }
      this.stats.bytesReceived += bytes.byteLength
      const reply = await this.#answer(bytes.subarray(), from)
      const out = encodeMessage(reply, this.#opts.maxBytes)
      this.stats.bytesSent += out.byteLength
      await lp.write(out, { signal })
      await stream.close({ signal })
    } catch (err) {
      this.#log.debug('direct stream failed', { from: from.toString(), err })
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }

  /** The reply to one request frame: the handler's answer, or an ERROR for what cannot be taken. */
  async #answer (bytes: Uint8Array, from: PeerId): Promise<SwarmMessage> {
    let request: SwarmMessage
    try {
      request = this.#decodeRequest(bytes)
    } catch (err) {
      return this.#refuse(from, err)
    }
    const handler = this.#handler
    let reply: SwarmMessage
    if (handler === undefined) {
      reply = createMessage('ERROR', { ref: request.id, code: 'STOPPING', message: 'the node is stopping' })
    } else {
      try {
        reply = await handler(request, from)
      } catch (err) {
        this.#log.error('direct handler failed', { type: request.type, err })
        reply = createMessage('ERROR', { ref: request.id, code: 'INTERNAL', message: err instanceof Error ? err.message.slice(0, 1000) : 'internal error' })
      }
    }
    this.stats.requestsHandled++
    if (reply.type === 'ERROR') this.#charge(from, directPenalty(reply.body.code))
    return reply
  }

  /** Decodes a request, refusing one larger than its type needs (REQUEST_BYTE_LIMITS) as OVERSIZED before its schema is checked. */
  #decodeRequest (bytes: Uint8Array): SwarmMessage {
    return decodeMessage(bytes, { maxBytes: this.#maxRequest, channel: this.#opts.channel, maxBytesOf: type => maxRequestBytes(type, this.#maxRequest) })
  }

  /** The ERROR for a request that could not be decoded, charged to its sender. */
  #refuse (from: PeerId, err: unknown): SwarmMessage {
    const code = decodeFailure(err)
    this.stats.rejected[code] = (this.stats.rejected[code] ?? 0) + 1
    this.#log.debug('direct message rejected', { from: from.toString(), code })
    this.#charge(from, directPenalty(code))
    return createMessage('ERROR', { code, message: err instanceof Error ? err.message.slice(0, 1000) : 'invalid message' })
  }
}
