/**
 * Templates of a workflow file: `${{ workflow.input }}`, `${{ steps.ID.output }}`,
 * `${{ steps.ID.output.a.b }}` (a dotted path; a number picks an array element), `${{ feedback }}`
 * (the rejection reasons of a review loop), and with `forEach` `${{ item }}`, `${{ item.a }}` and
 * `${{ index }}`. A string that is one whole template becomes the value it names, with its JSON
 * type; a template inside a longer string becomes its text (a string as it is, anything else as
 * JSON). Pure.
 */
import type { Json } from '@swarm/protocol'

/** What a template can name. */
export type TemplateRef =
  | { kind: 'workflow-input', path: string[] }
  | { kind: 'step-output', step: string, path: string[] }
  | { kind: 'feedback' }
  | { kind: 'item', path: string[] }
  | { kind: 'index' }

/** What templates are resolved against. */
export interface TemplateScope {
  workflowInput?: Json
  /** Outputs of the steps that completed (a failed step that continued: null). */
  outputs: ReadonlyMap<string, Json>
  feedback?: Json
  item?: Json
  index?: number
}

/** A template the file cannot use: it names nothing, or its syntax is wrong. */
export class TemplateError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'TemplateError'
  }
}

const TEMPLATE = /\$\{\{\s*([^}]*?)\s*\}\}/g
const WHOLE = /^\$\{\{\s*([^}]*?)\s*\}\}$/
const SEGMENT = /^[A-Za-z0-9_-]+$/

/** Parses the expression inside `${{ … }}`. Throws TemplateError for one it does not know. */
function parseRef (expr: string): TemplateRef {
  const parts = expr.split('.')
  if (parts.some(p => !SEGMENT.test(p))) throw new TemplateError(`"\${{ ${expr} }}" is not a template: use workflow.input, steps.<id>.output, feedback, item or index, with .name or .0 to go inside`)
  const [head, ...rest] = parts
  if (head === 'workflow' && rest[0] === 'input') return { kind: 'workflow-input', path: rest.slice(1) }
  if (head === 'steps' && rest.length >= 2 && rest[1] === 'output') return { kind: 'step-output', step: rest[0] as string, path: rest.slice(2) }
  if (head === 'feedback' && rest.length === 0) return { kind: 'feedback' }
  if (head === 'item') return { kind: 'item', path: rest }
  if (head === 'index' && rest.length === 0) return { kind: 'index' }
  throw new TemplateError(`"\${{ ${expr} }}" names nothing a step can read: use workflow.input, steps.<id>.output, feedback, item or index`)
}

/** Every template a value holds (in strings at any depth). Throws TemplateError for a bad one. */
export function refsOf (value: Json | undefined): TemplateRef[] {
  const refs: TemplateRef[] = []
  const walk = (v: Json | undefined): void => {
    if (typeof v === 'string') {
      for (const m of v.matchAll(TEMPLATE)) refs.push(parseRef(m[1] ?? ''))
    } else if (Array.isArray(v)) {
      for (const x of v) walk(x)
    } else if (typeof v === 'object' && v !== null) {
      for (const x of Object.values(v)) walk(x)
    }
  }
  walk(value)
  return refs
}

/** The value at `path` inside `value`; undefined when the path leads nowhere. */
function at (value: Json | undefined, path: string[]): Json | undefined {
  let v = value
  for (const key of path) {
    if (Array.isArray(v) && /^\d+$/.test(key)) v = v[Number(key)]
    else if (typeof v === 'object' && v !== null && !Array.isArray(v)) v = v[key]
    else return undefined
  }
  return v
}

/** What a reference stands for in a scope; `null` when it leads nowhere. */
function valueOf (ref: TemplateRef, scope: TemplateScope): Json {
  switch (ref.kind) {
    case 'workflow-input': return at(scope.workflowInput, ref.path) ?? null
    case 'step-output': return at(scope.outputs.get(ref.step), ref.path) ?? null
    case 'feedback': return scope.feedback ?? null
    case 'item': return at(scope.item, ref.path) ?? null
    case 'index': return scope.index ?? null
  }
}

function textOf (value: Json): string {
  return typeof value === 'string' ? value : JSON.stringify(value)
}

/** `value` with every template replaced from `scope`. */
export function resolveTemplates (value: Json, scope: TemplateScope): Json {
  if (typeof value === 'string') {
    const whole = WHOLE.exec(value)
    if (whole !== null) return valueOf(parseRef(whole[1] ?? ''), scope)
    if (!value.includes('${{')) return value
    return value.replace(TEMPLATE, (_m, expr: string) => textOf(valueOf(parseRef(expr), scope)))
  }
  if (Array.isArray(value)) return value.map(v => resolveTemplates(v, scope))
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, Json> = {}
    for (const [k, v] of Object.entries(value)) out[k] = resolveTemplates(v, scope)
    return out
  }
  return value
}
