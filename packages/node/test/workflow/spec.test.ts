import { describe, expect, it } from 'vitest'
import { depthsOf, parseWorkflow, parseWorkflowText, WorkflowSpecError } from '../../src/workflow/spec.js'
import { resolveTemplates } from '../../src/workflow/templates.js'

const YAML = `
name: churn-model
input: { path: customers.json }
maxParallel: 4
steps:
  - id: clean
    description: Clean the customer data
    skills: [data_cleaning:intermediate]
    input: "\${{ workflow.input }}"
  - id: features
    needs: [clean]
    skills: [feature_engineering:advanced]
    input: { rows: "\${{ steps.clean.output }}" }
  - id: review
    needs: [features]
    skills: [reviewer:advanced:3]
    verify: majority
    loop: { back: features, max: 3 }
  - id: deploy
    needs: [review]
    approval: true
    skills: [model_deployment:intermediate]
`

function problemsOf (raw: unknown): string[] {
  try {
    parseWorkflow(raw)
  } catch (err) {
    if (err instanceof WorkflowSpecError) return err.problems.map(p => `${p.where}: ${p.message}`)
    throw err
  }
  return []
}

describe('workflow files', () => {
  it('reads the example of the issue, with skills in their short form', () => {
    const wf = parseWorkflowText(YAML)
    expect(wf.steps.map(s => s.id)).toEqual(['clean', 'features', 'review', 'deploy'])
    expect(wf.steps[2]?.skills).toEqual([{ name: 'reviewer', minLevel: 'advanced', count: 3 }])
    expect(wf.steps[3]?.approval).toBe(true)
    expect(wf.steps[0]?.onFailure).toBe('fail')
    expect([...depthsOf(wf.steps)]).toEqual([['clean', 0], ['features', 1], ['review', 2], ['deploy', 3]])
  })

  it('refuses a cycle, naming the steps along it', () => {
    const problems = problemsOf({ name: 'w', steps: [{ id: 'a', skills: ['x'], needs: ['c'] }, { id: 'b', skills: ['x'], needs: ['a'] }, { id: 'c', skills: ['x'], needs: ['b'] }] })
    expect(problems).toEqual(['steps: the needs go round in a cycle: a → c → b → a'])
  })

  it('refuses unknown step ids and unknown fields, naming the step and the field', () => {
    expect(problemsOf({ name: 'w', steps: [{ id: 'a', skills: ['x'], needs: ['nope'] }] })).toEqual(['steps[0] (a).needs: "nope" is not a step of this workflow (steps: a)'])
    const unknown = problemsOf({ name: 'w', steps: [{ id: 'a', skills: ['x'], retries: 3 }] })
    expect(unknown).toHaveLength(1)
    expect(unknown[0]).toMatch(/^steps\[0\] \(a\): .*retries/)
    expect(problemsOf({ name: 'w', steps: [{ id: 'a', skills: ['x:guru'] }] })[0]).toMatch(/^steps\[0\] \(a\)\.skills\.0: "x:guru": unknown level/)
  })

  it('refuses templates that read a step that is not upstream, and a loop back to a step that is not upstream', () => {
    const problems = problemsOf({
      name: 'w',
      steps: [
        { id: 'a', skills: ['x'] },
        { id: 'b', skills: ['x'], input: '${{ steps.a.output }}' },
        { id: 'c', skills: ['x'], needs: ['a'], input: { v: '${{ steps.ghost.output }}', i: '${{ item }}' }, loop: { back: 'b', max: 2 } }
      ]
    })
    expect(problems).toEqual([
      'steps[1] (b).input: reads steps.a.output, but "a" is not upstream of "b": add it to needs (directly or through another step)',
      'steps[2] (c).input: reads steps.ghost.output, but there is no step "ghost"',
      'steps[2] (c).input: item is only known in a step with forEach',
      'steps[2] (c).loop.back: "b" is not upstream of "c": a loop goes back to a step this one needs (directly or through others)'
    ])
  })

  it('refuses a file that is not YAML, and a duplicate id', () => {
    expect(() => parseWorkflowText('steps: [', 'wf.yaml')).toThrow(/wf.yaml cannot run:\n {2}\(file\): not YAML or JSON/)
    expect(problemsOf({ name: 'w', steps: [{ id: 'a', skills: ['x'] }, { id: 'a', skills: ['y'] }] })).toEqual(['steps[1] (a).id: "a" is already the id of steps[0]'])
  })
})

describe('templates', () => {
  const scope = { workflowInput: { path: 'c.json' }, outputs: new Map([['clean', { rows: [1, 2], n: 2 }]]), feedback: 'add tests' }

  it('keeps the JSON type of a whole-string template and writes JSON text inside a longer string', () => {
    expect(resolveTemplates({ rows: '${{ steps.clean.output.rows }}', n: '${{steps.clean.output.n}}', note: 'rows ${{ steps.clean.output.rows }} of ${{ workflow.input.path }}' }, scope))
      .toEqual({ rows: [1, 2], n: 2, note: 'rows [1,2] of c.json' })
    expect(resolveTemplates('${{ feedback }}', scope)).toBe('add tests')
    expect(resolveTemplates('${{ steps.clean.output.rows.1 }}', scope)).toBe(2)
    expect(resolveTemplates('${{ steps.clean.output.missing }}', scope)).toBe(null)
  })
})
