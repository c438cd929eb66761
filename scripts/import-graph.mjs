// The import graph of the project's TypeScript sources and the cycles in it (used by
// scripts/check-cycles.mjs; unit-tested in test/scripts/import-graph.test.ts).
//
// An edge is a static `import ... from`, `import type`, `export ... from` or a type-level
// `import('...')` type: value and type imports alike, since a type cycle ties the modules
// together as much as a value cycle does for a reader. A dynamic `import()` call is not an edge:
// it loads later, on purpose. Relative specifiers resolve `.js` to the `.ts` source next to it;
// `@swarm/<pkg>` resolves to packages/<pkg>/src/index.ts. Anything else (npm packages, node:
// builtins, .mjs fixtures) is outside the graph.
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import ts from 'typescript'

/** Module specifiers of the static imports and re-exports in one TypeScript source text. */
export function importSpecifiers (source, fileName = 'module.ts') {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS)
  const found = []
  const visit = node => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier !== undefined && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push(node.moduleSpecifier.text)
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push(node.argument.literal.text)
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      found.push(node.moduleReference.expression.text)
    }
    ts.forEachChild(node, visit)
  }
  visit(file)
  return found
}

/**
 * The .ts file that `specifier`, imported from `fromFile`, names, or undefined when it is not one
 * of ours. `packagesDir` is where the `@swarm/<pkg>` workspaces live.
 */
export function resolveSpecifier (specifier, fromFile, packagesDir) {
  let target
  if (specifier.startsWith('./') || specifier.startsWith('../')) {
    target = resolve(dirname(fromFile), specifier)
  } else {
    const m = /^@swarm\/([^/]+)$/.exec(specifier)
    if (m === null) return undefined
    target = join(packagesDir, m[1], 'src', 'index.ts')
  }
  const candidates = target.endsWith('.js')
    ? [target.slice(0, -3) + '.ts', target.slice(0, -3) + '.tsx']
    : target.endsWith('.ts') ? [target] : [target + '.ts', join(target, 'index.ts')]
  return candidates.find(c => existsSync(c))
}

/** Every .ts file (not .d.ts) under `dir`, recursively, skipping node_modules and build output. */
export function tsFilesUnder (dir) {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter(e => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map(e => join(e.parentPath, e.name))
    .filter(p => !p.split(sep).some(part => part === 'node_modules' || part === 'dist' || part === 'build'))
    .sort()
}

/** The import graph of `files`: Map<file, file[]> with the files each one imports (ours only). */
export function buildGraph (files, packagesDir) {
  const known = new Set(files)
  const graph = new Map()
  for (const file of files) {
    const targets = new Set()
    for (const spec of importSpecifiers(readFileSync(file, 'utf8'), file)) {
      const target = resolveSpecifier(spec, file, packagesDir)
      if (target !== undefined && known.has(target)) targets.add(target)
    }
    graph.set(file, [...targets].sort())
  }
  return graph
}

/**
 * The strongly connected components of `graph` (Map<node, node[]>) that hold a cycle: more than
 * one node, or one node that imports itself. Tarjan's algorithm, iterative so that a long import
 * chain cannot overflow the stack. Components and their members come out in a stable order.
 */
export function stronglyConnected (graph) {
  const index = new Map()
  const low = new Map()
  const onStack = new Set()
  const stack = []
  const components = []
  let next = 0
  const nodes = [...graph.keys()].sort()
  for (const root of nodes) {
    if (index.has(root)) continue
    const work = [{ node: root, edge: 0 }]
    index.set(root, next); low.set(root, next); next++
    stack.push(root); onStack.add(root)
    while (work.length > 0) {
      const frame = work[work.length - 1]
      const edges = graph.get(frame.node) ?? []
      if (frame.edge < edges.length) {
        const to = edges[frame.edge++]
        if (!graph.has(to)) continue
        if (!index.has(to)) {
          index.set(to, next); low.set(to, next); next++
          stack.push(to); onStack.add(to)
          work.push({ node: to, edge: 0 })
        } else if (onStack.has(to)) {
          low.set(frame.node, Math.min(low.get(frame.node), index.get(to)))
        }
        continue
      }
      work.pop()
      if (work.length > 0) {
        const parent = work[work.length - 1].node
        low.set(parent, Math.min(low.get(parent), low.get(frame.node)))
      }
      if (low.get(frame.node) === index.get(frame.node)) {
        const members = []
        let member
        do {
          member = stack.pop()
          onStack.delete(member)
          members.push(member)
        } while (member !== frame.node)
        const selfLoop = members.length === 1 && edges.includes(frame.node)
        if (members.length > 1 || selfLoop) components.push(members.sort())
      }
    }
  }
  return components.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
}

/**
 * One shortest cycle through `start` inside `component` (breadth-first over the component's own
 * edges), as a path that ends where it starts: [a, b, a].
 */
export function shortestCycle (graph, component, start = component[0]) {
  const inside = new Set(component)
  const previous = new Map()
  const queue = [start]
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i]
    for (const to of graph.get(node) ?? []) {
      if (!inside.has(to)) continue
      if (to === start) {
        const path = [start]
        for (let at = node; at !== start; at = previous.get(at)) path.unshift(at)
        path.unshift(start)
        return path
      }
      if (!previous.has(to)) {
        previous.set(to, node)
        queue.push(to)
      }
    }
  }
  return [start, start]
}

/** The cycles of `graph`: one entry per strongly connected component, with a cycle through it. */
export function findCycles (graph) {
  return stronglyConnected(graph).map(members => ({ members, cycle: shortestCycle(graph, members) }))
}

/** Paths relative to `root`, with forward slashes, for printing. */
export function displayPath (root, file) {
  return relative(root, file).split(sep).join('/')
}
