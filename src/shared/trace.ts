// The trace: JSON Lines. Line 1 is a header; every later line is one event
// `{seq, t, kind, node?, ...}` with `t` in ms since the experiment started.
// The node process, the fault proxy, the supervisor, the workload clients, the
// scenario runner and the simulator all write these shapes; the UI, the checkers
// and export all read them. Documented in docs/trace-format.md.
import { z } from 'zod'
import { clusterConfigSchema, type ClusterConfig } from './config'

export const TRACE_SCHEMA = 'raftlab-trace'
export const TRACE_VERSION = 1

const nodeId = z.string().min(1).max(64)
const nonNeg = z.number().int().nonnegative()

export const commandSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('noop') }),
  z.object({
    op: z.literal('put'),
    key: z.string(),
    value: z.string(),
    client: z.string(),
    seq: nonNeg
  }),
  z.object({
    op: z.literal('cas'),
    key: z.string(),
    from: z.string().nullable(),
    to: z.string(),
    client: z.string(),
    seq: nonNeg
  }),
  z.object({ op: z.literal('get'), key: z.string(), client: z.string(), seq: nonNeg })
])

export const entrySchema = z.object({ index: nonNeg, term: nonNeg, command: commandSchema })

export const kvInputSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('get'), key: z.string() }),
  z.object({ op: z.literal('put'), key: z.string(), value: z.string() }),
  z.object({ op: z.literal('cas'), key: z.string(), from: z.string().nullable(), to: z.string() }),
  z.object({ op: z.literal('append'), key: z.string(), value: z.string() })
])

export const kvOutputSchema = z.object({
  value: z.string().nullable().optional(),
  swapped: z.boolean().optional()
})

export const roleSchema = z.enum(['follower', 'precandidate', 'candidate', 'leader'])

export const linkFaultSchema = z.object({
  /** false = the link is cut (messages dropped). */
  up: z.boolean().default(true),
  loss: z.number().min(0).max(1).default(0),
  delayMs: z.number().min(0).max(60_000).default(0),
  jitterMs: z.number().min(0).max(60_000).default(0),
  duplicate: z.number().min(0).max(1).default(0),
  /** Probability a message is held back and overtaken by the next one. */
  reorder: z.number().min(0).max(1).default(0),
  /**
   * Lab proxy only: an AppendEntries passes with at most this many of its
   * entries, as if the sender had batched fewer and the rest were lost.
   */
  maxEntries: z.number().int().min(0).max(1_000_000).optional()
})
export type LinkFault = z.infer<typeof linkFaultSchema>

/** A link with no fault: what heal restores, in the lab's proxy and in the simulator. */
export const HEALTHY_LINK: Readonly<LinkFault> = {
  up: true,
  loss: 0,
  delayMs: 0,
  jitterMs: 0,
  duplicate: 0,
  reorder: 0
}

const base = {
  seq: nonNeg,
  t: z.number().nonnegative(),
  /** Hash chain value (docs/trace-format.md); absent in traces not written by the recorder. */
  h: z.string().optional()
}
const onNode = { ...base, node: nodeId }

export const traceEventSchema = z.discriminatedUnion('kind', [
  // ---- from a node (its stdout, or the simulator) ----
  z.object({
    ...onNode,
    kind: z.literal('role'),
    role: roleSchema,
    term: nonNeg,
    leader: nodeId.nullable()
  }),
  z.object({
    ...onNode,
    kind: z.literal('vote'),
    candidate: nodeId,
    term: nonNeg,
    granted: z.boolean(),
    preVote: z.boolean()
  }),
  z.object({ ...onNode, kind: z.literal('append'), entries: z.array(entrySchema) }),
  z.object({ ...onNode, kind: z.literal('truncate'), fromIndex: nonNeg }),
  /** Durable on the node's disk: hard state and log up to lastIndex. */
  z.object({
    ...onNode,
    kind: z.literal('persist'),
    currentTerm: nonNeg,
    votedFor: nodeId.nullable(),
    lastIndex: nonNeg,
    synced: z.boolean()
  }),
  z.object({ ...onNode, kind: z.literal('commit'), commitIndex: nonNeg, term: nonNeg }),
  z.object({
    ...onNode,
    kind: z.literal('apply'),
    index: nonNeg,
    term: nonNeg,
    command: commandSchema,
    /** What the state machine returned (kvOutput), null for noop or a duplicate write. */
    result: kvOutputSchema.nullable()
  }),
  z.object({ ...onNode, kind: z.literal('timer'), ms: z.number().nonnegative() }),
  /** A node came up from its disk. */
  z.object({
    ...onNode,
    kind: z.literal('recover'),
    currentTerm: nonNeg,
    votedFor: nodeId.nullable(),
    lastIndex: nonNeg,
    lastTerm: nonNeg,
    /** What recovery repaired (a torn tail), if anything. */
    repaired: z.string().nullable()
  }),
  z.object({ ...onNode, kind: z.literal('listening'), port: z.number().int().min(1).max(65535) }),
  z.object({ ...onNode, kind: z.literal('node-error'), message: z.string() }),
  /** A line on a node's stdout that is not an event (e.g. a student's node printing). */
  z.object({ ...onNode, kind: z.literal('node-log'), text: z.string() }),
  z.object({
    ...onNode,
    kind: z.literal('status'),
    role: roleSchema,
    currentTerm: nonNeg,
    votedFor: nodeId.nullable(),
    leader: nodeId.nullable(),
    commitIndex: nonNeg,
    lastApplied: nonNeg,
    lastLogIndex: nonNeg,
    lastLogTerm: nonNeg,
    nextIndex: z.record(z.string(), nonNeg).nullable(),
    matchIndex: z.record(z.string(), nonNeg).nullable()
  }),

  // ---- from the network (the fault proxy, or the simulator) ----
  z.object({
    ...base,
    kind: z.literal('net'),
    /** send: entered the link; deliver: handed to the receiver; drop; duplicate: a copy was made. */
    action: z.enum(['send', 'deliver', 'drop', 'duplicate']),
    from: nodeId,
    to: nodeId,
    /** Per directed link, pairs a send with its deliver/drop. */
    msgId: nonNeg,
    type: z.string(),
    term: nonNeg,
    size: nonNeg,
    /** Why it was dropped: link down, loss, node down, queue full. */
    reason: z.string().optional(),
    delayMs: z.number().nonnegative().optional(),
    /** The message itself, when below the recorder's size limit. */
    msg: z.record(z.string(), z.unknown()).optional()
  }),

  // ---- from the supervisor (or the simulator) ----
  z.object({
    ...onNode,
    kind: z.literal('proc'),
    action: z.enum(['start', 'crash', 'restart', 'pause', 'resume', 'stop', 'exit', 'wipe']),
    pid: z.number().int().optional(),
    code: z.number().int().nullable().optional(),
    signal: z.string().nullable().optional(),
    /** An exit nobody asked for. */
    unexpected: z.boolean().optional()
  }),

  // ---- network faults as the student set them ----
  z.object({
    ...base,
    kind: z.literal('fault'),
    action: z.enum(['partition', 'isolate', 'heal', 'link']),
    groups: z.array(z.array(nodeId)).optional(),
    target: nodeId.optional(),
    from: nodeId.optional(),
    to: nodeId.optional(),
    link: linkFaultSchema.partial().optional()
  }),

  // ---- client history ----
  z.object({
    ...base,
    kind: z.literal('invoke'),
    client: z.string(),
    /** Unique per client; for writes it is the `seq` the client sends, so an applied entry names its op. */
    opId: nonNeg,
    input: kvInputSchema
  }),
  z.object({
    ...base,
    kind: z.literal('complete'),
    client: z.string(),
    opId: nonNeg,
    /** ok: took effect / returned; fail: definitely did not take effect; info: unknown (timed out). */
    status: z.enum(['ok', 'fail', 'info']),
    output: kvOutputSchema.optional(),
    error: z.string().optional(),
    /** The node that answered. */
    by: nodeId.optional()
  }),

  // ---- the scenario runner and the lab ----
  z.object({
    ...base,
    kind: z.literal('scenario'),
    action: z.enum(['start', 'step', 'expect', 'end']),
    index: nonNeg.optional(),
    text: z.string(),
    ok: z.boolean().optional()
  }),
  z.object({ ...base, kind: z.literal('note'), text: z.string() })
])

export type TraceEvent = z.infer<typeof traceEventSchema>
export type TraceEventKind = TraceEvent['kind']
export type TraceEventOf<K extends TraceEventKind> = Extract<TraceEvent, { kind: K }>

/** An event before the recorder stamps it with seq, t and h. */
export type UnstampedEvent = TraceEvent extends infer E
  ? E extends TraceEvent
    ? Omit<E, 'seq' | 't' | 'h'>
    : never
  : never

export const traceHeaderSchema = z.object({
  kind: z.literal('header'),
  schema: z.literal(TRACE_SCHEMA),
  version: z.literal(TRACE_VERSION),
  /** ISO time the experiment started (t = 0). */
  started: z.string(),
  source: z.enum(['lab', 'sim']),
  config: clusterConfigSchema,
  seed: z.number().int().nullable(),
  scenario: z.string().nullable(),
  versions: z.record(z.string(), z.string()),
  h: z.string().optional()
})
export type TraceHeader = z.infer<typeof traceHeaderSchema>

/** The header of a simulated run's trace. */
export function simTraceHeader(
  config: ClusterConfig,
  seed: number | null,
  scenario: string | null,
  versions: Record<string, string> = {}
): TraceHeader {
  return {
    kind: 'header',
    schema: TRACE_SCHEMA,
    version: TRACE_VERSION,
    // Virtual time has no wall-clock start (docs/trace-format.md).
    started: new Date(0).toISOString(),
    source: 'sim',
    config,
    seed,
    scenario,
    versions
  }
}
