/**
 * A deterministic JSON encoding for what is signed or hashed: object keys sorted (by UTF-16
 * code units, as `Array.prototype.sort` compares strings), no whitespace, array order kept,
 * object entries whose value is `undefined` left out (as JSON.stringify does). Two peers that
 * hold equal values produce the same bytes, whatever order their objects were built in.
 */

const encoder = new TextEncoder()

/**
 * The canonical JSON text of `value`. Throws a TypeError on what JSON cannot carry faithfully:
 * a non-finite number, a bigint, a function or symbol, or `undefined` outside an object entry.
 */
export function canonicalJson (value: unknown): string {
  if (value === null) return 'null'
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false'
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON cannot carry the number ${value}`)
      return JSON.stringify(value)
    case 'string':
      return JSON.stringify(value)
    case 'object':
      if (Array.isArray(value)) return `[${value.map(item => canonicalJson(item)).join(',')}]`
      return `{${Object.keys(value).sort()
        .filter(key => (value as Record<string, unknown>)[key] !== undefined)
        .map(key => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`)
        .join(',')}}`
    default:
      throw new TypeError(`canonical JSON cannot carry a value of type ${typeof value}`)
  }
}

/** The UTF-8 bytes of {@link canonicalJson}: what a signature or a digest is computed over. */
export function canonicalBytes (value: unknown): Uint8Array {
  return encoder.encode(canonicalJson(value))
}
