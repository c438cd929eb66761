import { afterAll, beforeAll, describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { FakeNodeApi, PEER, TOKEN, parseSse, serve } from './fake-node-api.js'
import type { SwarmNodeEvents } from '../../src/types.js'

/** A fake node that says when a listener of the event stream stops listening. */
class CountingNode extends FakeNodeApi {
  listeners = 0
  #gone: Array<() => void> = []

  override onAny (listener: (event: keyof SwarmNodeEvents & string, payload: unknown) => void): () => void {
    const off = super.onAny(listener)
    this.listeners++
    return () => {
      off()
      this.listeners--
      for (const fn of this.#gone.splice(0)) fn()
    }
  }

  /** Resolves when a listener stops listening. */
  async listenerGone (): Promise<void> {
    await new Promise<void>(resolve => { this.#gone.push(resolve) })
  }
}

describe('GET /v1/events', () => {
  const node = new CountingNode()
  let url: string
  let stop: () => Promise<void>

  beforeAll(async () => { ({ url, stop } = await serve(node)) })
  afterAll(async () => { await stop() })

  it('says hello with the peer id, forwards every event the node emits, and stops listening when the client hangs up', async () => {
    const abort = new AbortController()
    const res = await fetch(`${url}/v1/events`, { headers: { authorization: `Bearer ${TOKEN}` }, signal: abort.signal })
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/)
    assert.ok(res.body)
    const reader = res.body.getReader()
    const decoder = new TextDecoder()
    let text = ''
    const readUntil = async (events: number): Promise<void> => {
      while (parseSse(text).length < events) {
        const { value, done } = await reader.read()
        if (done) throw new Error(`the stream ended after ${text}`)
        text += decoder.decode(value, { stream: true })
      }
    }
    await readUntil(1)
    assert.equal(node.listeners, 1)
    node.events.emit('peer:connect', { peerId: 'peer-b' })
    node.events.emit('node:stopping', {})
    await readUntil(3)
    assert.deepEqual(parseSse(text), [
      { event: 'hello', data: { peerId: PEER } },
      { event: 'peer:connect', data: { peerId: 'peer-b' } },
      { event: 'node:stopping', data: {} }
    ])
    const gone = node.listenerGone()
    abort.abort()
    await gone
    assert.equal(node.listeners, 0)
  })
})
