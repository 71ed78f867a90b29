// One Raft server as a pure state machine, in etcd-io/raft's shape and the
// paper's words. Section numbers (§) are those of the Raft paper (Ongaro and
// Ousterhout, 2014); PreVote and ReadIndex are from Ongaro's thesis (§9.6, §6.4).

import { RaftLog } from './log'
import { quorumIndex, voteResult } from './quorum'
import type {
  AppendEntries,
  AppendEntriesResponse,
  ClientCommand,
  Command,
  CoreEvent,
  CoreStatus,
  Entry,
  HardState,
  NodeId,
  ProposeResult,
  RaftConfig,
  RaftCore,
  RaftCoreOptions,
  RaftMessage,
  ReadRefusal,
  ReadState,
  Ready,
  RequestVote,
  RequestVoteResponse,
  Rng,
  Role,
  TeachingBug
} from './types'

/** What the leader knows of one follower's log (Figure 2's nextIndex and matchIndex). */
interface Progress {
  nextIndex: number
  matchIndex: number
  /**
   * `probe`: one AppendEntries at a time until one succeeds (after a rejection,
   * or when nothing is known yet). `replicate`: nextIndex is advanced
   * optimistically and up to maxInflight AppendEntries are outstanding.
   */
  state: 'probe' | 'replicate'
  probeSent: boolean
  /** Last index carried by each unacknowledged AppendEntries, oldest first. */
  inflight: number[]
  /** Heartbeat intervals in a row in which matchIndex stayed behind the log and did not move. */
  stalled: number
  /** The commit index the follower can have learned from what was sent to it. */
  commitSent: number
}

/** A ReadIndex read waiting for a majority to confirm leadership. */
interface PendingRead {
  requestId: number
  index: number
  readCtx: number
}

export function createRaftCore(options: RaftCoreOptions): RaftCore {
  return new Raft(options)
}

class Raft implements RaftCore {
  private readonly id: NodeId
  private readonly peers: NodeId[]
  private readonly config: RaftConfig
  private readonly rng: Rng
  private readonly bugs: ReadonlySet<TeachingBug>

  // Figure 2, persistent state on all servers (the log is in `log`).
  private currentTerm: number
  private votedFor: NodeId | null
  private readonly log: RaftLog

  private role: Role = 'follower'
  private leader: NodeId | null = null
  /** The role's message handler, swapped on every role change (etcd's `step`). */
  private stepRole: (m: RaftMessage) => void
  /** The role's clock: election timer, or heartbeat timer for a leader. */
  private tickRole: () => void
  private electionElapsed = 0
  private electionTimeout = 0
  private heartbeatElapsed = 0
  private votes = new Map<NodeId, boolean>()

  // Figure 2, volatile state on leaders.
  private progress = new Map<NodeId, Progress>()

  // ReadIndex (§6.4 of the thesis).
  private readCtx = 0
  private readAcks = new Map<NodeId, number>()
  private pendingReads: PendingRead[] = []
  /** Reads asked for before the leader committed an entry of its term. */
  private readsAwaitingCommit: number[] = []
  /** A heartbeat round for the newest readCtx is due in the next Ready. */
  private readRoundPending = false

  // Output, handed to the driver by ready().
  private messages: RaftMessage[] = []
  private events: CoreEvent[] = []
  private reads: ReadState[] = []
  private refusedReads: ReadRefusal[] = []
  private handedHardState: HardState
  private appendsPending = false

  constructor(options: RaftCoreOptions) {
    const { id, peers, config } = options
    if (peers.includes(id)) throw new Error(`peers of ${id} must not include ${id} itself`)
    const [minTicks, maxTicks] = config.electionTicks
    if (!(minTicks >= 1 && minTicks <= maxTicks)) {
      throw new Error(`electionTicks [${minTicks}, ${maxTicks}]: need 1 <= min <= max`)
    }
    if (config.heartbeatTicks < 1 || config.maxEntriesPerMessage < 1 || config.maxInflight < 1) {
      throw new Error('heartbeatTicks, maxEntriesPerMessage and maxInflight must be at least 1')
    }
    this.id = id
    this.peers = [...peers]
    this.config = config
    this.rng = options.rng
    this.bugs = new Set(config.bugs)
    const { hardState, entries } = options.storage.initialState()
    this.currentTerm = hardState.currentTerm
    this.votedFor = hardState.votedFor
    this.handedHardState = { ...hardState }
    this.log = new RaftLog(entries)
    this.stepRole = this.stepFollower
    this.tickRole = this.tickElection
    this.becomeFollower(this.currentTerm, null)
  }

  // ---- Inputs ----

  tick(): void {
    this.tickRole()
  }

  step(m: RaftMessage): void {
    if (m.to !== this.id || !this.peers.includes(m.from)) return
    if (m.term > this.currentTerm) {
      if (m.type === 'RequestVote' && m.preVote) {
        // §9.6: a pre-vote changes nobody's term.
      } else if (m.type === 'RequestVoteResponse' && m.preVote && m.voteGranted) {
        // A granted pre-vote carries the term the pre-candidate will campaign in.
      } else {
        // §5.1: a server that sees a higher term updates its term and reverts to follower.
        this.becomeFollower(m.term, m.type === 'AppendEntries' ? m.from : null)
      }
    } else if (m.term < this.currentTerm) {
      this.replyToStaleTerm(m)
      return
    }
    if (m.type === 'RequestVote') this.handleRequestVote(m)
    else this.stepRole(m)
  }

  propose(command: ClientCommand): ProposeResult {
    if (this.role !== 'leader') return { ok: false, leaderHint: this.leader }
    const entry = this.appendToOwnLog(command)
    return { ok: true, index: entry.index, term: entry.term }
  }

  readIndex(requestId: number): void {
    if (this.role !== 'leader') {
      this.refusedReads.push({ requestId, leaderHint: this.leader })
      return
    }
    if (this.bugs.has('stale-read')) {
      // BUG stale-read: answers from local state without confirming leadership,
      // so a deposed leader that has not noticed yet returns stale data.
      this.reads.push({ requestId, index: this.log.commitIndex })
      return
    }
    // §6.4: the leader must have committed an entry of its term to know the commit index.
    if (this.log.term(this.log.commitIndex) !== this.currentTerm) {
      this.readsAwaitingCommit.push(requestId)
      return
    }
    this.startReadRound(requestId)
  }

  campaign(): void {
    if (this.role !== 'leader') this.startElection()
  }

  // ---- Output ----

  hasReady(): boolean {
    return (
      this.appendsPending ||
      this.readRoundPending ||
      this.messages.length > 0 ||
      this.events.length > 0 ||
      this.reads.length > 0 ||
      this.refusedReads.length > 0 ||
      this.log.hasUnstable() ||
      this.log.hasCommittedToApply() ||
      this.currentTerm !== this.handedHardState.currentTerm ||
      this.votedFor !== this.handedHardState.votedFor
    )
  }

  ready(): Ready {
    if (this.appendsPending) {
      // Proposals since the last Ready go out together (batching).
      this.appendsPending = false
      for (const peer of this.peers) this.sendAppends(peer)
    }
    if (this.readRoundPending) {
      // Reads asked since the last Ready share one heartbeat round.
      this.readRoundPending = false
      this.broadcastHeartbeat()
    }
    const hs = this.hardState()
    let hardState: HardState | null = null
    if (!sameHardState(hs, this.handedHardState)) {
      // BUG forget-vote: the vote is not written to disk, so after a restart the
      // server may vote again in the same term (breaks §5.2's one vote per term).
      hardState = this.bugs.has('forget-vote') ? { ...hs, votedFor: null } : hs
      this.handedHardState = hs
    }
    const entries = this.log.takeUnstable()
    const rd: Ready = {
      hardState,
      entries,
      // BUG no-fsync: nothing is forced to disk, yet acknowledgements go out as usual.
      mustSync: !this.bugs.has('no-fsync') && (hardState !== null || entries.length > 0),
      messages: this.messages,
      committed: this.log.takeCommitted(),
      reads: this.reads,
      refusedReads: this.refusedReads,
      events: this.events
    }
    this.messages = []
    this.reads = []
    this.refusedReads = []
    this.events = []
    return rd
  }

  advance(rd: Ready): void {
    const lastEntry = rd.entries[rd.entries.length - 1]
    if (lastEntry !== undefined) this.log.stableTo(lastEntry.index, lastEntry.term)
    const lastCommitted = rd.committed[rd.committed.length - 1]
    if (lastCommitted !== undefined) this.log.appliedTo(lastCommitted.index)
    // The leader counts itself only for entries now on its disk.
    if (this.role === 'leader' && lastEntry !== undefined) this.maybeCommit()
  }

  status(): CoreStatus {
    const leading = this.role === 'leader'
    const nextIndex: Record<NodeId, number> = {}
    const matchIndex: Record<NodeId, number> = {}
    for (const [peer, pr] of this.progress) {
      nextIndex[peer] = pr.nextIndex
      matchIndex[peer] = pr.matchIndex
    }
    return {
      id: this.id,
      role: this.role,
      currentTerm: this.currentTerm,
      votedFor: this.votedFor,
      leader: this.leader,
      commitIndex: this.log.commitIndex,
      lastApplied: this.log.lastApplied,
      lastLogIndex: this.log.lastIndex(),
      lastLogTerm: this.log.lastTerm(),
      electionTimerTicks: leading ? 0 : Math.max(0, this.electionTimeout - this.electionElapsed),
      electionTimeoutTicks: this.electionTimeout,
      nextIndex: leading ? nextIndex : null,
      matchIndex: leading ? matchIndex : null
    }
  }

  // ---- Roles ----

  private becomeFollower(term: number, leader: NodeId | null): void {
    if (term !== this.currentTerm) {
      this.currentTerm = term
      this.votedFor = null
    }
    const wasLeader = this.role === 'leader'
    this.role = 'follower'
    this.leader = leader
    this.stepRole = this.stepFollower
    this.tickRole = this.tickElection
    this.progress.clear()
    this.votes.clear()
    this.resetElectionTimer()
    if (wasLeader) this.refusePendingReads()
    this.emitRole()
  }

  /** §9.6: ask for pre-votes for term currentTerm+1 without changing currentTerm. */
  private becomePreCandidate(): void {
    this.canvass('precandidate')
  }

  /** §5.2: increment currentTerm, vote for self, reset the election timer, send RequestVote RPCs. */
  private becomeCandidate(): void {
    this.currentTerm++
    this.votedFor = this.id
    this.canvass('candidate')
  }

  /** A pre-vote or a real election: count our own vote, restart the timer, ask the others. */
  private canvass(role: 'precandidate' | 'candidate'): void {
    this.role = role
    this.leader = null
    this.stepRole = this.stepCandidate
    this.tickRole = this.tickElection
    this.votes = new Map([[this.id, true]])
    this.resetElectionTimer()
    this.emitRole()
    if (this.tallyVotes()) return
    this.requestVotes(role === 'precandidate')
  }

  /** §5.2: a candidate that wins a majority becomes leader and starts sending heartbeats. */
  private becomeLeader(): void {
    this.role = 'leader'
    this.leader = this.id
    this.stepRole = this.stepLeader
    this.tickRole = this.tickHeartbeat
    this.heartbeatElapsed = 0
    this.readAcks.clear()
    // Figure 2: nextIndex initialized to leader last log index + 1, matchIndex to 0.
    for (const peer of this.peers) {
      this.progress.set(peer, {
        nextIndex: this.log.lastIndex() + 1,
        matchIndex: 0,
        state: 'probe',
        probeSent: false,
        inflight: [],
        stalled: 0,
        commitSent: 0
      })
    }
    this.emitRole()
    // §8: a new leader commits a blank no-op entry of its term, which also commits
    // every earlier entry (§5.4.2) and lets ReadIndex learn the commit index.
    this.appendToOwnLog({ op: 'noop' })
  }

  private startElection(): void {
    if (this.config.preVote) this.becomePreCandidate()
    else this.becomeCandidate()
  }

  // ---- Timers ----

  /** §5.2: if the election timeout elapses without hearing from a leader or granting a vote, start an election. */
  private tickElection(): void {
    this.electionElapsed++
    if (this.electionElapsed >= this.electionTimeout) this.startElection()
  }

  /** §5.2: the leader sends heartbeats to keep its authority. */
  private tickHeartbeat(): void {
    this.heartbeatElapsed++
    if (this.heartbeatElapsed < this.config.heartbeatTicks) return
    this.heartbeatElapsed = 0
    this.broadcastHeartbeat()
    for (const [peer, pr] of this.progress) this.retryStalled(peer, pr)
  }

  /** §5.2: election timeouts are chosen randomly from a fixed interval, drawn again on every reset. */
  private resetElectionTimer(): void {
    const [lo, hi] = this.config.electionTicks
    this.electionElapsed = 0
    this.electionTimeout = lo + Math.floor(this.rng() * (hi - lo + 1))
    this.events.push({ kind: 'timer', ticks: this.electionTimeout })
  }

  // ---- Handlers per role ----

  private stepFollower(m: RaftMessage): void {
    if (m.type !== 'AppendEntries') return
    // §5.2: a follower remains one while it receives valid RPCs from a leader.
    this.resetElectionTimer()
    if (this.leader !== m.from) {
      this.leader = m.from
      this.emitRole()
    }
    this.handleAppendEntries(m)
  }

  /** Pre-candidates and candidates. */
  private stepCandidate(m: RaftMessage): void {
    if (m.type === 'AppendEntries') {
      // §5.2: an AppendEntries from a leader of the current term ends the election.
      this.becomeFollower(this.currentTerm, m.from)
      this.handleAppendEntries(m)
      return
    }
    if (m.type !== 'RequestVoteResponse') return
    const pre = this.role === 'precandidate'
    if (m.preVote !== pre) return
    const expectedTerm = pre && m.voteGranted ? this.currentTerm + 1 : this.currentTerm
    if (m.term !== expectedTerm) return
    this.votes.set(m.from, m.voteGranted)
    this.tallyVotes()
  }

  private stepLeader(m: RaftMessage): void {
    if (m.type === 'AppendEntriesResponse') this.handleAppendEntriesResponse(m)
  }

  // ---- Elections ----

  private requestVotes(preVote: boolean): void {
    for (const peer of this.peers) {
      this.send({
        type: 'RequestVote',
        from: this.id,
        to: peer,
        term: preVote ? this.currentTerm + 1 : this.currentTerm,
        candidateId: this.id,
        lastLogIndex: this.log.lastIndex(),
        lastLogTerm: this.log.lastTerm(),
        preVote
      })
    }
  }

  /** Acts on the votes counted so far; true if the election was decided. */
  private tallyVotes(): boolean {
    const result = voteResult(this.votes, this.peers.length + 1)
    if (result === 'pending') return false
    if (result === 'lost') this.becomeFollower(this.currentTerm, null)
    else if (this.role === 'precandidate') this.becomeCandidate()
    else this.becomeLeader()
    return true
  }

  /** §5.2, §5.4.1 and §9.6: RequestVote receiver implementation (any role). */
  private handleRequestVote(m: RequestVote): void {
    const granted = m.preVote ? this.grantsPreVote(m) : this.grantsVote(m)
    if (granted && !m.preVote) {
      this.votedFor = m.candidateId
      this.resetElectionTimer()
    }
    this.events.push({
      kind: 'vote',
      candidate: m.candidateId,
      term: m.term,
      granted,
      preVote: m.preVote
    })
    this.send({
      type: 'RequestVoteResponse',
      from: this.id,
      to: m.from,
      // A granted pre-vote answers in the term asked for; everything else in ours.
      term: granted && m.preVote ? m.term : this.currentTerm,
      voteGranted: granted,
      preVote: m.preVote
    })
  }

  /** §5.2: at most one vote per term, first come first served; §5.4.1: only for an up-to-date log. */
  private grantsVote(m: RequestVote): boolean {
    const free = this.votedFor === m.candidateId || (this.votedFor === null && this.leader === null)
    return free && this.candidateLogIsUpToDate(m)
  }

  /**
   * §9.6: grants if it would vote for the candidate in term m.term, and has not
   * heard from a leader within the minimum election timeout (so a server that
   * rejoins cannot depose a working leader).
   */
  private grantsPreVote(m: RequestVote): boolean {
    const heardFromLeader =
      this.role === 'leader' ||
      (this.leader !== null && this.electionElapsed < this.config.electionTicks[0])
    if (heardFromLeader) return false
    const wouldVote =
      m.term > this.currentTerm || (m.term === this.currentTerm && this.grantsVote(m))
    return wouldVote && this.candidateLogIsUpToDate(m)
  }

  private candidateLogIsUpToDate(m: RequestVote): boolean {
    // BUG vote-without-log-check: votes for any candidate, so one missing
    // committed entries can win and overwrite them (breaks Leader Completeness).
    if (this.bugs.has('vote-without-log-check')) return true
    return this.log.isUpToDate(m.lastLogIndex, m.lastLogTerm)
  }

  // ---- Log replication: follower ----

  /** §5.3: AppendEntries receiver implementation (m.term === currentTerm). */
  private handleAppendEntries(m: AppendEntries): void {
    if (!m.entries.every((e, i) => e.index === m.prevLogIndex + 1 + i)) return
    // Reply false if the log has no entry at prevLogIndex whose term matches prevLogTerm.
    if (!this.log.matchTerm(m.prevLogIndex, m.prevLogTerm)) {
      this.rejectAppend(m)
      return
    }
    this.appendNewEntries(m.entries)
    const lastNewIndex = m.prevLogIndex + m.entries.length
    // If leaderCommit > commitIndex, set commitIndex = min(leaderCommit, index of last new entry).
    if (m.leaderCommit > this.log.commitIndex) {
      this.commitTo(Math.min(m.leaderCommit, lastNewIndex))
    }
    // Sent in the same Ready as the entries it acknowledges, so only after they are persisted.
    this.replyAppend(m, true, lastNewIndex, 0, 0)
  }

  /**
   * §5.3 fast backtracking: tell the leader the term of our conflicting entry
   * and the first index of that term, so it skips the whole term in one round.
   * `matchIndex` of a rejection carries the prevLogIndex that was rejected.
   */
  private rejectAppend(m: AppendEntries): void {
    if (m.prevLogIndex > this.log.lastIndex()) {
      this.replyAppend(m, false, m.prevLogIndex, this.log.lastIndex() + 1, 0)
      return
    }
    const conflictTerm = this.log.term(m.prevLogIndex)
    const conflictIndex = this.log.firstIndexOfTerm(m.prevLogIndex)
    this.replyAppend(m, false, m.prevLogIndex, conflictIndex, conflictTerm)
  }

  /**
   * §5.3: if an existing entry conflicts with a new one (same index, different
   * term), delete it and all that follow; append any new entries not already in the log.
   */
  private appendNewEntries(entries: Entry[]): void {
    const conflict = this.log.findConflict(entries)
    if (conflict === 0) return
    const fresh = entries.filter((e) => e.index >= conflict)
    if (conflict <= this.log.lastIndex())
      this.events.push({ kind: 'truncate', fromIndex: conflict })
    this.log.truncateAndAppend(fresh)
    this.events.push({ kind: 'append', entries: fresh })
  }

  private replyAppend(
    m: AppendEntries,
    success: boolean,
    matchIndex: number,
    conflictIndex: number,
    conflictTerm: number
  ): void {
    this.send({
      type: 'AppendEntriesResponse',
      from: this.id,
      to: m.from,
      term: this.currentTerm,
      success,
      matchIndex,
      conflictIndex,
      conflictTerm,
      readCtx: m.readCtx
    })
  }

  // ---- Log replication: leader ----

  /** §5.3: the leader appends the command to its log as a new entry, then replicates it. */
  private appendToOwnLog(command: Command): Entry {
    const entry: Entry = { index: this.log.lastIndex() + 1, term: this.currentTerm, command }
    this.log.append([entry])
    this.events.push({ kind: 'append', entries: [entry] })
    this.appendsPending = true
    return entry
  }

  /**
   * Sends AppendEntries to `peer` while its pipeline has room: one at a time
   * when probing, up to maxInflight when replicating, each with at most
   * maxEntriesPerMessage entries.
   */
  private sendAppends(peer: NodeId): void {
    const pr = this.progress.get(peer)
    if (pr === undefined) return
    for (;;) {
      if (pr.state === 'probe' ? pr.probeSent : pr.inflight.length >= this.config.maxInflight) {
        return
      }
      const prevLogIndex = pr.nextIndex - 1
      const last = Math.min(this.log.lastIndex(), prevLogIndex + this.config.maxEntriesPerMessage)
      const entries = this.log.slice(pr.nextIndex, last)
      if (entries.length === 0 && pr.state === 'replicate') return
      this.sendAppendEntries(peer, pr, prevLogIndex, entries)
      if (pr.state === 'probe') {
        pr.probeSent = true
        return
      }
      if (entries.length === 0) return
      // Pipelining: assume success and move on without waiting for the reply.
      pr.nextIndex = last + 1
      pr.inflight.push(last)
    }
  }

  private sendAppendEntries(
    peer: NodeId,
    pr: Progress,
    prevLogIndex: number,
    entries: Entry[]
  ): void {
    // §5.3: the follower commits up to min(leaderCommit, index of last new entry).
    const lastNew = prevLogIndex + entries.length
    pr.commitSent = Math.max(pr.commitSent, Math.min(this.log.commitIndex, lastNew))
    this.send({
      type: 'AppendEntries',
      from: this.id,
      to: peer,
      term: this.currentTerm,
      leaderId: this.id,
      prevLogIndex,
      prevLogTerm: this.log.term(prevLogIndex),
      entries,
      leaderCommit: this.log.commitIndex,
      readCtx: this.readCtx
    })
  }

  /**
   * §5.2: heartbeats are AppendEntries with no entries. Each is anchored at the
   * follower's matchIndex, which its log is known to contain, so a heartbeat
   * never disturbs replication; it carries leaderCommit and the latest readCtx.
   */
  private broadcastHeartbeat(): void {
    for (const [peer, pr] of this.progress) this.sendAppendEntries(peer, pr, pr.matchIndex, [])
  }

  /**
   * Sends what `peer` lacks, and if that does not tell it the commit index it
   * could now apply, a heartbeat that does (rather than waiting for the next one).
   */
  private sendAppendsAndCommit(peer: NodeId, pr: Progress): void {
    this.sendAppends(peer)
    if (Math.min(this.log.commitIndex, pr.matchIndex) > pr.commitSent) {
      this.sendAppendEntries(peer, pr, pr.matchIndex, [])
    }
  }

  /**
   * Lost AppendEntries are resent: a probe at every heartbeat, and a pipeline
   * that made no progress for two heartbeat intervals starts over from matchIndex+1.
   */
  private retryStalled(peer: NodeId, pr: Progress): void {
    pr.stalled = pr.matchIndex < this.log.lastIndex() ? pr.stalled + 1 : 0
    if (pr.state === 'replicate' && pr.stalled >= 2) this.becomeProbe(pr, pr.matchIndex + 1)
    if (pr.state === 'probe') pr.probeSent = false
    this.sendAppends(peer)
  }

  private becomeProbe(pr: Progress, nextIndex: number): void {
    pr.state = 'probe'
    pr.nextIndex = nextIndex
    pr.probeSent = false
    pr.inflight = []
  }

  /** §5.3: the leader's side of AppendEntries: advance matchIndex, or back up nextIndex and retry. */
  private handleAppendEntriesResponse(m: AppendEntriesResponse): void {
    const pr = this.progress.get(m.from)
    if (pr === undefined) return
    this.acknowledgeRead(m.from, m.readCtx)
    if (!m.success) {
      if (this.backUp(pr, m)) this.sendAppends(m.from)
      return
    }
    if (m.matchIndex > pr.matchIndex) {
      pr.matchIndex = m.matchIndex
      pr.stalled = 0
      if (pr.state === 'probe') {
        pr.state = 'replicate'
        pr.inflight = []
      }
      pr.inflight = pr.inflight.filter((last) => last > m.matchIndex)
      pr.nextIndex = Math.max(pr.nextIndex, m.matchIndex + 1)
      if (this.maybeCommit()) return
      this.sendAppendsAndCommit(m.from, pr)
      return
    } else if (pr.state === 'probe' && m.matchIndex === pr.nextIndex - 1) {
      // The probe matched where the follower already was: start replicating from there.
      pr.state = 'replicate'
    }
    this.sendAppends(m.from)
  }

  /**
   * §5.3: after a rejection, decrement nextIndex, skipping with the follower's
   * conflict hint: past the leader's last entry of conflictTerm if it has one,
   * else to conflictIndex. False for a stale rejection, which is ignored.
   */
  private backUp(pr: Progress, m: AppendEntriesResponse): boolean {
    const rejected = m.matchIndex
    if (rejected < pr.matchIndex) return false
    if (rejected === pr.matchIndex) {
      // It acknowledged this index before and now lacks it: it lost writes that
      // were not durable (no-fsync), or another leader of this term changed its
      // log (forget-vote). Look for the match point again.
      pr.matchIndex = 0
    } else if (pr.state === 'probe' && rejected !== pr.nextIndex - 1) {
      return false
    }
    let next = m.conflictIndex
    if (m.conflictTerm > 0) {
      const last = this.log.lastIndexOfTerm(m.conflictTerm, rejected)
      if (last > 0) next = last + 1
    }
    this.becomeProbe(pr, Math.max(pr.matchIndex + 1, Math.min(next, rejected)))
    return true
  }

  /**
   * §5.4.2: only entries from the leader's current term are committed by
   * counting replicas; earlier ones are then committed indirectly. The leader
   * counts itself only for entries it has persisted.
   */
  private maybeCommit(): boolean {
    const matchIndexes = [this.log.persisted]
    for (const pr of this.progress.values()) matchIndexes.push(pr.matchIndex)
    const n = quorumIndex(matchIndexes)
    if (n <= this.log.commitIndex) return false
    // BUG commit-old-term: commits an older term's entry by counting replicas,
    // which a later leader can still overwrite (Figure 8).
    if (this.log.term(n) !== this.currentTerm && !this.bugs.has('commit-old-term')) return false
    this.commitTo(n)
    for (const [peer, pr] of this.progress) this.sendAppendsAndCommit(peer, pr)
    if (this.log.term(n) === this.currentTerm) this.serveReadsAwaitingCommit()
    return true
  }

  private commitTo(index: number): void {
    const before = this.log.commitIndex
    this.log.commitTo(index)
    if (this.log.commitIndex > before) {
      const commitIndex = this.log.commitIndex
      this.events.push({ kind: 'commit', commitIndex, term: this.log.term(commitIndex) })
    }
  }

  // ---- ReadIndex (§6.4 of the thesis) ----

  /** Record commitIndex as the read index, then confirm leadership with a fresh heartbeat round. */
  private startReadRound(requestId: number): void {
    if (!this.readRoundPending) this.readCtx++
    this.pendingReads.push({ requestId, index: this.log.commitIndex, readCtx: this.readCtx })
    if (this.peers.length === 0) this.serveConfirmedReads()
    else this.readRoundPending = true
  }

  private serveReadsAwaitingCommit(): void {
    const waiting = this.readsAwaitingCommit
    this.readsAwaitingCommit = []
    for (const requestId of waiting) this.startReadRound(requestId)
  }

  private acknowledgeRead(peer: NodeId, readCtx: number): void {
    if (readCtx <= (this.readAcks.get(peer) ?? 0)) return
    this.readAcks.set(peer, readCtx)
    this.serveConfirmedReads()
  }

  /** A read is answered once a majority has answered a heartbeat sent after it was asked. */
  private serveConfirmedReads(): void {
    if (this.pendingReads.length === 0) return
    const acks = [this.readCtx, ...this.peers.map((p) => this.readAcks.get(p) ?? 0)]
    const confirmed = quorumIndex(acks)
    while (this.pendingReads[0] !== undefined && this.pendingReads[0].readCtx <= confirmed) {
      const read = this.pendingReads.shift() as PendingRead
      this.reads.push({ requestId: read.requestId, index: read.index })
    }
  }

  /** A deposed leader cannot confirm its reads: refuse them, pointing at the new leader if known. */
  private refusePendingReads(): void {
    const ids = [...this.readsAwaitingCommit, ...this.pendingReads.map((r) => r.requestId)]
    for (const requestId of ids) this.refusedReads.push({ requestId, leaderHint: this.leader })
    this.pendingReads = []
    this.readsAwaitingCommit = []
    this.readRoundPending = false
  }

  // ---- Helpers ----

  /** §5.1: a request with a stale term is rejected with ours, so its sender learns it is out of date. */
  private replyToStaleTerm(m: RaftMessage): void {
    if (m.type === 'AppendEntries') {
      this.replyAppend(m, false, m.prevLogIndex, 0, 0)
    } else if (m.type === 'RequestVote') {
      this.send({
        type: 'RequestVoteResponse',
        from: this.id,
        to: m.from,
        term: this.currentTerm,
        voteGranted: false,
        preVote: m.preVote
      })
    }
  }

  private send(m: RequestVote | RequestVoteResponse | AppendEntries | AppendEntriesResponse): void {
    this.messages.push(m)
  }

  private emitRole(): void {
    this.events.push({ kind: 'role', role: this.role, term: this.currentTerm, leader: this.leader })
  }

  private hardState(): HardState {
    return { currentTerm: this.currentTerm, votedFor: this.votedFor }
  }
}

function sameHardState(a: HardState, b: HardState): boolean {
  return a.currentTerm === b.currentTerm && a.votedFor === b.votedFor
}
