// The Raft core's contract with its drivers (the node process and the simulator).
// Plain types only: src/shared/raft imports nothing outside src/shared.
// Field names follow Figure 2 of the Raft paper.

export type NodeId = string

/** A command carried by a log entry. `noop` is what a new leader appends (§8). */
export type Command =
  | { op: 'noop' }
  | { op: 'put'; key: string; value: string; client: string; seq: number }
  | { op: 'cas'; key: string; from: string | null; to: string; client: string; seq: number }
  /** A read through the log (read mode `log`). */
  | { op: 'get'; key: string; client: string; seq: number }

export type ClientCommand = Exclude<Command, { op: 'noop' }>

export interface Entry {
  index: number
  term: number
  command: Command
}

/** What a node must keep on stable storage besides its log (Figure 2, "Persistent state"). */
export interface HardState {
  currentTerm: number
  votedFor: NodeId | null
}

export type Role = 'follower' | 'precandidate' | 'candidate' | 'leader'

export const TEACHING_BUGS = [
  'vote-without-log-check',
  'commit-old-term',
  'stale-read',
  'forget-vote',
  'no-fsync'
] as const
export type TeachingBug = (typeof TEACHING_BUGS)[number]

export type ReadMode = 'readindex' | 'log'

export interface RaftConfig {
  /** Election timeout is drawn uniformly from [min, max] ticks on every reset. */
  electionTicks: [number, number]
  heartbeatTicks: number
  preVote: boolean
  readMode: ReadMode
  /** Upper bound of entries per AppendEntries (batching). */
  maxEntriesPerMessage: number
  /** Upper bound of AppendEntries in flight per follower (pipelining). */
  maxInflight: number
  bugs: TeachingBug[]
}

/** Randomness is an input, so a seed replays a run exactly. Returns a float in [0, 1). */
export type Rng = () => number

// ---- Messages: the RPCs of Figure 2, plus PreVote (§9.6 of Ongaro's thesis) ----

interface Envelope {
  from: NodeId
  to: NodeId
  term: number
}

export interface RequestVote extends Envelope {
  type: 'RequestVote'
  candidateId: NodeId
  lastLogIndex: number
  lastLogTerm: number
  /** A PreVote asks "would you vote for me?" without anyone changing term. */
  preVote: boolean
}

export interface RequestVoteResponse extends Envelope {
  type: 'RequestVoteResponse'
  voteGranted: boolean
  preVote: boolean
}

export interface AppendEntries extends Envelope {
  type: 'AppendEntries'
  leaderId: NodeId
  prevLogIndex: number
  prevLogTerm: number
  entries: Entry[]
  leaderCommit: number
  /** ReadIndex round this heartbeat confirms leadership for (0 if none). */
  readCtx: number
}

export interface AppendEntriesResponse extends Envelope {
  type: 'AppendEntriesResponse'
  success: boolean
  /**
   * On success: the index of the last entry known to match the leader's log.
   * On failure: the prevLogIndex that was rejected (so the leader can tell a
   * stale rejection from a fresh one, as etcd's MsgAppResp.Index does).
   */
  matchIndex: number
  /** On failure, fast backtracking (§5.3): first index of the conflicting term, or lastIndex+1. */
  conflictIndex: number
  /** On failure: term of the conflicting entry, or 0 if the follower's log is too short. */
  conflictTerm: number
  readCtx: number
}

export type RaftMessage = RequestVote | RequestVoteResponse | AppendEntries | AppendEntriesResponse
export type RaftMessageType = RaftMessage['type']

// ---- Output to the driver ----

/** Observable changes inside a core, recorded into the trace by the driver. */
export type CoreEvent =
  | { kind: 'role'; role: Role; term: number; leader: NodeId | null }
  | { kind: 'vote'; candidate: NodeId; term: number; granted: boolean; preVote: boolean }
  | { kind: 'append'; entries: Entry[] }
  | { kind: 'truncate'; fromIndex: number }
  | { kind: 'commit'; commitIndex: number; term: number }
  /** The election timer was reset; it fires after `ticks` ticks unless reset again. */
  | { kind: 'timer'; ticks: number }

/** A ReadIndex read that may be answered once lastApplied >= index. */
export interface ReadState {
  requestId: number
  index: number
}

/** A read refused by the core (not leader, or deposed before confirming). */
export interface ReadRefusal {
  requestId: number
  leaderHint: NodeId | null
}

/**
 * Everything the driver must do, in order (STYLE.md):
 * 1. persist `hardState` (if set) and `entries` (truncating the log from
 *    entries[0].index first), fsync'd when `mustSync`;
 * 2. then send `messages`;
 * 3. then apply `committed` in order and answer `reads` once applied;
 * 4. then call `advance(ready)`.
 */
export interface Ready {
  hardState: HardState | null
  entries: Entry[]
  mustSync: boolean
  messages: RaftMessage[]
  committed: Entry[]
  reads: ReadState[]
  refusedReads: ReadRefusal[]
  events: CoreEvent[]
}

/** Stable storage behind a small interface (etcd's Storage): the WAL and an in-memory store implement it. */
export interface LogStorage {
  /** State recovered at start: hard state and the whole log (index 1..n). */
  initialState(): { hardState: HardState; entries: Entry[] }
}

export type ProposeResult =
  { ok: true; index: number; term: number } | { ok: false; leaderHint: NodeId | null }

/** A snapshot of one core for status views (Figure 2's state). */
export interface CoreStatus {
  id: NodeId
  role: Role
  currentTerm: number
  votedFor: NodeId | null
  leader: NodeId | null
  commitIndex: number
  lastApplied: number
  lastLogIndex: number
  lastLogTerm: number
  /** Ticks left until the election timer fires (followers and candidates). */
  electionTimerTicks: number
  electionTimeoutTicks: number
  /** Leader only. */
  nextIndex: Record<NodeId, number> | null
  matchIndex: Record<NodeId, number> | null
}

export interface RaftCoreOptions {
  id: NodeId
  /** Every other member of the cluster. */
  peers: NodeId[]
  config: RaftConfig
  rng: Rng
  /** What the node recovered from its disk. */
  storage: LogStorage
}

/**
 * One Raft server, as a pure state machine (created by `createRaftCore` in ./index).
 * Inputs: tick, step, propose, readIndex, campaign. Output: ready() → advance().
 */
export interface RaftCore {
  /** Advance logical time by one tick. */
  tick(): void
  /** Handle a message from a peer. */
  step(message: RaftMessage): void
  /** Append a client command if leader (§5.3). */
  propose(command: ClientCommand): ProposeResult
  /** Ask for a linearizable read; the answer arrives in Ready.reads or Ready.refusedReads. */
  readIndex(requestId: number): void
  /** Let the election timer fire now. */
  campaign(): void
  hasReady(): boolean
  ready(): Ready
  advance(ready: Ready): void
  status(): CoreStatus
}
