// The cluster as the trace describes it at one instant. Every view reads this;
// it is built only by folding trace events (applyEvent), so a live run, an
// opened trace and a replay position all show the same thing.
import type { TraceEvent, TraceEventOf, LinkFault } from '@shared/trace'
import type { Command, Entry, Role } from '@shared/raft/types'
import type { KvInput, KvOutput } from '@shared/history'

export type NodeStatus = 'running' | 'paused' | 'crashed' | 'stopped' | 'exited' | 'starting'

export interface AppliedEntry {
  t: number
  index: number
  term: number
  command: Command
  result: KvOutput | null
}

export interface NodeState {
  id: string
  status: NodeStatus
  role: Role
  currentTerm: number
  votedFor: string | null
  leader: string | null
  commitIndex: number
  lastApplied: number
  /** log[i - 1] is the entry at index i. */
  log: Entry[]
  /** Highest index known durable on disk. */
  persistedIndex: number
  /** From the node's last status event, leaders only. */
  nextIndex: Record<string, number> | null
  matchIndex: Record<string, number> | null
  /** The election timer was reset at `setAt` and fires `ms` later; null while leader or down. */
  timer: { setAt: number; ms: number } | null
  /** The key/value state machine: what applying log[0..lastApplied) produced. */
  kv: Record<string, string>
  /** Recent applies, oldest first (bounded: see MAX_APPLIED_HISTORY). */
  applied: AppliedEntry[]
  /** The state machine before applied[0]: older applies are folded in here when trimmed. */
  appliedBase: Record<string, string>
}

export interface Message {
  /** `from>to#msgId`, unique per directed link. */
  key: string
  from: string
  to: string
  msgId: number
  type: string
  term: number
  size: number
  sentAt: number
  deliveredAt: number | null
  droppedAt: number | null
  reason: string | null
  delayMs: number | null
  duplicates: number
  msg: Record<string, unknown> | null
}

export interface ClientOp {
  client: string
  opId: number
  input: KvInput
  call: number
  ret: number | null
  status: 'ok' | 'fail' | 'info' | null
  output: KvOutput | null
  error: string | null
  by: string | null
}

export interface NetworkState {
  /** null = no partition. */
  groups: string[][] | null
  isolated: string[]
  /** Directed link faults keyed `from>to` (`*` allowed on either side). */
  links: Record<string, Partial<LinkFault>>
}

export interface Period {
  start: number
  end: number | null
  label: string
}

export interface ScenarioProgress {
  name: string
  step: number
  steps: number | null
  expectations: { index: number | null; text: string; ok: boolean | null; t: number }[]
  ended: boolean
}

/** Client operations completed in one second of the experiment. */
export interface OpsBucket {
  /** Start of the second (ms). */
  t: number
  ok: number
  failed: number
  /** Latencies (ms) of ok operations, at most MAX_LATENCY_SAMPLES. */
  latencies: number[]
}

export interface TermChange {
  t: number
  term: number
  leader: string | null
}

export interface ClusterState {
  /** Time of the last event folded in (ms since the experiment started). */
  t: number
  eventCount: number
  nodeIds: string[]
  nodes: Record<string, NodeState>
  network: NetworkState
  /** Recent messages, oldest first (bounded: MAX_MESSAGES). */
  messages: Message[]
  /** The messages above not yet delivered or dropped, by key: a deliver finds its send at once. */
  inFlight: Map<string, Message>
  /** Recent client operations, oldest first (bounded: MAX_OPS). */
  ops: ClientOp[]
  /** Network faults and node outages over time, for shading charts and timelines. */
  faultPeriods: Period[]
  /** Highest term seen and who led it, each time it changed. */
  terms: TermChange[]
  scenario: ScenarioProgress | null
  notes: { t: number; text: string }[]
  /** Per second, bounded to MAX_BUCKETS. */
  opsBuckets: OpsBucket[]
  /** Commit index per node over time, at most one point per COMMIT_SAMPLE_MS. */
  commitSeries: Record<string, { t: number; v: number }[]>
}

export const MAX_MESSAGES = 2000
export const MAX_OPS = 5000
export const MAX_APPLIED_HISTORY = 2000
export const MAX_LATENCY_SAMPLES = 1000
export const MAX_BUCKETS = 3600
export const MAX_COMMIT_POINTS = 5000
export const COMMIT_SAMPLE_MS = 100

export function nodeIdsFor(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `n${i + 1}`)
}

function newNode(id: string): NodeState {
  return {
    id,
    status: 'starting',
    role: 'follower',
    currentTerm: 0,
    votedFor: null,
    leader: null,
    commitIndex: 0,
    lastApplied: 0,
    log: [],
    persistedIndex: 0,
    nextIndex: null,
    matchIndex: null,
    timer: null,
    kv: {},
    applied: [],
    appliedBase: {}
  }
}

export function createClusterState(nodeIds: string[] = []): ClusterState {
  const nodes: Record<string, NodeState> = {}
  for (const id of nodeIds) nodes[id] = newNode(id)
  return {
    t: 0,
    eventCount: 0,
    nodeIds: [...nodeIds],
    nodes,
    network: { groups: null, isolated: [], links: {} },
    messages: [],
    inFlight: new Map(),
    ops: [],
    faultPeriods: [],
    terms: [],
    scenario: null,
    notes: [],
    opsBuckets: [],
    commitSeries: {}
  }
}

/** A deep enough copy that folding more events into it leaves the original untouched. */
export function cloneState(s: ClusterState): ClusterState {
  const nodes: Record<string, NodeState> = {}
  for (const [id, n] of Object.entries(s.nodes)) {
    nodes[id] = {
      ...n,
      // Entries and applied records are never mutated, so copying the arrays suffices.
      log: n.log.slice(),
      applied: n.applied.slice(),
      kv: { ...n.kv },
      appliedBase: { ...n.appliedBase },
      nextIndex: n.nextIndex && { ...n.nextIndex },
      matchIndex: n.matchIndex && { ...n.matchIndex },
      timer: n.timer && { ...n.timer }
    }
  }
  const messages = s.messages.map((m) => ({ ...m }))
  const inFlight = new Map<string, Message>()
  for (const m of messages) if (s.inFlight.has(m.key)) inFlight.set(m.key, m)
  return {
    ...s,
    nodeIds: s.nodeIds.slice(),
    nodes,
    network: {
      groups: s.network.groups && s.network.groups.map((g) => g.slice()),
      isolated: s.network.isolated.slice(),
      links: Object.fromEntries(Object.entries(s.network.links).map(([k, v]) => [k, { ...v }]))
    },
    messages,
    inFlight,
    ops: s.ops.map((o) => ({ ...o })),
    faultPeriods: s.faultPeriods.map((p) => ({ ...p })),
    terms: s.terms.slice(),
    scenario: s.scenario && {
      ...s.scenario,
      expectations: s.scenario.expectations.map((e) => ({ ...e }))
    },
    notes: s.notes.slice(),
    // Only the newest bucket and point are ever mutated.
    opsBuckets: s.opsBuckets.map((b, i) =>
      i === s.opsBuckets.length - 1 ? { ...b, latencies: b.latencies.slice() } : b
    ),
    commitSeries: Object.fromEntries(
      Object.entries(s.commitSeries).map(([id, pts]) => [id, pts.map((p) => ({ ...p }))])
    )
  }
}

function nodeOf(s: ClusterState, id: string): NodeState {
  let n = s.nodes[id]
  if (!n) {
    n = newNode(id)
    s.nodes[id] = n
    s.nodeIds.push(id)
  }
  return n
}

function pushBounded<T>(list: T[], item: T, max: number): void {
  list.push(item)
  // Drop in chunks so a long run does not shift the array on every event.
  if (list.length > max + max / 10) list.splice(0, list.length - max)
}

function noteTerm(s: ClusterState, t: number, term: number, leader: string | null): void {
  const last = s.terms[s.terms.length - 1]
  if (!last || term > last.term) s.terms.push({ t, term, leader })
  else if (term === last.term && leader && !last.leader)
    s.terms[s.terms.length - 1] = { ...last, leader }
}

function openPeriod(s: ClusterState, t: number, label: string): void {
  if (!s.faultPeriods.some((p) => p.end === null && p.label === label))
    s.faultPeriods.push({ start: t, end: null, label })
}

function closePeriods(s: ClusterState, t: number, match: (label: string) => boolean): void {
  for (const p of s.faultPeriods) if (p.end === null && match(p.label)) p.end = t
}

function applyToKv(kv: Record<string, string>, command: Command, result: KvOutput | null): void {
  // result null: a noop, or a duplicate write the state machine ignored.
  if (result === null) return
  if (command.op === 'put') kv[command.key] = command.value
  else if (command.op === 'cas' && result.swapped) kv[command.key] = command.to
}

/** The node lost its volatile state: what it had in memory is gone, its disk remains. */
function loseVolatile(n: NodeState): void {
  n.role = 'follower'
  n.leader = null
  n.commitIndex = 0
  n.lastApplied = 0
  n.nextIndex = null
  n.matchIndex = null
  n.timer = null
  n.kv = {}
  n.applied = []
  n.appliedBase = {}
}

/** As the supervisor reports it: an exit the lab asked for keeps "crashed" or "stopped". */
function downStatus(before: NodeStatus, e: TraceEventOf<'proc'>): NodeStatus {
  if (e.action === 'crash') return 'crashed'
  if (e.action === 'stop') return 'stopped'
  if (e.unexpected) return 'exited'
  return before === 'crashed' ? 'crashed' : 'stopped'
}

function onProc(s: ClusterState, e: TraceEventOf<'proc'>): void {
  const n = nodeOf(s, e.node)
  switch (e.action) {
    case 'start':
    case 'restart':
      n.status = 'running'
      closePeriods(s, e.t, (l) => l === `${e.node} down` || l === `${e.node} paused`)
      break
    case 'crash':
    case 'exit':
    case 'stop':
      n.status = downStatus(n.status, e)
      // The log stays as the disk holds it; the recover event on restart says exactly what survived.
      loseVolatile(n)
      closePeriods(s, e.t, (l) => l === `${e.node} paused`)
      openPeriod(s, e.t, `${e.node} down`)
      break
    case 'pause':
      n.status = 'paused'
      openPeriod(s, e.t, `${e.node} paused`)
      break
    case 'resume':
      n.status = 'running'
      closePeriods(s, e.t, (l) => l === `${e.node} paused`)
      break
    case 'wipe':
      loseVolatile(n)
      n.log = []
      n.persistedIndex = 0
      n.currentTerm = 0
      n.votedFor = null
      n.applied = []
      break
  }
}

function onFault(s: ClusterState, e: TraceEventOf<'fault'>): void {
  const net = s.network
  switch (e.action) {
    case 'heal':
      s.network = { groups: null, isolated: [], links: {} }
      closePeriods(s, e.t, (l) => l.startsWith('network'))
      return
    case 'partition':
      net.groups = e.groups ? e.groups.map((g) => g.slice()) : null
      break
    case 'isolate':
      if (e.target && !net.isolated.includes(e.target)) net.isolated.push(e.target)
      break
    case 'link':
      if (e.from && e.to)
        net.links[`${e.from}>${e.to}`] = { ...net.links[`${e.from}>${e.to}`], ...e.link }
      break
  }
  openPeriod(s, e.t, 'network fault')
}

function onNet(s: ClusterState, e: TraceEventOf<'net'>): void {
  const key = `${e.from}>${e.to}#${e.msgId}`
  if (e.action === 'send') {
    const m: Message = {
      key,
      from: e.from,
      to: e.to,
      msgId: e.msgId,
      type: e.type,
      term: e.term,
      size: e.size,
      sentAt: e.t,
      deliveredAt: null,
      droppedAt: null,
      reason: null,
      delayMs: e.delayMs ?? null,
      duplicates: 0,
      msg: e.msg ?? null
    }
    s.messages.push(m)
    s.inFlight.set(key, m)
    if (s.messages.length > MAX_MESSAGES * 1.1) {
      for (const old of s.messages.splice(0, s.messages.length - MAX_MESSAGES))
        if (s.inFlight.get(old.key) === old) s.inFlight.delete(old.key)
    }
    return
  }
  const m = s.inFlight.get(key)
  if (!m) return
  if (e.action === 'deliver') {
    m.deliveredAt ??= e.t
    if (e.delayMs !== undefined) m.delayMs = e.delayMs
    // A duplicate may still be delivered later; the first delivery is the one drawn.
    if (m.duplicates === 0) s.inFlight.delete(key)
  } else if (e.action === 'drop') {
    m.droppedAt = e.t
    m.reason = e.reason ?? null
    if (m.duplicates === 0) s.inFlight.delete(key)
  } else m.duplicates += 1
}

function sampleCommit(s: ClusterState, node: string, t: number, v: number): void {
  const pts = (s.commitSeries[node] ??= [])
  const last = pts[pts.length - 1]
  const prev = pts[pts.length - 2]
  // Points stay at least COMMIT_SAMPLE_MS apart; the newest one slides forward.
  if (last && prev && t - prev.t < COMMIT_SAMPLE_MS) {
    last.t = t
    last.v = v
  } else pushBounded(pts, { t, v }, MAX_COMMIT_POINTS)
}

/** Count a completed operation in its second; `latency` null for a failed one. */
function countOp(s: ClusterState, t: number, latency: number | null): void {
  const start = Math.floor(t / 1000) * 1000
  let b = s.opsBuckets[s.opsBuckets.length - 1]
  if (!b || b.t !== start) {
    b = { t: start, ok: 0, failed: 0, latencies: [] }
    pushBounded(s.opsBuckets, b, MAX_BUCKETS)
  }
  if (latency === null) b.failed += 1
  else {
    b.ok += 1
    if (b.latencies.length < MAX_LATENCY_SAMPLES) b.latencies.push(latency)
  }
}

function findOp(s: ClusterState, client: string, opId: number): ClientOp | undefined {
  for (let i = s.ops.length - 1; i >= 0; i--) {
    const o = s.ops[i]!
    if (o.client === client && o.opId === opId) return o
  }
  return undefined
}

function onScenario(s: ClusterState, e: TraceEventOf<'scenario'>): void {
  if (e.action === 'start') {
    s.scenario = { name: e.text, step: 0, steps: null, expectations: [], ended: false }
    return
  }
  const sc = s.scenario ?? { name: '', step: 0, steps: null, expectations: [], ended: false }
  s.scenario = sc
  if (e.action === 'step') sc.step = (e.index ?? sc.step) + 1
  else if (e.action === 'expect')
    sc.expectations.push({ index: e.index ?? null, text: e.text, ok: e.ok ?? null, t: e.t })
  else sc.ended = true
}

/** Fold one trace event into the state (in place). */
export function applyEvent(s: ClusterState, e: TraceEvent): void {
  s.t = Math.max(s.t, e.t)
  s.eventCount += 1
  switch (e.kind) {
    case 'role': {
      const n = nodeOf(s, e.node)
      n.role = e.role
      n.currentTerm = Math.max(n.currentTerm, e.term)
      n.leader = e.leader
      if (e.role === 'leader') n.timer = null
      else {
        n.nextIndex = null
        n.matchIndex = null
      }
      noteTerm(s, e.t, e.term, e.leader)
      break
    }
    case 'vote': {
      const n = nodeOf(s, e.node)
      if (!e.preVote) {
        n.currentTerm = Math.max(n.currentTerm, e.term)
        if (e.granted) n.votedFor = e.candidate
      }
      break
    }
    case 'append': {
      const n = nodeOf(s, e.node)
      for (const entry of e.entries) {
        if (entry.index < 1) continue
        // Appending at index i replaces whatever was there and everything after it.
        if (n.log.length >= entry.index) n.log.length = entry.index - 1
        if (n.log.length === entry.index - 1) n.log.push(entry)
      }
      break
    }
    case 'truncate': {
      const n = nodeOf(s, e.node)
      if (n.log.length >= e.fromIndex) n.log.length = Math.max(e.fromIndex - 1, 0)
      n.persistedIndex = Math.min(n.persistedIndex, n.log.length)
      break
    }
    case 'persist': {
      const n = nodeOf(s, e.node)
      n.currentTerm = Math.max(n.currentTerm, e.currentTerm)
      n.votedFor = e.votedFor
      n.persistedIndex = e.lastIndex
      break
    }
    case 'commit': {
      const n = nodeOf(s, e.node)
      n.commitIndex = Math.max(n.commitIndex, e.commitIndex)
      sampleCommit(s, e.node, e.t, n.commitIndex)
      break
    }
    case 'apply': {
      const n = nodeOf(s, e.node)
      n.lastApplied = Math.max(n.lastApplied, e.index)
      applyToKv(n.kv, e.command, e.result)
      n.applied.push({ t: e.t, index: e.index, term: e.term, command: e.command, result: e.result })
      if (n.applied.length > MAX_APPLIED_HISTORY * 1.1) {
        const old = n.applied.splice(0, n.applied.length - MAX_APPLIED_HISTORY)
        for (const a of old) applyToKv(n.appliedBase, a.command, a.result)
      }
      break
    }
    case 'timer': {
      const n = nodeOf(s, e.node)
      n.timer = { setAt: e.t, ms: e.ms }
      break
    }
    case 'recover': {
      const n = nodeOf(s, e.node)
      loseVolatile(n)
      n.status = 'running'
      n.currentTerm = e.currentTerm
      n.votedFor = e.votedFor
      n.log = n.log.slice(0, e.lastIndex)
      n.persistedIndex = n.log.length
      break
    }
    case 'status': {
      const n = nodeOf(s, e.node)
      n.role = e.role
      n.currentTerm = e.currentTerm
      n.votedFor = e.votedFor
      n.leader = e.leader
      n.commitIndex = e.commitIndex
      n.lastApplied = e.lastApplied
      n.nextIndex = e.nextIndex && { ...e.nextIndex }
      n.matchIndex = e.matchIndex && { ...e.matchIndex }
      if (n.status === 'starting') n.status = 'running'
      noteTerm(s, e.t, e.currentTerm, e.leader)
      break
    }
    case 'listening':
      nodeOf(s, e.node).status = 'running'
      break
    case 'proc':
      onProc(s, e)
      break
    case 'fault':
      onFault(s, e)
      break
    case 'net':
      onNet(s, e)
      break
    case 'invoke':
      pushBounded(
        s.ops,
        {
          client: e.client,
          opId: e.opId,
          input: e.input,
          call: e.t,
          ret: null,
          status: null,
          output: null,
          error: null,
          by: null
        },
        MAX_OPS
      )
      break
    case 'complete': {
      const o = findOp(s, e.client, e.opId)
      if (o && o.ret === null) countOp(s, e.t, e.status === 'ok' ? e.t - o.call : null)
      if (o) {
        o.ret = e.t
        o.status = e.status
        o.output = e.output ?? null
        o.error = e.error ?? null
        o.by = e.by ?? null
      }
      break
    }
    case 'scenario':
      onScenario(s, e)
      break
    case 'note':
      pushBounded(s.notes, { t: e.t, text: e.text }, 200)
      break
    case 'node-error':
      pushBounded(s.notes, { t: e.t, text: `${e.node}: ${e.message}` }, 200)
      break
    case 'node-log':
      break
  }
}

/** The leader of the highest term any running node believes in, if one is running. */
export function currentLeader(s: ClusterState): string | null {
  let best: NodeState | null = null
  for (const id of s.nodeIds) {
    const n = s.nodes[id]!
    if (
      n.role === 'leader' &&
      n.status === 'running' &&
      (!best || n.currentTerm > best.currentTerm)
    )
      best = n
  }
  return best?.id ?? null
}
