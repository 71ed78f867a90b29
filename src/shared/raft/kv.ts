import type { KvOutput } from '../history'
import type { ClientCommand, Entry } from './types'

interface Session {
  /** The client's last applied write. */
  seq: number
  output: KvOutput
}

/**
 * The replicated key-value state machine: every server applies the same
 * committed entries in the same order (§5.3). Client sessions (§6.3) make a
 * retried write (same client and seq) take effect once and answer its first result.
 */
export class KvStore {
  private readonly table = new Map<string, string>()
  private readonly sessions = new Map<string, Session>()

  /** Apply a committed entry; null for a noop, or a write older than the client's last (nobody waits for it). */
  apply(entry: Entry): KvOutput | null {
    const c = entry.command
    if (c.op === 'noop') return null
    if (c.op === 'get') return { value: this.get(c.key) }
    const session = this.sessions.get(c.client)
    if (session !== undefined && c.seq <= session.seq) {
      return c.seq === session.seq ? session.output : null
    }
    const output = this.write(c)
    this.sessions.set(c.client, { seq: c.seq, output })
    return output
  }

  /** The value of `key`, null if absent. */
  get(key: string): string | null {
    return this.table.get(key) ?? null
  }

  /** The table, keys sorted, for views. */
  snapshot(): Record<string, string> {
    const out: Record<string, string> = {}
    for (const key of [...this.table.keys()].sort()) out[key] = this.table.get(key) as string
    return out
  }

  /** Each client's last applied write sequence number, for views. */
  sessionSeqs(): Record<string, number> {
    const out: Record<string, number> = {}
    for (const [client, s] of [...this.sessions].sort(([a], [b]) => a.localeCompare(b))) {
      out[client] = s.seq
    }
    return out
  }

  private write(c: Extract<ClientCommand, { op: 'put' | 'cas' }>): KvOutput {
    if (c.op === 'put') {
      this.table.set(c.key, c.value)
      return {}
    }
    // cas: `from: null` means "only if the key is absent"; `value` is the key's value afterwards.
    const current = this.get(c.key)
    if (current !== c.from) return { swapped: false, value: current }
    this.table.set(c.key, c.to)
    return { swapped: true, value: c.to }
  }
}
