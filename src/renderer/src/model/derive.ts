// Views of a ClusterState that several components share: the log grid, the
// lecture's state table over time, who reaches whom, latency percentiles.
import type { Command, Entry } from '@shared/raft/types'
import type { LinkFault } from '@shared/trace'
import type { ClusterState, NodeState, OpsBucket } from './cluster-state'

export interface LogCell {
  index: number
  entry: Entry | null
  committed: boolean
  applied: boolean
  /** Another node holds a different term at this index. */
  conflict: boolean
}

/** Indexes at which two nodes' logs hold entries of different terms. */
export function conflictingIndexes(s: ClusterState, from = 1, to = Infinity): Set<number> {
  const out = new Set<number>()
  const last = Math.min(to, maxLogIndex(s))
  for (let i = from; i <= last; i++) {
    let term: number | null = null
    for (const id of s.nodeIds) {
      const e = s.nodes[id]!.log[i - 1]
      if (!e) continue
      if (term === null) term = e.term
      else if (term !== e.term) {
        out.add(i)
        break
      }
    }
  }
  return out
}

export function maxLogIndex(s: ClusterState): number {
  let max = 0
  for (const id of s.nodeIds) max = Math.max(max, s.nodes[id]!.log.length)
  return max
}

/** One node's cells for indexes from..to (inclusive). */
export function logRow(n: NodeState, from: number, to: number, conflicts: Set<number>): LogCell[] {
  const cells: LogCell[] = []
  for (let i = from; i <= to; i++) {
    cells.push({
      index: i,
      entry: n.log[i - 1] ?? null,
      committed: i <= n.commitIndex,
      applied: i <= n.lastApplied,
      conflict: conflicts.has(i)
    })
  }
  return cells
}

/** Which nodes hold the same entry (index and term) as `entry`. */
export function holders(s: ClusterState, entry: Entry): string[] {
  return s.nodeIds.filter((id) => s.nodes[id]!.log[entry.index - 1]?.term === entry.term)
}

export function commandText(c: Command): string {
  switch (c.op) {
    case 'noop':
      return 'noop'
    case 'put':
      return `put(${c.key}, ${c.value})`
    case 'get':
      return `get(${c.key})`
    case 'cas':
      return `cas(${c.key}, ${c.from ?? '∅'} → ${c.to})`
  }
}

export interface StateRow {
  index: number
  t: number
  command: string
  /** The whole state machine after this entry; keys absent are unset. */
  values: Record<string, string>
  /** Keys this entry changed. */
  changed: string[]
}

/** The lecture's state table: the state machine after each applied entry, oldest first. */
export function stateHistory(n: NodeState): { keys: string[]; rows: StateRow[] } {
  const kv: Record<string, string> = { ...n.appliedBase }
  const keys = new Set(Object.keys(kv))
  const rows: StateRow[] = []
  for (const a of n.applied) {
    const changed: string[] = []
    const c = a.command
    if (a.result !== null) {
      if (c.op === 'put' || (c.op === 'cas' && a.result.swapped)) {
        kv[c.key] = c.op === 'put' ? c.value : c.to
        changed.push(c.key)
        keys.add(c.key)
      }
    }
    rows.push({ index: a.index, t: a.t, command: commandText(c), values: { ...kv }, changed })
  }
  return { keys: [...keys].sort(), rows }
}

/** Keys across every node's state machine, sorted. */
export function allKeys(s: ClusterState): string[] {
  const keys = new Set<string>()
  for (const id of s.nodeIds) for (const k of Object.keys(s.nodes[id]!.kv)) keys.add(k)
  return [...keys].sort()
}

export function linkFault(s: ClusterState, from: string, to: string): Partial<LinkFault> {
  const l = s.network.links
  return { ...l['*>*'], ...l[`*>${to}`], ...l[`${from}>*`], ...l[`${from}>${to}`] }
}

/** Can a message from `from` reach `to` at all (ignoring probabilistic loss)? */
export function canReach(s: ClusterState, from: string, to: string): boolean {
  if (from === to) return true
  const net = s.network
  if (net.isolated.includes(from) || net.isolated.includes(to)) return false
  if (net.groups) {
    const g = net.groups.find((grp) => grp.includes(from))
    // A node not named in any group is in a group of its own.
    if (!g || !g.includes(to)) return false
  }
  return linkFault(s, from, to).up !== false
}

/** Is anything on this directed link degraded (loss, delay, duplicates, reordering)? */
export function isDegraded(f: Partial<LinkFault>): boolean {
  return (
    (f.loss ?? 0) > 0 ||
    (f.delayMs ?? 0) > 0 ||
    (f.jitterMs ?? 0) > 0 ||
    (f.duplicate ?? 0) > 0 ||
    (f.reorder ?? 0) > 0
  )
}

/** Nearest-rank percentile (p in 0..100) of unsorted samples; null when empty. */
export function percentile(samples: readonly number[], p: number): number | null {
  if (samples.length === 0) return null
  const sorted = [...samples].sort((a, b) => a - b)
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!
}

export interface OpsPoint {
  t: number
  opsPerSec: number
  p50: number | null
  p99: number | null
}

export function opsSeries(buckets: readonly OpsBucket[]): OpsPoint[] {
  return buckets.map((b) => ({
    t: b.t,
    opsPerSec: b.ok + b.failed,
    p50: percentile(b.latencies, 50),
    p99: percentile(b.latencies, 99)
  }))
}

/** Time as mm:ss.s */
export function formatTime(ms: number): string {
  const total = Math.max(0, ms) / 1000
  const m = Math.floor(total / 60)
  const sec = total - m * 60
  return `${String(m).padStart(2, '0')}:${sec.toFixed(1).padStart(4, '0')}`
}
