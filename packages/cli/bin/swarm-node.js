#!/usr/bin/env node
// Entry point of the swarm-node command. Written in plain, old-syntax JavaScript so that an
// old Node.js can read it far enough to say what is wrong, instead of failing deep in libp2p.
'use strict'
var parts = process.versions.node.split('.').map(Number)
var major = parts[0]
var minor = parts[1]
if (major < 22 || (major === 22 && minor < 12)) {
  process.stderr.write('swarm-node needs Node.js 22.12 or newer, but this is Node.js ' + process.versions.node + ': run it through npm (npx swarm-node, npm start) so that the project\'s own Node.js 24 is used, or install Node.js 24.\n')
  process.exit(70)
}
import('../dist/src/main.js').then(function (m) { return m.main(process.argv) }).catch(function (err) {
  process.stderr.write('swarm-node: ' + (err && err.stack ? err.stack : String(err)) + '\n')
  process.exit(1)
})
