// `raftlab bench core`: the pure Raft core alone, in one process, with an
// in-memory disk and network: how many commands per second it can replicate,
// commit and apply on every server when nothing else costs anything.
import { performance } from 'node:perf_hooks'
import { EXIT, parseCommandArgs, parseInteger } from './command'
import type { BenchCommand } from './bench'
import {
  createRaftCore,
  KvStore,
  MemoryStorage,
  type RaftCore,
  type RaftMessage
} from '../../shared/raft'
import { seededRng } from '../../shared/rng'

const HELP = `Usage: raftlab bench core [options]

Runs N Raft cores in this process, driven as the node process drives them
(persist → send → apply → advance) with MemoryStorage and an in-memory
network that delivers every message at once. The leader gets BATCH proposals
between two rounds of delivery. Prints commands committed and applied on every
server per second, and messages per second: an upper bound for what the core
can contribute to a real cluster's throughput.

Options:
  --nodes N        cluster size (default 5)
  --commands N     commands to replicate (default 200000)
  --batch N        proposals per round (default 64)
  --json           print one JSON summary as the last line`

interface Server {
  id: string
  core: RaftCore
  storage: MemoryStorage
  kv: KvStore
}

export const coreBench: BenchCommand = {
  name: 'core',
  summary: 'the pure Raft core in one process: commands/s replicated to every server',
  help: HELP,
  async run(argv) {
    const { values } = parseCommandArgs('bench core', argv, {
      nodes: { type: 'string', default: '5' },
      commands: { type: 'string', default: '200000' },
      batch: { type: 'string', default: '64' },
      json: { type: 'boolean', default: false }
    })
    const nodes = parseInteger(values.nodes, '--nodes', 1, 9)
    const commands = parseInteger(values.commands, '--commands', 1, 100_000_000)
    const batch = parseInteger(values.batch, '--batch', 1, 100_000)

    const ids = Array.from({ length: nodes }, (_, i) => `n${i + 1}`)
    const rng = seededRng(1)
    const servers = new Map<string, Server>(
      ids.map((id) => {
        const storage = new MemoryStorage()
        const core = createRaftCore({
          id,
          peers: ids.filter((p) => p !== id),
          config: {
            electionTicks: [15, 30],
            heartbeatTicks: 5,
            preVote: true,
            readMode: 'readindex',
            maxEntriesPerMessage: 256,
            maxInflight: 8,
            bugs: []
          },
          rng,
          storage
        })
        return [id, { id, core, storage, kv: new KvStore() }]
      })
    )
    let messages = 0
    let inFlight: RaftMessage[] = []
    const drain = (): void => {
      for (let busy = true; busy;) {
        busy = false
        for (const s of servers.values()) {
          while (s.core.hasReady()) {
            busy = true
            const rd = s.core.ready()
            s.storage.save(rd)
            inFlight.push(...rd.messages)
            for (const e of rd.committed) s.kv.apply(e)
            s.core.advance(rd)
          }
        }
        const deliver = inFlight
        inFlight = []
        messages += deliver.length
        for (const m of deliver) servers.get(m.to)?.core.step(m)
        if (deliver.length > 0) busy = true
      }
    }

    const leader = servers.get('n1') as Server
    leader.core.campaign()
    drain()
    if (leader.core.status().role !== 'leader') {
      process.stderr.write('bench core: n1 did not become leader\n')
      return EXIT.unknown
    }
    messages = 0
    const base = leader.core.status().lastLogIndex
    const started = performance.now()
    for (let seq = 1; seq <= commands;) {
      for (const end = Math.min(commands, seq + batch - 1); seq <= end; seq++) {
        leader.core.propose({ op: 'put', key: `k${seq % 1000}`, value: 'v', client: 'c', seq })
      }
      drain()
    }
    const elapsedMs = performance.now() - started
    const target = base + commands
    const behind = [...servers.values()].filter((s) => s.core.status().lastApplied !== target)
    if (behind.length > 0) {
      process.stderr.write(
        `bench core: ${behind.map((s) => s.id).join(' ')} did not apply everything\n`
      )
      return EXIT.unknown
    }
    const summary = {
      nodes,
      commands,
      batch,
      elapsedMs: Math.round(elapsedMs),
      commandsPerSecond: Math.round((commands / elapsedMs) * 1000),
      messages,
      messagesPerSecond: Math.round((messages / elapsedMs) * 1000)
    }
    process.stdout.write(
      [
        `core: ${nodes} servers, ${commands} commands in batches of ${batch}`,
        `  ${summary.commandsPerSecond.toLocaleString('en')} commands/s committed and applied on every server`,
        `  ${summary.messagesPerSecond.toLocaleString('en')} messages/s (${messages} messages in ${summary.elapsedMs} ms)`
      ].join('\n') + '\n'
    )
    if (values.json) process.stdout.write(JSON.stringify(summary) + '\n')
    return EXIT.ok
  }
}
