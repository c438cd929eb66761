/**
 * Prometheus metrics of this node's model calls (issue 15), per skill (a role's skill is named
 * after the role) and model: requests by outcome, failures by code, tokens, response time and
 * time to the first token. Fed by the `llm:call` event of each finished call.
 */
import { Counter, Histogram } from 'prom-client'
import type { LlmCall } from '../llm/llm-handler.js'
import type { Registry } from 'prom-client'

/** Seconds. */
const RESPONSE_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300]
const FIRST_TOKEN_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30]

/** The observer of `llm:call`, its metrics registered in `registers`. */
export function llmMetrics (registers: Registry[]): (call: LlmCall) => void {
  const requests = new Counter<'skill' | 'model' | 'outcome'>({ name: 'swarm_llm_requests_total', help: 'Model calls of this node\'s llm skills, by skill, model and outcome (ok or error).', labelNames: ['skill', 'model', 'outcome'], registers })
  const failures = new Counter<'skill' | 'model' | 'code'>({ name: 'swarm_llm_failures_total', help: 'Failed model calls, by skill, model and code (LLM_UNREACHABLE, LLM_MODEL_NOT_FOUND, LLM_HTTP_ERROR, LLM_TIMEOUT, ...).', labelNames: ['skill', 'model', 'code'], registers })
  const tokens = new Counter<'skill' | 'model' | 'kind'>({ name: 'swarm_llm_tokens_total', help: 'Tokens of model calls, by skill, model and kind (prompt or completion).', labelNames: ['skill', 'model', 'kind'], registers })
  const response = new Histogram<'skill' | 'model'>({ name: 'swarm_llm_response_seconds', help: 'Time of a model call (the wait for a slot of the endpoint and retries included), by skill and model.', labelNames: ['skill', 'model'], buckets: RESPONSE_BUCKETS, registers })
  const firstToken = new Histogram<'skill' | 'model'>({ name: 'swarm_llm_first_token_seconds', help: 'Time from a model request to the first token of its answer, by skill and model.', labelNames: ['skill', 'model'], buckets: FIRST_TOKEN_BUCKETS, registers })
  return call => {
    const labels = { skill: call.skill, model: call.model }
    requests.inc({ ...labels, outcome: call.ok ? 'ok' : 'error' })
    if (!call.ok) failures.inc({ ...labels, code: call.code ?? 'unknown' })
    if (call.promptTokens > 0) tokens.inc({ ...labels, kind: 'prompt' }, call.promptTokens)
    if (call.completionTokens > 0) tokens.inc({ ...labels, kind: 'completion' }, call.completionTokens)
    response.observe(labels, call.latencyMs / 1000)
    if (call.firstTokenMs !== undefined) firstToken.observe(labels, call.firstTokenMs / 1000)
  }
}
