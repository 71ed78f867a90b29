// `raftlab node` command line: parsed here so the CLI and the node entry
// (out/main/node.js) run the same code.
import { parseArgs } from 'node:util'
import { TEACHING_BUGS, type TeachingBug } from '../shared/raft/types'
import { fsyncModeSchema } from '../shared/config'
import type { NodeOptions } from './node'
import type { PeerAddress } from './transport'

export const NODE_HELP = `Usage: raftlab node --id ID --dir DATA_DIR --listen HOST:PORT --peers ID=HOST:PORT,... [options]

Runs one Raft node: its log in DATA_DIR, peers and clients on one TCP port.
Events go to stdout (one JSON per line), logs to stderr. Protocol: docs/node-protocol.md.

Options:
  --id ID                   this node's id (e.g. n1)
  --dir DATA_DIR            where the write-ahead log lives (created if missing; docs/wal-format.md)
  --listen HOST:PORT        address to serve peers and clients; port 0 picks a free port
                            (the "listening" event tells it). Only 127.0.0.1 unless --allow-remote
  --peers ID=HOST:PORT,...  every other node of the cluster (empty for a single node)
  --election-timeout LO-HI  election timeout range in ms (default 150-300)
  --heartbeat MS            leader heartbeat interval in ms (default 50)
  --fsync MODE              always (default): fsync before acknowledging, with group commit
                            batch: fsync at most every 5 ms; acknowledgements still wait for it
                            never: UNSAFE, no fsync at all (power loss loses acknowledged writes)
  --read-mode MODE          readindex (default): reads confirmed by a heartbeat round; log: reads go
                            through the log
  --prevote on|off          pre-vote before elections (default on)
  --bug NAME                a teaching bug: ${TEACHING_BUGS.join(', ')}
  --seed N                  seed of the election timer randomness (default: random)
  --request-timeout MS      a client request not answered in time gets TIMEOUT (default 2000)
  --wal-segment-bytes N     roll over to a new WAL segment at this size (default 64 MiB)
  --exit-with-parent        exit when stdin closes (so the node never outlives the lab)
  --allow-remote            allow --listen on an address other than 127.0.0.1

Stdin takes control commands, one JSON per line: {"type":"campaign"}, {"type":"status"}.
SIGTERM or SIGINT: clean exit (0). A corrupt log: a node-error event and exit 1.`

export class NodeArgsError extends Error {}

function hostPort(text: string, what: string): PeerAddress {
  const m = /^(.+):(\d{1,5})$/.exec(text)
  const port = m ? Number(m[2]) : NaN
  if (!m || port > 65535) throw new NodeArgsError(`${what}: "${text}" is not HOST:PORT`)
  return { host: m[1]!, port }
}

function integer(text: string, what: string, min: number, max: number): number {
  const n = Number(text)
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new NodeArgsError(`${what}: "${text}" must be a whole number from ${min} to ${max}`)
  }
  return n
}

function onOff(text: string, what: string): boolean {
  if (text !== 'on' && text !== 'off')
    throw new NodeArgsError(`${what}: "${text}" must be on or off`)
  return text === 'on'
}

export function parseNodeArgs(argv: string[]): NodeOptions {
  let values
  try {
    ;({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        id: { type: 'string' },
        dir: { type: 'string' },
        listen: { type: 'string' },
        peers: { type: 'string', default: '' },
        'election-timeout': { type: 'string', default: '150-300' },
        heartbeat: { type: 'string', default: '50' },
        fsync: { type: 'string', default: 'always' },
        'read-mode': { type: 'string', default: 'readindex' },
        prevote: { type: 'string', default: 'on' },
        bug: { type: 'string', multiple: true, default: [] },
        seed: { type: 'string' },
        'request-timeout': { type: 'string', default: '2000' },
        'wal-segment-bytes': { type: 'string' },
        'exit-with-parent': { type: 'boolean', default: false },
        'allow-remote': { type: 'boolean', default: false }
      }
    }))
  } catch (err) {
    throw new NodeArgsError((err as Error).message)
  }
  const id = values.id
  if (!id || !/^[A-Za-z0-9_.-]{1,64}$/.test(id)) {
    throw new NodeArgsError('--id is required: letters, digits, "_", "." or "-" (at most 64)')
  }
  if (!values.dir) throw new NodeArgsError('--dir DATA_DIR is required')
  if (!values.listen) throw new NodeArgsError('--listen HOST:PORT is required (port 0 for any)')
  const listen = hostPort(values.listen, '--listen')
  if (listen.host !== '127.0.0.1' && !values['allow-remote']) {
    throw new NodeArgsError(
      `--listen ${values.listen}: only 127.0.0.1 is allowed unless --allow-remote is given`
    )
  }
  const peers = new Map<string, PeerAddress>()
  for (const item of values.peers.split(',').filter((s) => s.trim() !== '')) {
    const eq = item.indexOf('=')
    const peerId = item.slice(0, eq).trim()
    if (eq <= 0) throw new NodeArgsError(`--peers: "${item}" is not ID=HOST:PORT`)
    if (peerId === id) throw new NodeArgsError(`--peers: ${id} is this node itself`)
    if (peers.has(peerId)) throw new NodeArgsError(`--peers: ${peerId} is listed twice`)
    const address = hostPort(item.slice(eq + 1).trim(), `--peers ${peerId}`)
    if (address.port === 0) throw new NodeArgsError(`--peers ${peerId}: port 0 is not an address`)
    peers.set(peerId, address)
  }
  const range = /^(\d+)-(\d+)$/.exec(values['election-timeout'])
  const lo = range ? Number(range[1]) : NaN
  const hi = range ? Number(range[2]) : NaN
  if (!range || lo < 1 || lo > hi) {
    throw new NodeArgsError(
      `--election-timeout: "${values['election-timeout']}" must be LO-HI in ms with 1 <= LO <= HI`
    )
  }
  const fsync = fsyncModeSchema.safeParse(values.fsync)
  if (!fsync.success)
    throw new NodeArgsError(`--fsync: "${values.fsync}" must be always, batch or never`)
  const readMode = values['read-mode']
  if (readMode !== 'readindex' && readMode !== 'log') {
    throw new NodeArgsError(`--read-mode: "${readMode}" must be readindex or log`)
  }
  const bugs: TeachingBug[] = []
  for (const bug of values.bug) {
    if (!(TEACHING_BUGS as readonly string[]).includes(bug)) {
      throw new NodeArgsError(`--bug: unknown bug "${bug}" (known: ${TEACHING_BUGS.join(', ')})`)
    }
    bugs.push(bug as TeachingBug)
  }
  return {
    id,
    dir: values.dir,
    host: listen.host,
    port: listen.port,
    peers,
    electionTimeoutMs: [lo, hi],
    heartbeatMs: integer(values.heartbeat, '--heartbeat', 1, 60_000),
    fsync: fsync.data,
    readMode,
    preVote: onOff(values.prevote, '--prevote'),
    bugs,
    seed:
      values.seed === undefined
        ? Math.floor(Math.random() * 2 ** 31)
        : integer(values.seed, '--seed', 0, 2 ** 31 - 1),
    exitWithParent: values['exit-with-parent'],
    segmentBytes:
      values['wal-segment-bytes'] === undefined
        ? undefined
        : integer(values['wal-segment-bytes'], '--wal-segment-bytes', 1024, 2 ** 31 - 1),
    requestTimeoutMs: integer(values['request-timeout'], '--request-timeout', 1, 600_000)
  }
}
