import { defineConfig } from 'vitest/config'

/**
 * The test levels as vitest projects. Tests are written in TypeScript and run from their compiled
 * output (`npm run build` first; `npm test` does it), so that `import.meta.url`, worker files and
 * fixture paths resolve exactly as in the shipped packages.
 *   unit         packages/<pkg>/test: pure logic and services over fakes (fake clock, no network)
 *   integration  test/integration: several real nodes over TCP in one process
 *   e2e          test/e2e: several swarm-node processes
 *   multihost    test/multihost: network namespaces (root; `npm run test:multihost`)
 */
const slow = { testTimeout: 180_000, hookTimeout: 180_000, teardownTimeout: 30_000 }

export default defineConfig({
  test: {
    pool: 'forks',
    // Two files at a time: the machines have 2 cores, and the integration tests start real nodes.
    maxWorkers: 2,
    fileParallelism: true,
    reporters: ['default'],
    projects: [
      { test: { name: 'unit', include: ['packages/*/dist/test/**/*.test.js'], testTimeout: 30_000, hookTimeout: 30_000 } },
      { test: { name: 'integration', include: ['build/test/integration/**/*.test.js'], ...slow } },
      { test: { name: 'e2e', include: ['build/test/e2e/**/*.test.js'], ...slow } },
      { test: { name: 'multihost', include: ['build/test/multihost/**/*.test.js'], ...slow } }
    ]
  }
})
