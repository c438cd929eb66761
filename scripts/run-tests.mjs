#!/usr/bin/env node
// Runs the test levels with vitest (see vitest.config.ts), on the project's own Node.js.
//   node scripts/run-tests.mjs [unit|integration|e2e|multihost|llm ...] [file filters, vitest flags]
// Without a level: unit, integration and e2e. Any other argument goes to vitest as it is, so
// `npm run test:unit -- packages/node/dist/test/core` runs part of a level; arguments after a
// lone `--` go to vitest too. Tests run from their compiled output: build first (`npm test` does).
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const LEVELS = ['unit', 'integration', 'e2e', 'multihost', 'llm']

const args = process.argv.slice(2)
const dash = args.indexOf('--')
const before = dash === -1 ? args : args.slice(0, dash)
const levels = before.filter(a => LEVELS.includes(a))
const extra = [...before.filter(a => !LEVELS.includes(a)), ...(dash === -1 ? [] : args.slice(dash + 1))]
const chosen = levels.length === 0 ? ['unit', 'integration', 'e2e'] : levels
if (!existsSync(join(root, 'build', 'test')) || !existsSync(join(root, 'packages', 'node', 'dist', 'test'))) {
  console.error('no compiled tests found: run "npm run build" first')
  process.exit(1)
}
// The project's own Node.js (the registry package node@24), whatever node started this script.
const bundled = join(root, 'node_modules', '.bin', 'node')
const runtime = existsSync(bundled) ? bundled : process.execPath
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs')
const projects = chosen.flatMap(level => ['--project', level])
const result = spawnSync(runtime, [vitest, 'run', ...projects, ...extra], { stdio: 'inherit', cwd: root })
process.exit(result.status ?? 1)
