/**
 * What an `llm` handler sends its model and how it reads the answer (issue 15). Pure.
 *
 * The model gets the skill's system prompt, then one user message: the task's description, its
 * input (text as it is, anything else as indented JSON), the findings on the group's blackboard
 * so far, and — when the skill wants JSON — the instruction to answer with one JSON value.
 */
import type { Json } from '@swarm/protocol'

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant'
  content: string
}

/** A blackboard finding as the prompt shows it. */
export interface PromptFinding {
  kind: string
  content: string
  confidence: number
}

export interface PromptParts {
  system: string
  /** The skill this member performs (named in the prompt). */
  skill: string
  description: string
  input: Json
  findings?: readonly PromptFinding[]
  output: 'text' | 'json'
}

/** Findings shown at most (the latest), and characters of each. */
const MAX_FINDINGS = 50
const MAX_FINDING_CHARS = 2_000

/** The task input as prompt text: a string as it is, null as nothing, anything else as JSON. */
export function inputText (input: Json): string | undefined {
  if (input === null) return undefined
  if (typeof input === 'string') return input
  return JSON.stringify(input, null, 2)
}

/** The messages of one request. */
export function buildMessages (parts: PromptParts): ChatMessage[] {
  const sections = [`Your part: ${parts.skill}.`, `Task: ${parts.description}`]
  const input = inputText(parts.input)
  if (input !== undefined) sections.push(`Input:\n${input}`)
  const findings = (parts.findings ?? []).slice(-MAX_FINDINGS)
  if (findings.length > 0) {
    sections.push(`Findings of the group so far:\n${findings.map(f => `- (${f.kind}, confidence ${f.confidence}) ${f.content.slice(0, MAX_FINDING_CHARS)}`).join('\n')}`)
  }
  if (parts.output === 'json') sections.push('Answer with one JSON value and nothing else: no prose, no code fence.')
  return [{ role: 'system', content: parts.system }, { role: 'user', content: sections.join('\n\n') }]
}

/**
 * The JSON value of an answer that should be one: the text itself, or inside a ``` fence (models
 * add one however they are told). Undefined when it is not JSON.
 */
export function parseJsonAnswer (text: string): Json | undefined {
  const trimmed = text.trim()
  const fenced = /^```[a-zA-Z]*\s*\n([\s\S]*?)\n?```$/.exec(trimmed)
  const candidate = fenced?.[1] ?? trimmed
  try {
    return JSON.parse(candidate) as Json
  } catch {
    return undefined
  }
}

/** The end of `text` that fits a progress message of `max` characters (cut at the front, marked with …). */
export function progressTail (text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  return flat.length <= max ? flat : `…${flat.slice(flat.length - max + 1)}`
}
