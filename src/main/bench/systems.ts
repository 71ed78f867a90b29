// The systems a bench compares, behind one small interface: Raft Lab (lab or
// direct mode) and etcd. Each opens clients that put; the bench times them.
import type { Cleanup } from './cleanup'
import { EtcdCluster } from './etcd'
import { BenchRaftCluster, MODE_LABEL, type BenchClient, type RaftMode } from './raft-cluster'

export type SystemName = RaftMode | 'etcd'

export const SYSTEM_LABEL: Record<SystemName, string> = { ...MODE_LABEL, etcd: 'etcd 3.4' }

export interface RunningSystem {
  name: SystemName
  /** The current leader, found however the system reports it. */
  leader(): Promise<string | undefined>
  /** Alive members (crashed ones excluded). */
  members(): string[]
  /** A putting client; `onlyVia` restricts it to one member (etcd forwards to the leader). */
  client(name: string, timeoutMs: number, onlyVia?: string): BenchClient
  crash(member: string): Promise<void>
  restart(member: string): Promise<void>
  /**
   * performance.now() of the first leader election seen after `t`, where the system
   * reports elections as events (Raft Lab's role events); null otherwise.
   */
  firstLeaderAfter(t: number): number | null
  /** PIDs of the server processes (nodes or etcd members) running now. */
  serverPids(): number[]
  /** Bytes of trace recorded so far: the observer's output (lab mode only). */
  traceBytes(): Promise<number | null>
  stop(): Promise<void>
}

export interface SystemOptions {
  nodes: number
  electionTimeoutMs: [number, number]
  heartbeatMs: number
  cleanup: Cleanup
  log: (line: string) => void
}

export async function startSystem(name: SystemName, o: SystemOptions): Promise<RunningSystem> {
  if (name === 'etcd') return startEtcd(o)
  const { cluster } = await BenchRaftCluster.start({
    mode: name,
    nodes: o.nodes,
    electionTimeoutMs: o.electionTimeoutMs,
    heartbeatMs: o.heartbeatMs
  })
  o.cleanup.add(() => cluster.stop())
  const crashed = new Set<string>()
  const elections: number[] = []
  cluster.onRole((change) => {
    if (change.role !== 'leader') return
    elections.push(change.at)
    // Only recent ones are ever asked for: keep memory bounded on long runs.
    if (elections.length > 1000) elections.shift()
  })
  await cluster.waitForLeader(15_000)
  return {
    name,
    leader: () => Promise.resolve(cluster.leader() ?? undefined),
    members: () => cluster.ids.filter((id) => !crashed.has(id)),
    client: (clientName, timeoutMs) => cluster.client(clientName, timeoutMs),
    crash: async (id) => {
      crashed.add(id)
      await cluster.crash(id)
    },
    restart: async (id) => {
      await cluster.restart(id)
      crashed.delete(id)
    },
    firstLeaderAfter: (t) => elections.find((at) => at > t) ?? null,
    traceBytes: () => cluster.traceBytes(),
    serverPids: () => cluster.pids(),
    stop: () => cluster.stop()
  }
}

async function startEtcd(o: SystemOptions): Promise<RunningSystem> {
  const heartbeat = EtcdCluster.heartbeatFor(o.electionTimeoutMs[0], o.heartbeatMs)
  if (heartbeat !== o.heartbeatMs) {
    o.log(
      `etcd: --heartbeat-interval ${heartbeat} ms (etcd requires an election timeout of at least 5 heartbeats; ` +
        `Raft Lab uses ${o.heartbeatMs} ms)`
    )
  }
  // etcd picks its election timeout in [t, 2t): t = the lower bound gives the same range.
  const cluster = await EtcdCluster.start({
    members: o.nodes,
    electionTimeoutMs: o.electionTimeoutMs[0],
    heartbeatMs: o.heartbeatMs,
    cleanup: o.cleanup,
    log: o.log
  })
  const crashed = new Set<string>()
  let rr = 0
  return {
    name: 'etcd',
    leader: () => cluster.leader(),
    members: () => cluster.names.filter((n) => !crashed.has(n)),
    client: (_clientName, timeoutMs, onlyVia) => {
      const alive = cluster.names.filter((n) => !crashed.has(n))
      const via = onlyVia ?? alive[rr++ % alive.length]!
      return {
        put: async (key, value) => {
          try {
            // Looked up per call: a killed member's client is closed, its restart gets a new one.
            await cluster
              .clientFor(via)
              .put(key)
              .value(value)
              .options({ deadline: Date.now() + timeoutMs })
            return true
          } catch {
            return false
          }
        },
        // The member's client is shared and closed with the cluster.
        close: () => undefined
      }
    },
    crash: async (name) => {
      crashed.add(name)
      await cluster.kill(name)
    },
    restart: async (name) => {
      cluster.restart(name)
      crashed.delete(name)
      await cluster.waitForLeader(15_000)
    },
    firstLeaderAfter: () => null,
    traceBytes: () => Promise.resolve(null),
    serverPids: () => cluster.pids(),
    stop: () => cluster.stop()
  }
}
