// Data-driven scenarios (testdata/*.txt) in etcd-io/raft's style. Each file
// tells a story from the paper; `UPDATE=1 npx vitest run --project unit
// test/unit/raft` rewrites the expected outputs, to be reviewed as a diff.
//
// Commands (nodes are n1..nN; a block prints the events its commands caused):
//   start N [preVote=false] [election=10-20] [heartbeat=3] [maxEntries=64]
//           [maxInflight=4] [bugs=a,b] [seed=1]     a new cluster, all followers
//   disk ID [term=T] [vote=ID] [log=1,1,2]           replace a disk, restart from it
//   elect ID                 campaign and deliver everything; prints only the outcome
//   campaign ID...           the election timer fires now
//   tick [N] [ID...]         N ticks of all (or the listed) clocks, delivering everything after each
//   deliver [F->T...]        deliver the in-flight messages that match, once (* = any node)
//   stabilize [F->T...]      deliver matching messages and those they cause until none is left
//   drop [first] [F->T...]   lose matching in-flight messages (or only the oldest)
//   msgs                     list in-flight messages
//   propose ID|leader put k=v | get k | cas k=from->to   ("-" = absent)
//   read ID                  a ReadIndex read
//   partition A B | C D      links across groups lose every message; heal: reconnect
//   crash ID... / restart ID...   lose unsynced writes / start from what the disk holds
//   status [ID...] / log [ID...] / kv [ID...]

import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  TEACHING_BUGS,
  type ClientCommand,
  type RaftConfig,
  type RaftMessage,
  type TeachingBug
} from '../../../src/shared/raft'
import { Cluster } from './cluster'
import { parseTestFile } from './datadriven'

const dir = join(import.meta.dirname, 'testdata')
const update = process.env.UPDATE === '1'

describe('raft scenarios', () => {
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.txt'))
    .sort()) {
    it(file, () => {
      const path = join(dir, file)
      const parsed = parseTestFile(readFileSync(path, 'utf8'), file)
      const runner = new Runner()
      const outputs = parsed.cases.map((c) => {
        try {
          const lines = c.commands.flatMap((cmd) => runner.run(cmd))
          return lines.length > 0 ? lines.join('\n') : 'ok'
        } catch (e) {
          throw new Error(`${file}:${c.line}: ${(e as Error).message}`)
        }
      })
      if (update) {
        writeFileSync(path, parsed.rewrite(outputs))
        return
      }
      parsed.cases.forEach((c, k) => {
        expect(outputs[k], `${file}:${c.line}: ${c.commands.join(' / ')}`).toBe(c.expected)
      })
    })
  }
})

class Runner {
  private cluster: Cluster | null = null
  private seq = 0
  private requestId = 0

  /** Runs one command line; returns the events it caused and what it printed. */
  run(line: string): string[] {
    const [cmd, ...args] = line.trim().split(/\s+/)
    if (cmd === 'start') {
      this.cluster = start(args)
      this.cluster.process()
      this.cluster.take()
      return []
    }
    const c = this.cluster
    if (c === null) throw new Error('start a cluster first')
    const extra = this.command(c, cmd ?? '', args)
    // Proposals and reads wait for the next command that runs the Ready loop, so
    // several of them in a row go out together (as between two Readys of a driver).
    if (cmd !== 'propose' && cmd !== 'read') c.process()
    return [...c.take(), ...extra]
  }

  /** Runs one command; returns lines to print after the events it caused. */
  private command(c: Cluster, cmd: string, args: string[]): string[] {
    switch (cmd) {
      case 'disk': {
        // disk n1 term=3 vote=n2 log=1,1,2
        const [id, ...kv] = args
        const o = options(kv)
        const terms = o.log ? o.log.split(',').map(Number) : []
        c.setDisk(
          need(id, 'node'),
          terms,
          Number(o.term ?? terms[terms.length - 1] ?? 0),
          o.vote ?? null
        )
        c.process()
        c.take()
        return []
      }
      case 'campaign':
        for (const id of args) c.core(id).campaign()
        return []
      case 'elect': {
        // Campaign and deliver everything, printing only the outcome (for setup).
        const id = need(args[0], 'node')
        c.core(id).campaign()
        c.stabilize()
        c.take()
        return [status(c, id)]
      }
      case 'tick': {
        // tick N [ids]: advance the clocks of all (or only the listed) nodes N times
        const [n, ...ids] = args
        for (let i = 0; i < Number(n ?? 1); i++) c.tick(ids.length > 0 ? ids : c.ids())
        return []
      }
      case 'stabilize':
        c.stabilize(matcher(args))
        return []
      case 'deliver':
        c.deliver(matcher(args))
        return []
      case 'drop': {
        // drop [first] filters: lose the matching in-flight messages (or only the oldest)
        if (args[0] !== 'first') return [`dropped ${c.drop(matcher(args))}`]
        const match = matcher(args.slice(1))
        const i = c.inFlight.findIndex(match)
        if (i < 0) throw new Error('drop first: no such message in flight')
        return [`dropped ${show(c.inFlight.splice(i, 1)[0] as RaftMessage)}`]
      }
      case 'msgs':
        c.process()
        return c.inFlight.map(show)
      case 'propose':
        c.propose(nodeArg(c, args[0]), this.clientCommand(args.slice(1)))
        return []
      case 'read':
        c.core(need(args[0], 'node')).readIndex(++this.requestId)
        return []
      case 'partition':
        c.partition(
          args
            .join(' ')
            .split('|')
            .map((g) => g.trim().split(/\s+/))
        )
        return []
      case 'heal':
        c.heal()
        return []
      case 'crash':
        for (const id of args) c.crash(id)
        return []
      case 'restart':
        for (const id of args) c.boot(id)
        c.process()
        c.take()
        return []
      case 'status':
        return pick(c, args).map((id) => status(c, id))
      case 'log':
        return pick(c, args).map((id) => {
          const n = c.node(id)
          const terms = n.storage
            .current()
            .entries.map((e) => e.term)
            .join(' ')
          const commit = n.core ? ` (commit=${n.core.status().commitIndex})` : ' (crashed)'
          return `${id}: ${terms || '(empty)'}${commit}`
        })
      case 'kv':
        return pick(c, args).map((id) => {
          const table = Object.entries(c.node(id).kv.snapshot())
          return `${id}: ${table.map(([k, v]) => `${k}=${v}`).join(' ') || '(empty)'}`
        })
      default:
        throw new Error(`unknown command "${cmd}"`)
    }
  }

  /** put x=1 | get x | cas x=1->2 (use "-" for an absent key) */
  private clientCommand(args: string[]): ClientCommand {
    const [op, arg] = args
    const seq = ++this.seq
    const client = 'c'
    if (op === 'put' && arg?.includes('=')) {
      const [key, value] = arg.split('=') as [string, string]
      return { op, key, value, client, seq }
    }
    if (op === 'get' && arg) return { op, key: arg, client, seq }
    const m = arg ? /^(\w+)=(.*)->(.*)$/.exec(arg) : null
    if (op === 'cas' && m) {
      const [, key, from, to] = m as unknown as [string, string, string, string]
      return { op, key, from: from === '-' ? null : from, to, client, seq }
    }
    throw new Error(`bad proposal "${args.join(' ')}": use put k=v, get k or cas k=from->to`)
  }
}

function start(args: string[]): Cluster {
  const [size, ...rest] = args
  const o = options(rest)
  const [lo, hi] = (o.election ?? '10-20').split('-').map(Number) as [number, number]
  const bugs = (o.bugs ? o.bugs.split(',') : []) as TeachingBug[]
  for (const b of bugs) if (!TEACHING_BUGS.includes(b)) throw new Error(`unknown bug "${b}"`)
  const config: RaftConfig = {
    electionTicks: [lo, hi],
    heartbeatTicks: Number(o.heartbeat ?? 3),
    preVote: o.preVote !== 'false',
    readMode: 'readindex',
    maxEntriesPerMessage: Number(o.maxEntries ?? 64),
    maxInflight: Number(o.maxInflight ?? 4),
    bugs
  }
  return new Cluster(Number(size), config, Number(o.seed ?? 1))
}

function options(args: string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const a of args) {
    const eq = a.indexOf('=')
    if (eq < 0) throw new Error(`expected key=value, got "${a}"`)
    out[a.slice(0, eq)] = a.slice(eq + 1)
  }
  return out
}

function need(v: string | undefined, what: string): string {
  if (v === undefined) throw new Error(`missing ${what}`)
  return v
}

/** A node id, or `leader`: the live leader of the highest term. */
function nodeArg(c: Cluster, arg: string | undefined): string {
  if (arg !== 'leader') return need(arg, 'node')
  const leaders = c
    .ids()
    .flatMap((id) => {
      const s = c.node(id).core?.status()
      return s?.role === 'leader' ? [s] : []
    })
    .sort((a, b) => b.currentTerm - a.currentTerm)
  return need(leaders[0]?.id, 'a leader (none is live)')
}

function pick(c: Cluster, args: string[]): string[] {
  return args.length > 0 ? args : c.ids()
}

/** Filters like n1->n2, n1->*, *->n3; none = every message. */
function matcher(args: string[]): (m: RaftMessage) => boolean {
  if (args.length === 0) return () => true
  const pairs = args.map((a) => {
    const [from, to] = a.split('->')
    if (!from || !to) throw new Error(`bad message filter "${a}": use from->to, * for any`)
    return [from, to] as const
  })
  return (m) => pairs.some(([f, t]) => (f === '*' || f === m.from) && (t === '*' || t === m.to))
}

function show(m: RaftMessage): string {
  const head = `${m.from}->${m.to} ${m.type} term=${m.term}`
  switch (m.type) {
    case 'RequestVote':
      return `${head}${m.preVote ? ' pre' : ''} last=${m.lastLogIndex}/${m.lastLogTerm}`
    case 'RequestVoteResponse':
      return `${head}${m.preVote ? ' pre' : ''} ${m.voteGranted ? 'granted' : 'denied'}`
    case 'AppendEntries':
      return `${head} prev=${m.prevLogIndex}/${m.prevLogTerm} entries=[${m.entries.map((e) => `${e.index}/${e.term}`).join(' ')}] commit=${m.leaderCommit}`
    case 'AppendEntriesResponse':
      return m.success
        ? `${head} ok match=${m.matchIndex}`
        : `${head} reject prev=${m.matchIndex} conflict=${m.conflictIndex}/${m.conflictTerm}`
  }
}

function status(c: Cluster, id: string): string {
  const core = c.node(id).core
  if (core === null) return `${id} crashed`
  const s = core.status()
  return `${id} ${s.role} term=${s.currentTerm} vote=${s.votedFor ?? '-'} commit=${s.commitIndex} applied=${s.lastApplied} last=${s.lastLogIndex}/${s.lastLogTerm}`
}
