// A demo `exec` skill handler for the containers of docker/compose.yaml (any skill name).
//   node docker/handlers/demo.mjs <skill>
// Input (stdin, JSON): anything; with a "text" field it is summarised (first sentence and word
// count), with a "values" array of numbers it gets statistics. Output (stdout, JSON): what this
// container made of it, with the container's host name, so you can see who did the work.
import { hostname } from 'node:os'

const skill = process.argv[2] ?? 'demo'
let raw = ''
process.stdin.setEncoding('utf8')
for await (const chunk of process.stdin) raw += chunk
const input = raw.trim() === '' ? null : JSON.parse(raw)
const out = { skill, by: hostname() }
if (typeof input?.text === 'string') {
  const words = input.text.split(/\s+/).filter(Boolean)
  out.summary = (input.text.split(/(?<=[.!?])\s/)[0] ?? '').slice(0, 200)
  out.words = words.length
}
if (Array.isArray(input?.values) && input.values.every(v => typeof v === 'number')) {
  const sum = input.values.reduce((a, b) => a + b, 0)
  out.stats = { count: input.values.length, mean: input.values.length > 0 ? sum / input.values.length : null, min: Math.min(...input.values), max: Math.max(...input.values) }
}
if (out.summary === undefined && out.stats === undefined) out.received = input
process.stdout.write(JSON.stringify(out) + '\n')
