// The safety properties of the Raft paper's Figure 3, checked over a trace, plus
// "every acknowledged write is applied". Streaming: feed events one at a time
// (SafetyChecker.observe) or hand over an iterable (checkSafety). Memory grows
// with the logs and the number of client operations, not with the trace length.
//
// Per-node logs are rebuilt from `append`/`truncate` events. A `persist` with
// synced=true marks the log durable up to that point; on `recover` the node's
// log is reset to what was durable (or, for a node whose trace has no persist
// events, to its first `lastIndex` entries).
import type { Command } from '../raft/types'
import type { KvInput } from '../history'
import type { PropertyResult } from '../lab-api'
import type { TraceEvent, TraceEventOf } from '../trace'
import { clientOpKey, commandKey, describeCommand } from './trace-utils'

export const SAFETY_PROPERTIES = [
  'election-safety',
  'leader-append-only',
  'log-matching',
  'leader-completeness',
  'state-machine-safety',
  'acknowledged-writes-applied'
] as const
export type SafetyProperty = (typeof SAFETY_PROPERTIES)[number]

export type Violation = PropertyResult['violations'][number]

/** Violations listed per property; the rest are counted in one closing line. */
const MAX_LISTED = 20

interface LogRecord {
  term: number
  key: string
  command: Command
}

/** What the checker knows of one node. `null` entries came from a disk the trace never showed being written. */
interface NodeState {
  log: (LogRecord | null)[]
  durable: (LogRecord | null)[]
  /** Lowest log index changed since the last synced persist. */
  dirtyFrom: number
  sawPersist: boolean
  currentTerm: number
  /** The term this node leads, or null while it is not leader. */
  leaderTerm: number | null
  /** Highest index this node reported committed since it last started. */
  commitIndex: number
}

interface FirstSeen {
  node: string
  seq: number
}

interface CommittedRecord extends LogRecord, FirstSeen {
  /** The committing node's currentTerm: the term in which the entry was committed. */
  inTerm: number
}

interface AppliedRecord extends FirstSeen {
  key: string
  command: Command
  term: number
}

export class SafetyChecker {
  private readonly nodes = new Map<string, NodeState>()
  private readonly leaders = new Map<number, FirstSeen>()
  /** `${index}:${term}` → the command and the previous entry's term (log matching, by induction). */
  private readonly entriesByPosition = new Map<
    string,
    FirstSeen & { key: string; prevTerm: number | null }
  >()
  private readonly committed: CommittedRecord[] = []
  private readonly applied: AppliedRecord[] = []
  private readonly appliedOps = new Set<string>()
  private readonly invoked = new Map<string, KvInput>()
  private readonly acknowledged = new Map<string, { input: KvInput; seq: number }>()
  private readonly violations = new Map<SafetyProperty, Violation[]>(
    SAFETY_PROPERTIES.map((p) => [p, []])
  )
  private readonly unlisted = new Map<SafetyProperty, number>()

  /** Elections won (role → leader) seen so far. */
  elections = 0

  observe(event: TraceEvent): void {
    switch (event.kind) {
      case 'role':
        return this.onRole(event)
      case 'append':
        return this.onAppend(event)
      case 'truncate':
        return this.onTruncate(event)
      case 'persist':
        return this.onPersist(event)
      case 'recover':
        return this.onRecover(event)
      case 'commit':
        return this.onCommit(event)
      case 'apply':
        return this.onApply(event)
      case 'proc':
        return this.onProc(event)
      case 'invoke':
        this.invoked.set(clientOpKey(event.client, event.opId), event.input)
        return
      case 'complete':
        return this.onComplete(event)
      default:
        return
    }
  }

  results(): PropertyResult[] {
    const results = SAFETY_PROPERTIES.map((property) => {
      const listed = [...(this.violations.get(property) ?? [])]
      if (property === 'acknowledged-writes-applied') listed.push(...this.unappliedWrites())
      const more = (this.unlisted.get(property) ?? 0) + Math.max(0, listed.length - MAX_LISTED)
      const violations = listed.slice(0, MAX_LISTED)
      if (more > 0) violations.push({ message: `${more} more violations not listed`, nodes: [] })
      return { property, ok: violations.length === 0, violations }
    })
    return results
  }

  // §5.2 Election Safety: at most one leader can be elected in a given term.
  private onRole(e: TraceEventOf<'role'>): void {
    const node = this.node(e.node)
    node.currentTerm = e.term
    if (e.role !== 'leader') {
      node.leaderTerm = null
      return
    }
    this.elections++
    node.leaderTerm = e.term
    const first = this.leaders.get(e.term)
    if (!first) this.leaders.set(e.term, { node: e.node, seq: e.seq })
    else if (first.node !== e.node) {
      this.report('election-safety', {
        message: `term ${e.term} has two leaders: ${first.node} (seq ${first.seq}) and ${e.node} (seq ${e.seq})`,
        nodes: [first.node, e.node],
        term: e.term,
        seq: e.seq
      })
    }
    this.checkLeaderCompleteness(e.node, node, e.term, e.seq)
  }

  // §5.4 Leader Completeness: an entry committed in term T is in the log of every leader of a later term.
  private checkLeaderCompleteness(id: string, node: NodeState, term: number, seq: number): void {
    for (let i = 0; i < this.committed.length; i++) {
      const c = this.committed[i]
      if (!c || c.inTerm >= term) continue
      const have = node.log[i]
      if (have === null) continue
      if (have === undefined || have.term !== c.term || have.key !== c.key) {
        const had = have ? `has term ${have.term} ${describeCommand(have.command)}` : 'has no entry'
        this.report('leader-completeness', {
          message: `${id} became leader of term ${term} (seq ${seq}) but ${had} at index ${i + 1}, committed in term ${c.inTerm} as term ${c.term} ${describeCommand(c.command)} (${c.node}, seq ${c.seq})`,
          nodes: [id, c.node],
          term,
          index: i + 1,
          seq
        })
        return
      }
    }
  }

  private onAppend(e: TraceEventOf<'append'>): void {
    const first = e.entries[0]
    if (!first) return
    const node = this.node(e.node)
    const log = node.log
    if (first.index > log.length + 1) {
      this.report('log-matching', {
        message: `${e.node} appended at index ${first.index} but its log ends at ${log.length} (seq ${e.seq})`,
        nodes: [e.node],
        index: first.index,
        seq: e.seq
      })
      while (log.length < first.index - 1) log.push(null)
    }
    const incoming = e.entries.map((entry) => ({
      term: entry.term,
      key: commandKey(entry.command),
      command: entry.command
    }))
    if (node.leaderTerm !== null) this.checkAppendOnly(e, node, first.index, incoming)
    for (let k = 0; k < incoming.length; k++) {
      const index = first.index + k
      const record = incoming[k] as LogRecord
      const prev = index === 1 ? { term: 0 } : ((k > 0 ? incoming[k - 1] : log[index - 2]) ?? null)
      this.checkLogMatching(e, index, record, prev === null ? null : prev.term)
    }
    log.length = first.index - 1
    for (const record of incoming) log.push(record)
    node.dirtyFrom = Math.min(node.dirtyFrom, first.index)
  }

  // §5.3 Leader Append-Only: a leader never overwrites or deletes entries in its log.
  private checkAppendOnly(
    e: TraceEventOf<'append'>,
    node: NodeState,
    from: number,
    incoming: LogRecord[]
  ): void {
    for (let index = from; index <= node.log.length; index++) {
      const had = node.log[index - 1]
      const now = incoming[index - from]
      if (had && (!now || now.term !== had.term || now.key !== had.key)) {
        const what = now
          ? `overwrote it with term ${now.term} ${describeCommand(now.command)}`
          : 'deleted it'
        this.report('leader-append-only', {
          message: `leader ${e.node} of term ${node.leaderTerm} had term ${had.term} ${describeCommand(had.command)} at index ${index} and ${what} (seq ${e.seq})`,
          nodes: [e.node],
          term: node.leaderTerm ?? undefined,
          index,
          seq: e.seq
        })
        return
      }
    }
  }

  // §5.3 Log Matching: entries with the same index and term hold the same command and
  // follow entries of the same term; by induction, the logs match up to there.
  private checkLogMatching(
    e: TraceEventOf<'append'>,
    index: number,
    record: LogRecord,
    prevTerm: number | null
  ): void {
    const position = `${index}:${record.term}`
    const seen = this.entriesByPosition.get(position)
    if (!seen) {
      this.entriesByPosition.set(position, { node: e.node, seq: e.seq, key: record.key, prevTerm })
      return
    }
    if (seen.node === e.node && seen.key === record.key) return
    const differs =
      seen.key !== record.key
        ? `a different command (${describeCommand(record.command)})`
        : seen.prevTerm !== null && prevTerm !== null && seen.prevTerm !== prevTerm
          ? `a different previous entry (term ${prevTerm} at index ${index - 1}, not ${seen.prevTerm})`
          : null
    if (differs === null) return
    this.report('log-matching', {
      message: `${e.node} has index ${index} term ${record.term} with ${differs} than ${seen.node} had (seq ${seen.seq}) (seq ${e.seq})`,
      nodes: [seen.node, e.node],
      term: record.term,
      index,
      seq: e.seq
    })
  }

  private onTruncate(e: TraceEventOf<'truncate'>): void {
    const node = this.node(e.node)
    if (e.fromIndex > node.log.length) return
    if (node.leaderTerm !== null) {
      this.report('leader-append-only', {
        message: `leader ${e.node} of term ${node.leaderTerm} deleted its entries from index ${e.fromIndex} to ${node.log.length} (seq ${e.seq})`,
        nodes: [e.node],
        term: node.leaderTerm,
        index: e.fromIndex,
        seq: e.seq
      })
    }
    node.log.length = Math.max(0, e.fromIndex - 1)
    node.dirtyFrom = Math.min(node.dirtyFrom, e.fromIndex)
  }

  private onPersist(e: TraceEventOf<'persist'>): void {
    const node = this.node(e.node)
    node.sawPersist = true
    if (!e.synced) return
    // An fsync makes everything written so far durable, not only this write.
    const keep = Math.min(node.durable.length, node.dirtyFrom - 1, node.log.length)
    node.durable.length = keep
    for (let i = keep; i < node.log.length; i++) node.durable.push(node.log[i] ?? null)
    node.dirtyFrom = Infinity
  }

  private onRecover(e: TraceEventOf<'recover'>): void {
    const node = this.node(e.node)
    const disk = node.sawPersist ? node.durable : node.log
    const log = disk.slice(0, e.lastIndex)
    while (log.length < e.lastIndex) log.push(null)
    const last = log[e.lastIndex - 1]
    if (last && last.term !== e.lastTerm) log[e.lastIndex - 1] = null
    node.log = log
    node.durable = log.slice()
    node.dirtyFrom = Infinity
    node.currentTerm = e.currentTerm
    node.leaderTerm = null
    node.commitIndex = 0
  }

  private onProc(e: TraceEventOf<'proc'>): void {
    const node = this.node(e.node)
    if (e.action === 'pause' || e.action === 'resume') return
    node.leaderTerm = null
    node.commitIndex = 0
    if (e.action === 'wipe') {
      node.log = []
      node.durable = []
      node.dirtyFrom = Infinity
    }
  }

  private onCommit(e: TraceEventOf<'commit'>): void {
    const node = this.node(e.node)
    const upTo = Math.min(e.commitIndex, node.log.length)
    for (let index = node.commitIndex + 1; index <= upTo; index++) {
      const record = node.log[index - 1]
      if (!record) continue
      const earlier = this.committed[index - 1]
      if (!earlier) {
        const inTerm = Math.max(e.term, node.currentTerm)
        this.committed[index - 1] = { ...record, inTerm, node: e.node, seq: e.seq }
      } else if (earlier.term !== record.term || earlier.key !== record.key) {
        this.report('leader-completeness', {
          message: `${e.node} committed index ${index} as term ${record.term} ${describeCommand(record.command)} (seq ${e.seq}), but it was committed as term ${earlier.term} ${describeCommand(earlier.command)} by ${earlier.node} (seq ${earlier.seq}): a committed entry was lost`,
          nodes: [earlier.node, e.node],
          term: record.term,
          index,
          seq: e.seq
        })
      }
    }
    node.commitIndex = Math.max(node.commitIndex, upTo)
  }

  // §5.4.3 State Machine Safety: no two servers apply different commands at the same index.
  private onApply(e: TraceEventOf<'apply'>): void {
    const key = commandKey(e.command)
    const earlier = this.applied[e.index - 1]
    if (!earlier) {
      this.applied[e.index - 1] = {
        node: e.node,
        seq: e.seq,
        key,
        command: e.command,
        term: e.term
      }
    } else if (earlier.key !== key) {
      this.report('state-machine-safety', {
        message: `${e.node} applied ${describeCommand(e.command)} (term ${e.term}) at index ${e.index} (seq ${e.seq}), but ${earlier.node} applied ${describeCommand(earlier.command)} (term ${earlier.term}) there (seq ${earlier.seq})`,
        nodes: [earlier.node, e.node],
        term: e.term,
        index: e.index,
        seq: e.seq
      })
    }
    if (e.command.op !== 'noop') {
      const op = clientOpKey(e.command.client, e.command.seq)
      this.appliedOps.add(op)
      this.acknowledged.delete(op)
    }
  }

  private onComplete(e: TraceEventOf<'complete'>): void {
    const op = clientOpKey(e.client, e.opId)
    const input = this.invoked.get(op)
    this.invoked.delete(op)
    if (!input || e.status !== 'ok') return
    const acknowledgedWrite =
      input.op === 'put' || input.op === 'append' || (input.op === 'cas' && e.output?.swapped)
    if (acknowledgedWrite && !this.appliedOps.has(op))
      this.acknowledged.set(op, { input, seq: e.seq })
  }

  private unappliedWrites(): Violation[] {
    return [...this.acknowledged].map(([op, { input, seq }]) => ({
      message: `write ${op} (${input.op} ${input.key}) was acknowledged (seq ${seq}) but no node applied it`,
      nodes: [],
      seq
    }))
  }

  private node(id: string): NodeState {
    let node = this.nodes.get(id)
    if (!node) {
      node = {
        log: [],
        durable: [],
        dirtyFrom: Infinity,
        sawPersist: false,
        currentTerm: 0,
        leaderTerm: null,
        commitIndex: 0
      }
      this.nodes.set(id, node)
    }
    return node
  }

  private report(property: SafetyProperty, violation: Violation): void {
    const list = this.violations.get(property) as Violation[]
    if (list.length < MAX_LISTED) list.push(violation)
    else this.unlisted.set(property, (this.unlisted.get(property) ?? 0) + 1)
  }
}

/** Check a whole trace's events (in seq order) for Figure 3's properties and acknowledged writes. */
export function checkSafety(events: Iterable<TraceEvent>): PropertyResult[] {
  const checker = new SafetyChecker()
  for (const event of events) checker.observe(event)
  return checker.results()
}
