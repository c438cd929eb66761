/**
 * The program of the exec watchdog (see exec-watchdog.ts), run as its own process by the node:
 * it reads `+<group>` and `-<group>` lines on stdin (a handler's process group started, ended)
 * and, when stdin closes because the node is gone (even killed with SIGKILL, which gives the
 * node no chance to clean up), stops every group still registered: SIGTERM, then SIGKILL after
 * a grace period. It imports nothing of the node, so that it starts fast and small.
 */

/** Delay between SIGTERM and SIGKILL of the groups left behind. */
const GRACE_MS = 1_000

const groups = new Set<number>()
let buffered = ''
let closing = false

function signalAll (sig: NodeJS.Signals): void {
  for (const group of groups) {
    try { process.kill(-group, sig) } catch { /* already gone */ }
  }
}

function onLine (line: string): void {
  const group = Number(line.slice(1))
  if (!Number.isInteger(group) || group <= 1) return
  if (line.startsWith('+')) groups.add(group)
  else if (line.startsWith('-')) groups.delete(group)
}

/** The node is gone: stop what it left running, then exit. */
function nodeGone (): void {
  if (closing) return
  closing = true
  if (groups.size === 0) process.exit(0)
  signalAll('SIGTERM')
  setTimeout(() => {
    signalAll('SIGKILL')
    process.exit(0)
  }, GRACE_MS)
}

// Signals of the terminal the node was started from are the node's business, not ours: the
// watchdog ends when the node's end of the pipe closes.
process.on('SIGINT', () => {})
process.on('SIGHUP', () => {})
process.stdin.setEncoding('utf8')
process.stdin.on('data', (chunk: string) => {
  buffered += chunk
  let end = buffered.indexOf('\n')
  while (end !== -1) {
    onLine(buffered.slice(0, end))
    buffered = buffered.slice(end + 1)
    end = buffered.indexOf('\n')
  }
})
process.stdin.on('end', nodeGone)
process.stdin.on('close', nodeGone)
process.stdin.on('error', nodeGone)
