import { readFileSync } from 'node:fs'

/** Bytes sent on the loopback interface so far (Linux /proc/net/dev), or undefined elsewhere. */
export function loopbackBytes (): number | undefined {
  try {
    const text = readFileSync('/proc/net/dev', 'utf8')
    for (const line of text.split('\n')) {
      const [name, rest] = line.split(':')
      if (name?.trim() === 'lo' && rest !== undefined) {
        const fields = rest.trim().split(/\s+/).map(Number)
        return fields[8] // transmit bytes
      }
    }
  } catch { /* not Linux */ }
  return undefined
}
