/**
 * Direct messaging without streams, for unit tests of any service that talks to single peers.
 *
 * {@link FakeMessenger} is the {@link MessengerPort}: the test scripts how each peer answers
 * each message type (`on(peer, type, reply)`), every request is recorded, and a request nobody
 * scripted is answered with an ACK. Replies are functions, so a script can answer from the
 * request (an offer for this task, an accept for this group), fail, or stay silent until the
 * request times out on the (fake) clock, as the real messenger does.
 *
 * {@link FakeDirectRegistry} is the {@link DirectRegistry}: it keeps the handlers a service
 * registers, and `call` plays a direct request arriving from a peer.
 */
import { createMessage } from '@swarm/protocol'
import type { DirectHandler, DirectRegistry, MessengerPort, RequestOptions } from '../../src/ports/messenger.js'
import type { PeerId } from '@libp2p/interface'
import type { SwarmMessage } from '@swarm/protocol'

type MessageType = SwarmMessage['type']
type Of<T extends MessageType> = Extract<SwarmMessage, { type: T }>

/** How a fake peer answers one request: return the answer, or throw/reject to play a failure. */
export type FakeReply<T extends MessageType = MessageType> = (message: Of<T>, peer: PeerId, options: RequestOptions) => SwarmMessage | Promise<SwarmMessage>

/** A request the service sent. */
export interface SentRequest<M extends SwarmMessage = SwarmMessage> {
  peer: PeerId
  message: M
  options: RequestOptions
}

/** Answers with an ACK of the request. */
export function ack<T extends MessageType = MessageType> (): FakeReply<T> {
  return message => createMessage('ACK', { ref: message.id })
}

/** Fails at once, as a peer that cannot be dialled. */
export function unreachable<T extends MessageType = MessageType> (): FakeReply<T> {
  return () => { throw new Error('the peer cannot be reached (fake)') }
}

/**
 * Never answers: the request rejects once its `timeoutMs` passed (on the clock vitest fakes),
 * as the real messenger's does.
 */
export function silent<T extends MessageType = MessageType> (): FakeReply<T> {
  return async (_message, _peer, options) => await new Promise<SwarmMessage>((_resolve, reject) => {
    setTimeout(() => { reject(new Error(`no answer within ${options.timeoutMs ?? 0} ms (fake)`)) }, options.timeoutMs ?? 0)
  })
}

/** Any peer: a script that applies to peers without a script of their own. */
export const ANY_PEER = '*'

export class FakeMessenger implements MessengerPort {
  readonly sent: SentRequest[] = []
  readonly learned: Array<{ peer: PeerId, addrs: string[] }> = []
  /** peer id (or ANY_PEER) → message type → reply. */
  readonly #scripts = new Map<string, Map<MessageType, FakeReply>>()
  /** The answer to a request no script covers. */
  fallback: FakeReply = ack()

  /** Scripts how `peer` (or every peer, with ANY_PEER) answers requests of `type`. */
  on<T extends MessageType>(peer: PeerId | string, type: T, reply: FakeReply<T>): this {
    const key = peer.toString()
    const byType = this.#scripts.get(key) ?? new Map<MessageType, FakeReply>()
    byType.set(type, reply as unknown as FakeReply)
    this.#scripts.set(key, byType)
    return this
  }

  async request (peer: PeerId, message: SwarmMessage, options: RequestOptions = {}): Promise<SwarmMessage> {
    this.sent.push({ peer, message, options })
    const reply = this.#scripts.get(peer.toString())?.get(message.type) ?? this.#scripts.get(ANY_PEER)?.get(message.type) ?? this.fallback
    return await reply(message, peer, options)
  }

  async learnAddrs (peer: PeerId, addrs: string[]): Promise<void> {
    this.learned.push({ peer, addrs })
  }

  /** Requests of one type sent so far (to one peer, if given), in order. */
  sentOfType<T extends MessageType>(type: T, to?: PeerId | string): Array<SentRequest<Of<T>>> {
    return this.sent.filter((r): r is SentRequest<Of<T>> => r.message.type === type && (to === undefined || r.peer.toString() === to.toString()))
  }

  /** Peer ids (as strings) that were sent a message of `type`, in order, without repeats. */
  peersSent (type: MessageType): string[] {
    return [...new Set(this.sentOfType(type).map(r => r.peer.toString()))]
  }
}

export class FakeDirectRegistry implements DirectRegistry {
  readonly handlers = new Map<MessageType, DirectHandler>()

  handle<T extends MessageType>(type: T, handler: DirectHandler<Of<T>>): void {
    if (this.handlers.has(type)) throw new Error(`a handler for direct ${type} messages is registered already`)
    this.handlers.set(type, handler as DirectHandler)
  }

  /** Plays a direct request from `from` arriving; throws when the service registered no handler for it. */
  async call (message: SwarmMessage, from: PeerId): Promise<SwarmMessage> {
    const handler = this.handlers.get(message.type)
    if (handler === undefined) throw new Error(`no handler registered for direct ${message.type} messages`)
    return await handler(message, from)
  }
}
