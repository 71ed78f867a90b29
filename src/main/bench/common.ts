// Options and steps shared by the benches.
import { UsageError } from '../cli/command'

/** "150-300" (ms): an election timeout range as the node command line takes it. */
export function parseTimeoutRange(text: string, what: string): [number, number] {
  const m = /^(\d+)-(\d+)$/.exec(text.trim())
  const lo = Number(m?.[1])
  const hi = Number(m?.[2])
  if (!m || lo < 10 || hi < lo || hi > 60_000)
    throw new UsageError(`${what}: "${text}" must be MIN-MAX in milliseconds, e.g. 150-300`)
  return [lo, hi]
}

/** `--vs etcd` is the only comparison offered; anything else is a usage error. */
export function parseVs(value: string | undefined): boolean {
  if (value === undefined) return false
  if (value !== 'etcd') throw new UsageError(`--vs: "${value}" is not supported (only "etcd")`)
  return true
}

export function parseMode(value: string | undefined): 'lab' | 'direct' {
  if (value === undefined || value === 'lab' || value === 'direct') return value ?? 'lab'
  throw new UsageError(`--mode: "${value}" must be "lab" (proxy and trace) or "direct"`)
}

/** Progress lines go to stderr so stdout holds the figures (and `--json`'s last line). */
export function progress(line: string): void {
  process.stderr.write(`${line}\n`)
}
