import { Registry, collectDefaultMetrics } from 'prom-client'
import { SwarmMetrics } from './swarm-metrics.js'
import type { SwarmMetricsSources, SwarmNodeInfo } from './swarm-metrics.js'

/** The Prometheus text exposition of a registry. */
export interface MetricsExposition {
  contentType: string
  text: string
}

let processRegistry: Registry | undefined

/**
 * Process metrics (CPU, memory, event loop lag, GC, handles): collected once per process, in a
 * registry of their own that every node's exposition includes. Collecting them per node would
 * start one event loop monitor per node, never stopped, in a process that runs many nodes.
 */
function sharedProcessRegistry (): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry()
    collectDefaultMetrics({ register: processRegistry })
  }
  return processRegistry
}

export interface NodeMetricsOptions {
  /** Include the process metrics (default true). */
  process?: boolean
}

/**
 * The metrics of one node: its own prom-client registry (never the global one, since several
 * nodes may share a process) holding libp2p's metrics and the swarm's, plus the process metrics.
 */
export class NodeMetrics {
  readonly registry: Registry
  readonly #process: boolean
  #swarm?: SwarmMetrics

  constructor (options: NodeMetricsOptions = {}, registry = new Registry()) {
    this.registry = registry
    this.#process = options.process ?? true
    if (this.#process) sharedProcessRegistry()
  }

  /** Adds the swarm's metrics; the node then feeds them its events through `observe`. */
  attach (sources: SwarmMetricsSources, info: SwarmNodeInfo): void {
    if (this.#swarm !== undefined) return
    this.#swarm = new SwarmMetrics(this.registry, sources, info)
  }

  /** Counts one node event. */
  observe (event: string, payload: unknown): void {
    this.#swarm?.observe(event, payload)
  }

  /** What `GET /metrics` answers. */
  async exposition (): Promise<MetricsExposition> {
    const registry = this.#process ? Registry.merge([this.registry, sharedProcessRegistry()]) : this.registry
    return { contentType: this.registry.contentType, text: await registry.metrics() }
  }
}
