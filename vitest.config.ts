import { existsSync, readdirSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

/**
 * The test levels as vitest projects. Tests are written in TypeScript and run from their compiled
 * output (`npm run build` first; `npm test` does it), so that `import.meta.url`, worker files and
 * fixture paths resolve exactly as in the shipped packages.
 *   unit         packages/<pkg>/test: pure logic and services over fakes (fake clock, no network);
 *                test/scripts: the repository's own scripts (the import-cycle check)
 *   integration  test/integration: several real nodes over TCP in one process
 *   e2e          test/e2e: several swarm-node processes
 *   multihost    test/multihost: network namespaces (root; `npm run test:multihost`)
 *
 * Each project lists the compiled files of the test sources that exist, not a glob over the build
 * output: a test deleted (or renamed) in the source leaves its old .js behind in dist/ or build/
 * (tsc never removes outputs), and that stale copy must not run.
 */
const root = fileURLToPath(new URL('.', import.meta.url))
const PACKAGES = ['protocol', 'node', 'sim', 'cli']

/** `<outDir>/<path>.test.js` for each `<srcDir>/<path>.test.ts`, relative to the repository root. */
function compiledTests (srcDir: string, outDir: string): string[] {
  const from = join(root, srcDir)
  if (!existsSync(from)) return []
  return readdirSync(from, { recursive: true, encoding: 'utf8' })
    .filter(path => path.endsWith('.test.ts'))
    .map(path => relative(root, join(root, outDir, path.slice(0, -'.ts'.length) + '.js')).split(sep).join('/'))
    .sort()
}

/** The compiled tests of one level under test/ (compiled to build/test/). */
const level = (name: string): string[] => compiledTests(`test/${name}`, `build/test/${name}`)

const unit = [
  ...PACKAGES.flatMap(pkg => compiledTests(`packages/${pkg}/test`, `packages/${pkg}/dist/test`)),
  ...level('scripts')
]
const slow = { testTimeout: 180_000, hookTimeout: 180_000, teardownTimeout: 30_000 }

export default defineConfig({
  test: {
    pool: 'forks',
    // Two files at a time: the machines have 2 cores, and the integration tests start real nodes.
    maxWorkers: 2,
    fileParallelism: true,
    reporters: ['default'],
    projects: [
      { test: { name: 'unit', include: unit, testTimeout: 30_000, hookTimeout: 30_000 } },
      { test: { name: 'integration', include: level('integration'), ...slow } },
      { test: { name: 'e2e', include: level('e2e'), ...slow } },
      { test: { name: 'multihost', include: level('multihost'), ...slow } },
      // Opt-in: against a real model server (SWARM_LLM_URL, SWARM_LLM_MODEL), `npm run test:llm`.
      { test: { name: 'llm', include: level('llm'), ...slow } }
    ]
  }
})
