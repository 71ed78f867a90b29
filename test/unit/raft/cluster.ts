// An in-test network of Raft cores over MemoryStorage, driven exactly as the
// node process and the simulator drive them (persist → send → apply → advance),
// with messages held in flight until a command delivers or drops them.

import {
  createRaftCore,
  KvStore,
  MemoryStorage,
  type ClientCommand,
  type CoreEvent,
  type Entry,
  type NodeId,
  type RaftConfig,
  type RaftCore,
  type RaftMessage
} from '../../../src/shared/raft'
import { seededRng } from '../../../src/shared/rng'

interface Node {
  id: NodeId
  storage: MemoryStorage
  core: RaftCore | null
  kv: KvStore
}

export class Cluster {
  readonly nodes = new Map<NodeId, Node>()
  /** Messages sent and not yet delivered or dropped, in send order. */
  inFlight: RaftMessage[] = []
  /** Groups of a partition; nodes in different groups cannot talk. Empty = fully connected. */
  private groups: NodeId[][] = []
  private readonly rng: () => number
  private lines: string[] = []
  /** What any node applied at each index, and who led each term: to check Figure 3's properties. */
  private readonly appliedAt = new Map<number, { term: number; node: NodeId }>()
  private readonly leaderOf = new Map<number, NodeId>()
  readonly violations: string[] = []

  constructor(
    size: number,
    readonly config: RaftConfig,
    seed: number
  ) {
    this.rng = seededRng(seed)
    for (let i = 1; i <= size; i++) {
      const id = `n${i}`
      this.nodes.set(id, { id, storage: new MemoryStorage(), core: null, kv: new KvStore() })
    }
    for (const id of this.nodes.keys()) this.boot(id)
  }

  ids(): NodeId[] {
    return [...this.nodes.keys()]
  }

  node(id: NodeId): Node {
    const n = this.nodes.get(id)
    if (n === undefined) throw new Error(`no node ${id} (nodes: ${this.ids().join(' ')})`)
    return n
  }

  core(id: NodeId): RaftCore {
    const core = this.node(id).core
    if (core === null) throw new Error(`${id} is crashed: restart it first`)
    return core
  }

  /** Start (or restart) a node from what its disk holds. */
  boot(id: NodeId): void {
    const n = this.node(id)
    n.kv = new KvStore()
    n.core = createRaftCore({
      id,
      peers: this.ids().filter((p) => p !== id),
      config: this.config,
      rng: this.rng,
      storage: n.storage
    })
  }

  /** Replace a node's disk (a log with the given terms and a hard state), then restart it. */
  setDisk(id: NodeId, terms: number[], currentTerm: number, votedFor: NodeId | null): void {
    const entries: Entry[] = terms.map((term, i) => ({
      index: i + 1,
      term,
      command: { op: 'put', key: 'x', value: `${i + 1}.${term}`, client: 'setup', seq: i + 1 }
    }))
    this.node(id).storage = new MemoryStorage({ hardState: { currentTerm, votedFor }, entries })
    this.boot(id)
  }

  crash(id: NodeId): void {
    const n = this.node(id)
    n.core = null
    n.storage.crash()
  }

  partition(groups: NodeId[][]): void {
    this.groups = groups
  }

  heal(): void {
    this.groups = []
  }

  connected(from: NodeId, to: NodeId): boolean {
    if (this.groups.length === 0) return true
    return this.groups.some((g) => g.includes(from) && g.includes(to))
  }

  propose(id: NodeId, command: ClientCommand): void {
    const r = this.core(id).propose(command)
    this.say(
      r.ok
        ? `${id} appended index=${r.index} term=${r.term}`
        : `${id} refused proposal, leader=${r.leaderHint ?? 'unknown'}`
    )
  }

  /** Run every live node's Ready loop until none has anything to hand out. */
  process(): void {
    for (let busy = true; busy;) {
      busy = false
      for (const n of this.nodes.values()) {
        const core = n.core
        if (core === null || !core.hasReady()) continue
        busy = true
        const rd = core.ready()
        n.storage.save(rd) // 1. persist
        this.inFlight.push(...rd.messages) // 2. send
        for (const e of rd.committed) this.apply(n, e) // 3. apply
        for (const ev of rd.events) {
          this.check(n.id, ev)
          this.narrate(n.id, ev)
        }
        for (const r of rd.reads) this.say(`${n.id} read #${r.requestId} ok index=${r.index}`)
        for (const r of rd.refusedReads) {
          this.say(`${n.id} read #${r.requestId} refused, leader=${r.leaderHint ?? 'unknown'}`)
        }
        core.advance(rd) // 4. advance
      }
    }
  }

  /**
   * Deliver the in-flight messages that `match`, once each; messages across a
   * partition or to a crashed node are lost. Returns how many were in flight.
   */
  deliver(match: (m: RaftMessage) => boolean = () => true): number {
    this.process()
    const batch = this.inFlight.filter(match)
    this.inFlight = this.inFlight.filter((m) => !match(m))
    for (const m of batch) {
      const core = this.nodes.get(m.to)?.core
      if (core && this.connected(m.from, m.to)) core.step(m)
    }
    this.process()
    return batch.length
  }

  /** Deliver matching messages, and the ones they cause, until none is left. */
  stabilize(match: (m: RaftMessage) => boolean = () => true): void {
    for (let round = 0; this.deliver(match) > 0; round++) {
      if (round > 10_000) throw new Error('messages still flow after 10000 rounds: a livelock')
    }
  }

  drop(match: (m: RaftMessage) => boolean): number {
    const before = this.inFlight.length
    this.inFlight = this.inFlight.filter((m) => !match(m))
    return before - this.inFlight.length
  }

  /** Advance the clocks of the live nodes among `ids` by one tick, then deliver everything. */
  tick(ids: NodeId[]): void {
    for (const id of ids) this.node(id).core?.tick()
    this.stabilize()
  }

  private apply(n: Node, e: Entry): void {
    const first = this.appliedAt.get(e.index)
    if (first === undefined) this.appliedAt.set(e.index, { term: e.term, node: n.id })
    else if (first.term !== e.term) {
      this.violations.push(
        `State Machine Safety: ${first.node} applied index ${e.index} of term ${first.term}, ${n.id} of term ${e.term}`
      )
    }
    n.kv.apply(e)
  }

  private check(id: NodeId, ev: CoreEvent): void {
    if (ev.kind !== 'role' || ev.role !== 'leader') return
    const other = this.leaderOf.get(ev.term)
    if (other !== undefined && other !== id) {
      this.violations.push(`Election Safety: ${other} and ${id} both lead term ${ev.term}`)
    }
    this.leaderOf.set(ev.term, id)
  }

  /** Output collected since the last call. */
  take(): string[] {
    const out = this.lines
    this.lines = []
    return out
  }

  say(line: string): void {
    this.lines.push(line)
  }

  /** The trace-worthy events, in words; timer resets and appends are left out as noise. */
  private narrate(id: NodeId, ev: CoreEvent): void {
    switch (ev.kind) {
      case 'role':
        this.say(
          `${id} is ${ev.role} term=${ev.term}` +
            (ev.role === 'follower' && ev.leader ? ` leader=${ev.leader}` : '')
        )
        return
      case 'vote': {
        const what = ev.preVote ? 'pre-vote' : 'vote'
        this.say(
          `${id} ${ev.granted ? 'grants' : 'denies'} ${what} to ${ev.candidate} term=${ev.term}`
        )
        return
      }
      case 'truncate':
        this.say(`${id} truncates its log from index ${ev.fromIndex}`)
        return
      case 'commit':
        this.say(`${id} commits up to index ${ev.commitIndex} (term ${ev.term})`)
        return
      case 'append':
      case 'timer':
        return
    }
  }
}
