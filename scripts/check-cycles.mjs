#!/usr/bin/env node
// Fails when the TypeScript sources import each other in a cycle (value or type imports; see
// scripts/import-graph.mjs for what counts as an edge). Part of `npm run check`.
//   node scripts/check-cycles.mjs
// Prints each cycle (its files and one shortest loop through them) and exits 1 if there is any.
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildGraph, displayPath, findCycles, tsFilesUnder } from './import-graph.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const packagesDir = join(root, 'packages')
const packages = ['protocol', 'node', 'sim', 'cli']
const files = [
  ...packages.flatMap(p => [...tsFilesUnder(join(packagesDir, p, 'src')), ...tsFilesUnder(join(packagesDir, p, 'test'))]),
  ...tsFilesUnder(join(root, 'test')),
  ...tsFilesUnder(join(root, 'bench'))
]
const cycles = findCycles(buildGraph(files, packagesDir))
const show = file => displayPath(root, file)

if (cycles.length === 0) {
  console.log(`check-cycles: no import cycles among ${files.length} files`)
} else {
  console.error(`check-cycles: ${cycles.length} import cycle${cycles.length === 1 ? '' : 's'} (value or type imports):`)
  for (const { members, cycle } of cycles) {
    console.error(`\n  ${cycle.map(show).join('\n    → ')}`)
    if (members.length > cycle.length - 1) {
      console.error(`  (one loop of ${members.length} files tied together: ${members.map(show).join(', ')})`)
    }
  }
  console.error('\nMove the shared types or helpers the files need from each other into a module of their own that imports neither.')
  process.exit(1)
}
