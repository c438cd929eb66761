#!/usr/bin/env node
// Runs the compiled test files with node's test runner.
//   node scripts/run-tests.mjs [unit|integration|e2e|multihost ...] [-- extra node --test flags]
// Unit tests live in packages/*/test, integration / e2e / multihost tests in test/<level>.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const levels = { unit: [], integration: [], e2e: [], multihost: [] }

function collect (dir, out) {
  if (!existsSync(dir)) return
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) collect(path, out)
    else if (name.endsWith('.test.js')) out.push(path)
  }
}

for (const pkg of readdirSync(join(root, 'packages'))) {
  collect(join(root, 'packages', pkg, 'dist', 'test'), levels.unit)
}
for (const level of ['integration', 'e2e', 'multihost']) {
  collect(join(root, 'build', 'test', level), levels[level])
}

const args = process.argv.slice(2)
const dash = args.indexOf('--')
const wanted = (dash === -1 ? args : args.slice(0, dash))
const extra = dash === -1 ? [] : args.slice(dash + 1)
const chosen = wanted.length === 0 ? ['unit', 'integration', 'e2e'] : wanted
const files = []
for (const level of chosen) {
  if (!(level in levels)) {
    console.error(`unknown test level "${level}": use unit, integration, e2e or multihost`)
    process.exit(2)
  }
  files.push(...levels[level].sort())
}
if (files.length === 0) {
  console.error('no compiled tests found: run "npm run build" first')
  process.exit(1)
}
// The project's own Node.js (the registry package node@24), whatever node started this script.
const bundled = join(root, 'node_modules', '.bin', 'node')
const runtime = existsSync(bundled) ? bundled : process.execPath
const result = spawnSync(runtime, ['--test', '--test-concurrency=2', '--test-timeout=180000', ...extra, ...files], { stdio: 'inherit' })
process.exit(result.status ?? 1)
