/**
 * @swarm/sim — the simulator: scenarios and presets, a seeded plan, real swarm nodes spread over
 * worker threads, churn and partitions, and the report (table, JSON, HTML with plots).
 */
export { ScenarioSchema, parseScenario, loadScenario, readScenario, presetNames, parseAdversariesOption, ADVERSARY_KINDS, PRESETS_DIR } from './scenario.js'
export type { Scenario, ScenarioInput, AdversaryKind } from './scenario.js'
export { planSimulation } from './plan.js'
export type { SimulationPlan, PeerPlan, TaskPlan, ChaosEvent } from './plan.js'
export { runSimulation, defaultWorkers } from './coordinator.js'
export { peerConfig } from './peer-config.js'
export type { SimProgress, RunOptions } from './coordinator.js'
export { buildReport } from './report.js'
export type { SimReport } from './report.js'
export type { FreezeSection, LiarsSection } from './faults-report.js'
export { renderHtml } from './html.js'
export { renderTable } from './table.js'
export { summarize, gini, percentile, cdf, timeSeries } from './metrics.js'
export { createRandom } from './rng.js'
