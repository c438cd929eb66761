import { inspect } from 'node:util'
import type { Logger } from '../logger.js'
import type { ComponentLogger, Logger as Libp2pLog } from '@libp2p/interface'

/**
 * libp2p's own logs, routed into the node's log: `createLibp2p({ logger: libp2pLogger(log) })`.
 *
 * libp2p logs the `debug` way: `forComponent('libp2p:tcp')` returns a function taking a format
 * string (`%s %d %o %p %a %b %e`…) and arguments, with `.error`, `.trace`, `.enabled` and
 * `.newScope`. Every line of it is written at `debug`, under component `libp2p:<name>`: even its
 * `.error` lines are mostly the ordinary failures of a network (a dial refused, a stream reset),
 * which at `info` would drown the node's own warnings; they carry `libp2pLevel: "error"`.
 * `.trace` is never written (libp2p's own logger leaves it off unless asked for by name).
 *
 * Cheap when off: libp2p makes a logger per connection and per stream, so above `debug` every
 * component gets one shared no-op logger whose `enabled` is false, and nothing is formatted.
 */
export function libp2pLogger (log: Logger): ComponentLogger {
  if (!log.isEnabled('debug')) return { forComponent: () => DISABLED }
  const components = new Map<string, Libp2pLog>()
  return {
    forComponent: (name: string) => {
      let component = components.get(name)
      if (component === undefined) {
        component = componentLog(log, qualified(name))
        // Component names are a fixed set (scopes per stream go through newScope, not here).
        if (components.size < MAX_CACHED_COMPONENTS) components.set(name, component)
      }
      return component
    }
  }
}

/** Component names cached; beyond that a logger is made on each call. */
const MAX_CACHED_COMPONENTS = 1_000

/** libp2p names its components `libp2p:…` already; the few that do not get the prefix. */
function qualified (name: string): string {
  return name === 'libp2p' || name.startsWith('libp2p:') ? name : `libp2p:${name}`
}

const noop = (): void => {}

const DISABLED: Libp2pLog = Object.assign((): void => {}, {
  enabled: false,
  error: noop,
  trace: noop,
  newScope: (): Libp2pLog => DISABLED
})

function componentLog (parent: Logger, component: string): Libp2pLog {
  const log = parent.child(component)
  const write = (fields: Record<string, unknown>, formatter: unknown, args: unknown[]): void => {
    const line = formatLibp2p(formatter, args)
    log.debug(line.msg, line.err !== undefined ? { ...fields, err: line.err } : fields)
  }
  const plain: Record<string, unknown> = {}
  const asError: Record<string, unknown> = { libp2pLevel: 'error' }
  return Object.assign((formatter: unknown, ...args: unknown[]): void => { write(plain, formatter, args) }, {
    enabled: true,
    error: (formatter: unknown, ...args: unknown[]): void => { write(asError, formatter, args) },
    trace: noop,
    newScope: (scope: string): Libp2pLog => componentLog(parent, `${component}:${scope}`)
  })
}

export interface FormattedLine {
  msg: string
  /** The first error among the arguments: written whole (with its stack) as `err`. */
  err?: Error
}

/**
 * Formats a libp2p log call like the `debug` module does, with libp2p's extra directives:
 * `%s` string, `%d`/`%i`/`%f` number, `%j` JSON, `%o`/`%O` an inspected value, `%p` peer id,
 * `%a` multiaddr, `%c` CID, `%k` datastore key (all by `toString`), `%b` base58btc, `%t`
 * base32, `%m` base64 of bytes, `%e` an error's message, `%%` a percent sign. Arguments left
 * over are appended, inspected.
 */
export function formatLibp2p (formatter: unknown, args: readonly unknown[]): FormattedLine {
  let err: Error | undefined = args.find((a): a is Error => a instanceof Error)
  if (typeof formatter !== 'string') {
    if (formatter instanceof Error) err = formatter
    return withErr([show(formatter), ...args.map(show)].join(' '), err)
  }
  let next = 0
  const msg = formatter.replace(/%([a-zA-Z%])/g, (token, directive: string) => {
    if (directive === '%') return '%'
    const render = DIRECTIVES[directive]
    if (render === undefined || next >= args.length) return token
    return render(args[next++])
  })
  const rest = args.slice(next).map(show)
  return withErr(rest.length === 0 ? msg : `${msg} ${rest.join(' ')}`, err)
}

function withErr (msg: string, err: Error | undefined): FormattedLine {
  return err === undefined ? { msg } : { msg, err }
}

/** A value on one line, as `debug`'s `%o` shows it. */
function show (value: unknown): string {
  if (typeof value === 'string') return value
  if (value instanceof Error) return value.message
  return inspect(value, { depth: 2, breakLength: Infinity, compact: true })
}

const text = (value: unknown): string => value === undefined || value === null ? 'undefined' : String(value)

function bytes (value: unknown, encode: (b: Uint8Array) => string): string {
  return value instanceof Uint8Array ? encode(value) : text(value)
}

const DIRECTIVES: Partial<Record<string, (value: unknown) => string>> = {
  s: text,
  d: value => String(Number(value)),
  i: value => String(Math.trunc(Number(value))),
  f: value => String(Number(value)),
  j: value => {
    try {
      return JSON.stringify(value) ?? 'undefined'
    } catch {
      return '[Circular]'
    }
  },
  o: show,
  O: show,
  p: text,
  a: text,
  c: text,
  k: text,
  b: value => bytes(value, base58btc),
  t: value => bytes(value, base32),
  m: value => bytes(value, b => Buffer.from(b).toString('base64').replace(/=+$/, '')),
  e: value => value instanceof Error ? value.message : text(value)
}

const BASE58_ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'

/** Bytes in base58btc (as peer ids and DHT keys are shown), without a multibase prefix. */
export function base58btc (data: Uint8Array): string {
  let zeros = 0
  while (zeros < data.length && data[zeros] === 0) zeros++
  // Base 256 to base 58 by repeated division, most significant digit last.
  const digits: number[] = []
  for (let i = zeros; i < data.length; i++) {
    let carry = data[i] ?? 0
    for (let j = 0; j < digits.length; j++) {
      carry += (digits[j] ?? 0) * 256
      digits[j] = carry % 58
      carry = Math.floor(carry / 58)
    }
    while (carry > 0) {
      digits.push(carry % 58)
      carry = Math.floor(carry / 58)
    }
  }
  let out = '1'.repeat(zeros)
  for (let i = digits.length - 1; i >= 0; i--) out += BASE58_ALPHABET[digits[i] ?? 0]
  return out
}

const BASE32_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567'

/** Bytes in lower-case RFC 4648 base32 without padding (as CIDs are shown), no multibase prefix. */
export function base32 (data: Uint8Array): string {
  let out = ''
  let buffer = 0
  let bits = 0
  for (const byte of data) {
    buffer = (buffer << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += BASE32_ALPHABET[(buffer >>> (bits - 5)) & 31]
      bits -= 5
    }
    buffer &= (1 << bits) - 1
  }
  if (bits > 0) out += BASE32_ALPHABET[(buffer << (5 - bits)) & 31]
  return out
}
