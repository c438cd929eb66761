import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { Lifecycle } from '../src/lifecycle.js'
import { silentLogger } from '../src/logger.js'

function recorder (calls: string[], name: string, failOn?: 'start' | 'stop'): { name: string, part: { start: () => void, stop: () => void } } {
  return {
    name,
    part: {
      start: () => { if (failOn === 'start') throw new Error(`${name} broke`); calls.push(`start ${name}`) },
      stop: () => { calls.push(`stop ${name}`); if (failOn === 'stop') throw new Error(`${name} broke`) }
    }
  }
}

describe('Lifecycle', () => {
  it('starts in the start order and stops in the stop order', async () => {
    const calls: string[] = []
    const [a, b, c] = [recorder(calls, 'a'), recorder(calls, 'b'), recorder(calls, 'c')]
    const life = new Lifecycle([a, b, c], [b, a, c], silentLogger())
    await life.start()
    await life.stop()
    assert.deepEqual(calls, ['start a', 'start b', 'start c', 'stop b', 'stop a', 'stop c'])
  })

  it('a part that fails to start stops those already started; one that fails to stop does not stop the others', async () => {
    const calls: string[] = []
    const life = new Lifecycle([recorder(calls, 'a', 'stop'), recorder(calls, 'b'), recorder(calls, 'c', 'start')], [recorder(calls, 'c'), recorder(calls, 'b'), recorder(calls, 'a', 'stop')], silentLogger())
    await assert.rejects(life.start(), /c broke/)
    assert.deepEqual(calls, ['start a', 'start b', 'stop b', 'stop a'])
  })

  it('refuses orders that name different parts', () => {
    const calls: string[] = []
    assert.throws(() => new Lifecycle([recorder(calls, 'a')], [recorder(calls, 'b')], silentLogger()), /must name the same parts/)
  })
})
