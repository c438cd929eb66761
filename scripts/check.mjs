#!/usr/bin/env node
// The static checks, `npm run check` (`npm test` runs it after the build): eslint, knip and the
// import-cycle check. Runs all three even when one fails, so that one run shows every problem,
// then exits 1 if any failed.
import { spawnSync } from 'node:child_process'

const CHECKS = ['lint', 'knip', 'cycles']
const npm = process.env.npm_execpath
const failed = []
for (const check of CHECKS) {
  // Through npm, as `npm run <check>` would: the project's Node.js and node_modules/.bin on PATH.
  const result = npm !== undefined
    ? spawnSync(process.execPath, [npm, 'run', '--silent', check], { stdio: 'inherit' })
    : spawnSync('npm', ['run', '--silent', check], { stdio: 'inherit', shell: process.platform === 'win32' })
  if (result.status !== 0) failed.push(check)
}
if (failed.length > 0) {
  console.error(`\ncheck: ${failed.join(', ')} failed (run each alone with npm run ${failed[0]})`)
  process.exit(1)
}
console.log(`check: ${CHECKS.join(', ')} passed`)
