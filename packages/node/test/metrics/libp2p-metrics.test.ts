import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { Registry } from 'prom-client'
import { nodeLibp2pMetrics, nodeMetricKey } from '../../src/metrics/libp2p-metrics.js'
import type { ComponentLogger, Counter, Metric } from '@libp2p/interface'

/** A logger that logs nothing, as libp2p components get one. */
const quietLogger = (): ComponentLogger => {
  const log = Object.assign(() => {}, { error: () => {}, trace: () => {}, enabled: false, newScope: () => log })
  return { forComponent: () => log }
}

/** How @libp2p/prometheus-metrics turns a name into a Prometheus metric name. */
const normalise = (name: string): string => name.replace(/[^a-zA-Z0-9_]/g, '_').replace(/_+/g, '_')

describe('libp2p metrics per node', () => {
  it('gives each node its own key for a name, exposed under the same name', () => {
    const keys = new Set<string>()
    for (const seq of [0, 1, 2, 15, 16, 17, 255, 256, 4095, 100_000]) {
      const key = nodeMetricKey('libp2p_tcp_dialer_errors_total', seq)
      assert.equal(normalise(key), 'libp2p_tcp_dialer_errors_total')
      keys.add(key)
    }
    assert.equal(keys.size, 10)
    assert.equal(nodeMetricKey('plain', 3), 'plain')
  })

  it('registers each node\'s libp2p metrics in that node\'s registry, even for names another node registered since', async () => {
    const [ra, rb] = [new Registry(), new Registry()]
    const components = { logger: quietLogger() }
    const a = nodeLibp2pMetrics({ registry: ra })(components)
    const b = nodeLibp2pMetrics({ registry: rb })(components)
    // Registered after b existed: with the package's shared map, a would get b's counter.
    const ca: Counter = b.registerCounter('libp2p_test_things_total')
    const cb: Counter = a.registerCounter('libp2p_test_things_total')
    assert.notEqual(ca, cb)
    cb.increment(2)
    ca.increment(5)
    assert.match(await ra.getSingleMetricAsString('libp2p_test_things_total'), /libp2p_test_things_total 2/)
    assert.match(await rb.getSingleMetricAsString('libp2p_test_things_total'), /libp2p_test_things_total 5/)
    // Asking again gives the node's own metric back, without registering it twice.
    assert.equal(a.registerCounter('libp2p_test_things_total'), cb)
    const calculated = a.registerMetric('libp2p_test_level', { calculate: () => 7 })
    assert.equal(calculated, undefined)
    assert.match(await ra.getSingleMetricAsString('libp2p_test_level'), /libp2p_test_level 7/)
    const gauge: Metric = b.registerMetric('libp2p_test_gauge')
    gauge.update(3)
    assert.match(await rb.metrics(), /libp2p_test_gauge 3/)
    assert.doesNotMatch(await ra.metrics(), /libp2p_test_gauge/)
  })
})
