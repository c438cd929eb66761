/**
 * The import-cycle check's graph (scripts/import-graph.mjs, used by scripts/check-cycles.mjs):
 * which statements are edges, how specifiers resolve, and the cycle finder on small graphs.
 */
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, it } from 'vitest'

type Graph = Map<string, string[]>
interface ImportGraph {
  importSpecifiers: (source: string) => string[]
  resolveSpecifier: (specifier: string, fromFile: string, packagesDir: string) => string | undefined
  tsFilesUnder: (dir: string) => string[]
  buildGraph: (files: string[], packagesDir: string) => Graph
  stronglyConnected: (graph: Graph) => string[][]
  shortestCycle: (graph: Graph, component: string[], start?: string) => string[]
  findCycles: (graph: Graph) => Array<{ members: string[], cycle: string[] }>
}

// Compiled to build/test/scripts/: the repository is three levels up.
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const lib = await import(pathToFileURL(join(REPO_ROOT, 'scripts', 'import-graph.mjs')).href) as ImportGraph

const graphOf = (edges: Record<string, string[]>): Graph => new Map(Object.entries(edges))

describe('importSpecifiers', () => {
  it('takes imports, type imports, re-exports and import types, not dynamic imports or comments', () => {
    const source = [
      "import { a } from './a.js'",
      "import type { B } from './b.js'",
      "import './side-effect.js'",
      "export { c } from './c.js'",
      "export * from './d.js'",
      "export type { E } from './e.js'",
      "type F = import('./f.js').F",
      'export const g = 1',
      "// import { h } from './h.js'",
      "const text = \"import { i } from './i.js'\"",
      "async function later () { return await import('./j.js') }"
    ].join('\n')
    assert.deepEqual(lib.importSpecifiers(source), ['./a.js', './b.js', './side-effect.js', './c.js', './d.js', './e.js', './f.js'])
  })
})

describe('stronglyConnected and findCycles', () => {
  it('finds nothing in a graph without cycles', () => {
    assert.deepEqual(lib.findCycles(graphOf({ a: ['b', 'c'], b: ['c'], c: [] })), [])
  })

  it('finds a two-file cycle and a file that imports itself', () => {
    const cycles = lib.findCycles(graphOf({ a: ['b'], b: ['a'], c: ['c'], d: ['a'] }))
    assert.deepEqual(cycles, [
      { members: ['a', 'b'], cycle: ['a', 'b', 'a'] },
      { members: ['c'], cycle: ['c', 'c'] }
    ])
  })

  it('keeps separate cycles apart and leaves files that only lead into a cycle out of it', () => {
    const graph = graphOf({ entry: ['a'], a: ['b'], b: ['c'], c: ['a'], x: ['y'], y: ['x', 'a'], leaf: [] })
    assert.deepEqual(lib.stronglyConnected(graph), [['a', 'b', 'c'], ['x', 'y']])
  })

  it('ties together loops that share a file, and prints a shortest loop through the first one', () => {
    // a → b → c → a and a → d → a: one component; the shortest loop through a is a → d → a.
    const graph = graphOf({ a: ['b', 'd'], b: ['c'], c: ['a'], d: ['a'] })
    assert.deepEqual(lib.findCycles(graph), [{ members: ['a', 'b', 'c', 'd'], cycle: ['a', 'd', 'a'] }])
    assert.deepEqual(lib.shortestCycle(graph, ['a', 'b', 'c', 'd'], 'b'), ['b', 'c', 'a', 'b'])
  })

  it('ignores edges to files outside the graph', () => {
    assert.deepEqual(lib.findCycles(graphOf({ a: ['elsewhere'] })), [])
  })

  it('walks a long import chain without running out of stack', () => {
    const n = 20_000
    const edges: Record<string, string[]> = {}
    for (let i = 0; i < n; i++) edges[`m${i}`] = [`m${(i + 1) % n}`]
    const [only, ...rest] = lib.stronglyConnected(graphOf(edges))
    assert.equal(only?.length, n)
    assert.equal(rest.length, 0)
  })
})

describe('buildGraph over files on disk', () => {
  let dir: string
  const write = (path: string, text: string): string => {
    const file = join(dir, path)
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, text)
    return file
  }

  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'swarm-import-graph-')) })
  afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

  it('resolves .js specifiers to .ts sources and @swarm/<pkg> to its src/index.ts, and finds a type-only cycle', () => {
    const packages = join(dir, 'packages')
    const node = write('packages/node/src/node.ts', "import { route } from './api/routes.js'\nimport { LIMITS } from '@swarm/protocol'\nexport const node = route\n")
    const routes = write('packages/node/src/api/routes.ts', "import type { SwarmNode } from '../node.js'\nimport { z } from 'zod'\nexport const route = 1\n")
    const proto = write('packages/protocol/src/index.ts', "export const LIMITS = {}\n")
    write('packages/node/src/types.d.ts', "export type T = 1\n")
    const files = [...lib.tsFilesUnder(join(packages, 'node', 'src')), ...lib.tsFilesUnder(join(packages, 'protocol', 'src'))]
    assert.deepEqual(files, [routes, node, proto])
    assert.equal(lib.resolveSpecifier('./missing.js', node, packages), undefined)
    assert.equal(lib.resolveSpecifier('zod', node, packages), undefined)
    const graph = lib.buildGraph(files, packages)
    assert.deepEqual(graph.get(node), [routes, proto])
    assert.deepEqual(graph.get(routes), [node])
    assert.deepEqual(lib.findCycles(graph), [{ members: [routes, node], cycle: [routes, node, routes] }])
  })
})
