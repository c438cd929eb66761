import { readFileSync } from 'node:fs'

/** Bytes sent so far on the loopback interface (Linux /proc/net/dev); undefined elsewhere. */
export function loopbackBytes (): number | undefined {
  try {
    for (const line of readFileSync('/proc/net/dev', 'utf8').split('\n')) {
      const [name, rest] = line.split(':')
      if (name?.trim() === 'lo' && rest !== undefined) return Number(rest.trim().split(/\s+/)[8])
    }
  } catch { /* not Linux */ }
  return undefined
}
