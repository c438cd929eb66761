/**
 * What an `llm` handler sends its model and how it reads the answer (issue 15). Pure.
 *
 * The model gets the skill's system prompt, then one user message: the task's description, its
 * input (text as it is, anything else as indented JSON), the findings on the group's blackboard
 * so far, and — when the skill wants JSON — the instruction to answer with one JSON value.
 *
 * A workflow step's task whose input holds the outputs of the steps it builds on (the workflow
 * tag's `buildsOn`: the input is `{ <step id>: output, …, feedback?: … }`) shows them apart: each
 * upstream step's output under its id, the review's feedback in a section of its own, and the
 * rest of the input as the input.
 */
import { z } from 'zod'
import type { VoteInput } from '../group/inputs.js'
import type { Json, WorkflowTag } from '@swarm/protocol'

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
  /** Ask for findings, each on a line starting with FINDING: (see findingsOf). */
  askFindings?: boolean
  /** The workflow step the task serves: the input keys in `buildsOn` are upstream outputs. */
  workflow?: Pick<WorkflowTag, 'buildsOn'>
}

/** Findings shown at most (the latest), and characters of each. */
const MAX_FINDINGS = 50
const MAX_FINDING_CHARS = 2_000

/** Characters of one upstream step's output shown at most, of all of them together, and of the feedback. */
const MAX_UPSTREAM_CHARS = 16_000
const MAX_BUILDS_ON_CHARS = 48_000
const MAX_FEEDBACK_CHARS = 8_000

/** The input key a review loop puts its reasons under. */
const FEEDBACK_KEY = 'feedback'

/** The task input as prompt text: a string as it is, null as nothing, anything else as JSON. */
export function inputText (input: Json): string | undefined {
  if (input === null) return undefined
  if (typeof input === 'string') return input
  return JSON.stringify(input, null, 2)
}

/** `text` cut to `max` characters, saying how much was left out. */
function clip (text: string, max: number): string {
  if (text.length <= max) return text
  return `${text.slice(0, max)}\n… (cut: ${text.length - max} more characters)`
}

/**
 * The sections of a workflow step's input that builds on other steps: each upstream output under
 * its step id (at most MAX_UPSTREAM_CHARS each, MAX_BUILDS_ON_CHARS in all), the feedback, and
 * the remaining keys as the input. Undefined when the input is not such an input (no `buildsOn`,
 * or not an object): it is then shown as it is.
 */
function workflowSections (input: Json, workflow: PromptParts['workflow']): string[] | undefined {
  if (workflow === undefined || workflow.buildsOn.length === 0) return undefined
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return undefined
  const upstream = [...new Set(workflow.buildsOn)]
  let budget = MAX_BUILDS_ON_CHARS
  const outputs = upstream.map(stepId => {
    const full = inputText(input[stepId] ?? null) ?? '(no output)'
    const room = Math.min(MAX_UPSTREAM_CHARS, budget)
    budget -= Math.min(room, full.length)
    return `### ${stepId}\n${room > 0 ? clip(full, room) : `(left out: ${full.length} characters, the outputs above fill this section)`}`
  })
  const sections = [`## Outputs this step builds on\n${outputs.join('\n\n')}`]
  const feedback = upstream.includes(FEEDBACK_KEY) ? undefined : inputText(input[FEEDBACK_KEY] ?? null)
  if (feedback !== undefined) sections.push(`## Feedback from the review\n${clip(feedback, MAX_FEEDBACK_CHARS)}`)
  const rest = Object.entries(input).filter(([key]) => !upstream.includes(key) && key !== FEEDBACK_KEY)
  if (rest.length > 0) sections.push(`Input:\n${JSON.stringify(Object.fromEntries(rest), null, 2)}`)
  return sections
}

/** The messages of one request. */
export function buildMessages (parts: PromptParts): ChatMessage[] {
  const sections = [`Your part: ${parts.skill}.`, `Task: ${parts.description}`]
  const stepSections = workflowSections(parts.input, parts.workflow)
  if (stepSections !== undefined) {
    sections.push(...stepSections)
  } else {
    const input = inputText(parts.input)
    if (input !== undefined) sections.push(`Input:\n${input}`)
  }
  const findings = (parts.findings ?? []).slice(-MAX_FINDINGS)
  if (findings.length > 0) {
    sections.push(`Findings of the group so far:\n${findings.map(f => `- (${f.kind}, confidence ${f.confidence}) ${f.content.slice(0, MAX_FINDING_CHARS)}`).join('\n')}`)
  }
  if (parts.askFindings === true) sections.push('If you notice something the rest of the group should know, put each such finding on a line of its own starting with "FINDING: ".')
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

/** Findings of an answer at most, and characters of each. */
const MAX_ANSWER_FINDINGS = 10

/** The lines of an answer that start with FINDING: (what the prompt asked for), without the prefix. */
export function findingsOf (text: string): string[] {
  const found: string[] = []
  for (const match of text.matchAll(/^\s*FINDING:\s*(.+?)\s*$/gm)) {
    const content = match[1]
    if (content !== undefined && content !== '') found.push(content.slice(0, MAX_FINDING_CHARS))
    if (found.length >= MAX_ANSWER_FINDINGS) break
  }
  return found
}

/** What a model is asked to vote on: the group's results (the verification), or another member's proposal. */
export type VoteSubject =
  | { kind: 'verification', results: Json | undefined }
  | { kind: 'proposal', action: string, params: Json | undefined }

/** The messages that ask a model for its vote. */
export function voteMessages (parts: { system: string, skill: string, description: string, subject: VoteSubject }): ChatMessage[] {
  const { subject } = parts
  const asked = subject.kind === 'verification'
    ? [
        'The group has finished the task and votes on whether its result is accepted.',
        `Results of the group (per skill, each member's answer):\n${subject.results === undefined ? '(the results were not shown to the group)' : JSON.stringify(subject.results, null, 2)}`,
        'Decide whether the result does what the task asks.'
      ]
    : [
        `A member of the group proposes: ${subject.action}`,
        ...(subject.params !== undefined ? [`Parameters:\n${JSON.stringify(subject.params, null, 2)}`] : []),
        'Decide whether the group should do it.'
      ]
  return [
    { role: 'system', content: parts.system },
    {
      role: 'user',
      content: [
        `Your part: ${parts.skill}.`,
        `Task: ${parts.description}`,
        ...asked,
        'Answer with one JSON object and nothing else: {"vote": "approve" or "reject", "confidence": a number from 0 to 1, "reason": "one or two sentences"}'
      ].join('\n\n')
    }
  ]
}

const VoteAnswerSchema = z.object({
  vote: z.enum(['approve', 'reject']),
  confidence: z.number().min(0).max(1),
  reason: z.string().min(1).max(4000)
}).strict()

/**
 * A model's vote, parsed strictly: a JSON object (bare or fenced) with vote approve or reject, a
 * confidence from 0 to 1 and a reason. Anything else is an abstention that says why.
 */
export function parseVote (text: string): VoteInput {
  const parsed = VoteAnswerSchema.safeParse(parseJsonAnswer(text))
  if (!parsed.success) {
    return { choice: 'abstain', confidence: 0, reason: `the model's answer is not a vote ({"vote": "approve"|"reject", "confidence", "reason"}): ${JSON.stringify(text.trim().slice(0, 300))}` }
  }
  return { choice: parsed.data.vote === 'approve' ? 'yes' : 'no', confidence: parsed.data.confidence, reason: parsed.data.reason }
}
