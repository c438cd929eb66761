/**
 * The workflows of an LLM development team, over the role skills (llm/roles.ts names them; any
 * handler may serve them): `standard` (clarifier → architect → coder → three reviews in
 * parallel), `full` (… → coder → reviewer, security and tester in parallel → optimizer and
 * documenter in parallel) and `review` (four reviews in parallel). The request is the
 * workflow's input; every later step builds on the outputs of the steps it needs.
 */
import type { WorkflowSpecInput } from './spec.js'

export const PRESET_NAMES = ['standard', 'full', 'review'] as const
export type PresetName = (typeof PRESET_NAMES)[number]

type Step = WorkflowSpecInput['steps'][number]

const first = (id: string, skill: string, what: string): Step => ({ id, skills: [skill], description: what, input: '${{ workflow.input }}' })
const then = (id: string, skill: string, what: string, needs: string[]): Step => ({ id, skills: [skill], description: what, needs })

/** The steps shared by `standard` and `full`: clarify, design, write. */
function build (): Step[] {
  return [
    first('clarify', 'clarifier', 'Clarify the request: list the requirements, the open questions and the assumptions you make'),
    then('design', 'architect', 'Design the solution to the clarified request: components, interfaces, data and the plan', ['clarify']),
    then('code', 'coder', 'Write the code of the design', ['design'])
  ]
}

/** A preset workflow for `request`. */
export function presetWorkflow (preset: PresetName, request: string): WorkflowSpecInput {
  const input = { request }
  switch (preset) {
    case 'standard':
      return {
        name: 'standard',
        description: request,
        input,
        steps: [
          ...build(),
          then('review-correctness', 'reviewer', 'Review the code for correctness: bugs, edge cases, whether it does what the request asks', ['code']),
          then('review-design', 'reviewer', 'Review the code against the design: structure, interfaces, what is missing', ['code']),
          then('review-readability', 'reviewer', 'Review the code for readability and maintainability', ['code'])
        ]
      }
    case 'full':
      return {
        name: 'full',
        description: request,
        input,
        steps: [
          ...build(),
          then('review', 'reviewer', 'Review the code for correctness and design', ['code']),
          then('security', 'security', 'Audit the code for security problems', ['code']),
          then('test', 'tester', 'Write the tests of the code and say what they cover', ['code']),
          then('optimize', 'optimizer', 'Improve the code\'s performance where the reviews and tests show it matters', ['review', 'security', 'test']),
          then('document', 'documenter', 'Write the documentation of the code', ['review', 'security', 'test'])
        ]
      }
    case 'review':
      return {
        name: 'review',
        description: request,
        input,
        steps: [
          first('review-correctness', 'reviewer', 'Review for correctness: bugs and edge cases'),
          first('review-security', 'security', 'Review for security problems'),
          first('review-tests', 'tester', 'Review what is tested and what is not'),
          first('review-performance', 'optimizer', 'Review for performance problems')
        ]
      }
  }
}
