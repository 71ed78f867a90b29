// The trace's hash chain (docs/trace-format.md, "Hash chain"):
//   U_i = line i serialized without its `h` field
//   h_i = first 16 hex digits of sha256(h_{i-1} + U_i), with h_{-1} = ""
//   line i = U_i with its closing `}` replaced by `,"h":"<h_i>"}`
// Working on the text (not re-serialized objects) makes verification independent
// of key order and number formatting.
import { hash } from 'node:crypto'

export const HASH_HEX = 16
const SUFFIX_RE = /,"h":"([0-9a-f]{16})"\}$/

export function chainHash(prev: string, unhashed: string): string {
  // One-shot hash(): no Hash object per line, which the recorder does thousands of times a second.
  return hash('sha256', prev + unhashed, 'hex').slice(0, HASH_HEX)
}

/** Serialize an object (without `h`) and append its chain value. */
export function sealLine(prev: string, unhashed: string): { line: string; h: string } {
  const h = chainHash(prev, unhashed)
  return { line: `${unhashed.slice(0, -1)},"h":"${h}"}`, h }
}

/** Split a sealed line into its unhashed text and its `h`, or null when it carries none. */
export function unsealLine(line: string): { unhashed: string; h: string } | null {
  const m = SUFFIX_RE.exec(line)
  if (!m) return null
  return { unhashed: line.slice(0, m.index) + '}', h: m[1] as string }
}
