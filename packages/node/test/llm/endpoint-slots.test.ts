import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { EndpointSlots } from '../../src/llm/endpoint-slots.js'

describe('EndpointSlots', () => {
  it('lets at most max requests of one endpoint run, the others waiting in order', async () => {
    const slots = new EndpointSlots()
    const signal = new AbortController().signal
    const first = await slots.acquire('e', 2, signal)
    const second = await slots.acquire('e', 2, signal)
    const order: string[] = []
    const third = slots.acquire('e', 2, signal).then(release => { order.push('third'); return release })
    const fourth = slots.acquire('e', 2, signal).then(release => { order.push('fourth'); return release })
    assert.deepEqual(slots.stats(), { e: { running: 2, waiting: 2 } })
    // Another endpoint is not held up.
    const other = await slots.acquire('f', 1, signal)
    first()
    first() // a second call gives nothing back twice
    ;(await third)()
    second()
    ;(await fourth)()
    other()
    assert.deepEqual(order, ['third', 'fourth'])
    assert.deepEqual(slots.stats(), {})
  })

  it('drops a waiting request whose part is aborted', async () => {
    const slots = new EndpointSlots()
    const release = await slots.acquire('e', 1, new AbortController().signal)
    const controller = new AbortController()
    const waiting = slots.acquire('e', 1, controller.signal)
    controller.abort(new Error('cancelled'))
    await assert.rejects(waiting, /cancelled/)
    assert.deepEqual(slots.stats(), { e: { running: 1, waiting: 0 } })
    release()
    assert.deepEqual(slots.stats(), {})
  })
})
