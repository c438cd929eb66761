import { serviceCapabilities } from '@libp2p/interface'
import { prometheusMetrics } from '@libp2p/prometheus-metrics'
import type { ComponentLogger, Metrics, MultiaddrConnection, Stream } from '@libp2p/interface'
import type { Registry } from 'prom-client'

/** The `register*` methods of libp2p's Metrics interface. */
const REGISTER_METHODS = [
  'registerMetric',
  'registerMetricGroup',
  'registerCounter',
  'registerCounterGroup',
  'registerHistogram',
  'registerHistogramGroup',
  'registerSummary',
  'registerSummaryGroup'
] as const

type RegisterMethod = (typeof REGISTER_METHODS)[number]
type AnyRegister = (name: string, options?: unknown) => unknown

/**
 * Characters that Prometheus metric names cannot hold: @libp2p/prometheus-metrics turns each
 * run of them (together with the underscores around it) into one underscore.
 */
const INVISIBLE_DIGITS = '.-:/!#$%&*+,;<=>?'
const INVISIBLE_END = '~'

let nodesSeen = 0

/**
 * A key for `name` that is unique to node number `seq` and that @libp2p/prometheus-metrics
 * still exposes as `name`: `libp2p_tcp_x` becomes `libp2p_<punctuation>~tcp_x`, and the
 * punctuation disappears when the name is normalised. Names without an underscore keep their
 * name (libp2p names all have one).
 */
export function nodeMetricKey (name: string, seq: number): string {
  const at = name.indexOf('_')
  if (at < 0) return name
  let digits = ''
  let n = seq + 1
  while (n > 0) {
    digits = (INVISIBLE_DIGITS[n % 16] ?? '.') + digits
    n = Math.floor(n / 16)
  }
  return `${name.slice(0, at + 1)}${digits}${INVISIBLE_END}${name.slice(at + 1)}`
}

export interface NodeLibp2pMetricsOptions {
  /** The node's own registry: never prom-client's global one. */
  registry: Registry
}

/**
 * libp2p's metrics (@libp2p/prometheus-metrics) into one node's registry.
 *
 * @libp2p/prometheus-metrics remembers the metrics it created in one module-wide map, by name,
 * and hands an existing one out again instead of creating it: with several nodes in one process
 * (tests, simulations, embedding), a node would get another node's metric, registered in the
 * other node's registry. So each node gets its own view: its metrics are remembered per node and
 * registered under a key that is unique to the node but keeps the metric's exposed name.
 */
export function nodeLibp2pMetrics (options: NodeLibp2pMetricsOptions): (components: { logger: ComponentLogger }) => Metrics {
  return components => {
    const seq = nodesSeen++
    // Creating the inner metrics clears the module-wide map (and prom-client's global registry,
    // which the node does not use): earlier nodes keep the metrics they already hold.
    // Process metrics are collected once per process (see node-metrics.ts), not per node.
    const inner = prometheusMetrics({ registry: options.registry, collectDefaultMetrics: false })(components)
    return new PerNodeMetrics(inner, seq)
  }
}

class PerNodeMetrics {
  readonly #inner: Metrics
  readonly #seq: number
  readonly #own = new Map<string, unknown>()
  readonly [Symbol.toStringTag] = '@swarm/node-libp2p-metrics'
  readonly [serviceCapabilities] = ['@libp2p/metrics']
  // The register methods, defined in the constructor (one per name of REGISTER_METHODS).
  declare readonly registerMetric: Metrics['registerMetric']
  declare readonly registerMetricGroup: Metrics['registerMetricGroup']
  declare readonly registerCounter: Metrics['registerCounter']
  declare readonly registerCounterGroup: Metrics['registerCounterGroup']
  declare readonly registerHistogram: Metrics['registerHistogram']
  declare readonly registerHistogramGroup: Metrics['registerHistogramGroup']
  declare readonly registerSummary: Metrics['registerSummary']
  declare readonly registerSummaryGroup: Metrics['registerSummaryGroup']

  constructor (inner: Metrics, seq: number) {
    this.#inner = inner
    this.#seq = seq
    for (const method of REGISTER_METHODS) {
      Object.defineProperty(this, method, { value: this.#registerWith(method), enumerable: true })
    }
  }

  #registerWith (method: RegisterMethod): AnyRegister {
    const register = (this.#inner[method] as AnyRegister).bind(this.#inner)
    return (name, options) => {
      const key = `${method}:${name}`
      if (this.#own.has(key)) return this.#own.get(key)
      const metric = register(nodeMetricKey(name, this.#seq), options)
      this.#own.set(key, metric)
      return metric
    }
  }

  start (): void {
    (this.#inner as Partial<{ start: () => void }>).start?.()
  }

  stop (): void {
    (this.#inner as Partial<{ stop: () => void }>).stop?.()
  }

  trackMultiaddrConnection (maConn: MultiaddrConnection): void {
    this.#inner.trackMultiaddrConnection(maConn)
  }

  trackProtocolStream (stream: Stream): void {
    this.#inner.trackProtocolStream(stream)
  }

  traceFunction<F> (name: string, fn: F): F {
    return fn
  }

  createTrace (): undefined {
    return undefined
  }
}
