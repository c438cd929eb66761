/**
 * User-facing output of the CLI. Everything a person reads goes through here; logs go to the
 * node's log file instead.
 */
export interface Output {
  /** A line for the user (stdout). */
  line(text?: string): void
  /** A machine-readable JSON value on one line (stdout). */
  json(value: unknown): void
  /** A problem (stderr). */
  error(text: string): void
}

export function consoleOutput (): Output {
  return {
    line: (text = '') => { process.stdout.write(text + '\n') },
    json: value => { process.stdout.write(JSON.stringify(value) + '\n') },
    error: text => { process.stderr.write(text + '\n') }
  }
}

/** Renders rows as an aligned text table with a header. */
export function table (headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map(r => (r[i] ?? '').length)))
  const fmt = (cells: string[]): string => cells.map((c, i) => i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()
  return [fmt(headers), ...rows.map(fmt)].join('\n')
}

/** 1234 → "1.2s", 80 → "80ms". */
export function formatMs (ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`
  return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`
}

/** A peer id shortened for tables: 12D3KooW…abcdef. */
export function shortId (id: string): string {
  return id.length > 16 ? `${id.slice(0, 8)}…${id.slice(-6)}` : id
}
