// Bad input on the wire or the command line gets a clear error; the node keeps running.
import { execFile } from 'node:child_process'
import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { MAX_FRAME_BYTES } from '../../../src/shared/protocol'
import { RaftClient } from '../../../src/node/client'
import { Cluster, NODE_ENTRY, SPAWN_ENV, cleanupAll, tempDir, track, waitUntil } from './helpers'

afterEach(cleanupAll)

/** A raw connection that records every frame it receives and whether the node closed it. */
class Raw {
  readonly frames: Record<string, unknown>[] = []
  closed = false
  private readonly socket: net.Socket
  private partial = ''

  constructor(address: string) {
    const [host, port] = address.split(':')
    this.socket = net.connect({ host: host!, port: Number(port) })
    this.socket.setEncoding('utf8')
    this.socket.on('data', (chunk: string) => {
      const lines = (this.partial + chunk).split('\n')
      this.partial = lines.pop()!
      for (const l of lines) if (l) this.frames.push(JSON.parse(l) as Record<string, unknown>)
    })
    this.socket.on('error', () => {})
    this.socket.on('close', () => (this.closed = true))
  }

  send(text: string): void {
    this.socket.write(text)
  }

  frame(f: object): void {
    this.send(JSON.stringify(f) + '\n')
  }

  waitClosed(): Promise<true> {
    return waitUntil('the node to close the connection', () => this.closed, 5000)
  }

  waitFrames(n: number): Promise<true> {
    return waitUntil(`${n} frame(s)`, () => this.frames.length >= n || undefined, 5000)
  }

  destroy(): void {
    this.socket.destroy()
  }
}

async function assertStillServes(cluster: Cluster, key: string): Promise<void> {
  const client = new RaftClient({ addresses: cluster.addresses, timeoutMs: 5000 })
  try {
    expect(await client.put(key, 'v')).toMatchObject({ status: 'ok' })
    expect(await client.get(key)).toMatchObject({ status: 'ok', output: { value: 'v' } })
  } finally {
    client.close()
  }
}

describe('malformed input on the wire', () => {
  it('rejects bad first frames and bad client frames without dying', async () => {
    const cluster = await Cluster.create(1)
    await cluster.startAll()
    await cluster.waitForLeader()
    const address = cluster.addresses[0]!

    const notJson = new Raw(address)
    notJson.send('this is not json\n')
    await notJson.waitClosed()
    expect(notJson.frames[0]).toMatchObject({ type: 'Error', code: 'BAD_REQUEST' })

    const unknownType = new Raw(address)
    unknownType.frame({ type: 'Gossip', hello: 1 })
    await unknownType.waitClosed()
    expect(unknownType.frames[0]).toMatchObject({ type: 'Error', code: 'BAD_REQUEST' })

    const oversized = new Raw(address)
    oversized.send('{"type":"ClientRequest","key":"' + 'x'.repeat(MAX_FRAME_BYTES + 10))
    await oversized.waitClosed()
    expect(oversized.frames[0]).toMatchObject({ type: 'Error', code: 'BAD_REQUEST' })
    expect(String(oversized.frames[0]!.message)).toMatch(/longer than/)

    // A client connection survives bad frames: each gets an answer, the next good one still works.
    const client = new Raw(address)
    client.frame({
      type: 'ClientRequest',
      id: 1,
      op: 'put',
      client: 'c1',
      seq: 1,
      key: 'a',
      value: '1'
    })
    // The get below must start after the put completed, or null would be a correct answer too.
    await client.waitFrames(1)
    client.frame({ type: 'ClientRequest', id: 2, op: 'put', client: 'c1', seq: 2 })
    client.send('{"broken\n')
    client.frame({ type: 'ClientRequest', id: 3, op: 'get', client: 'c1', seq: 3, key: 'a' })
    await client.waitFrames(4)
    const byId = (id: number) => client.frames.find((f) => f.id === id)
    expect(byId(1)).toMatchObject({ ok: true, result: {} })
    expect(byId(2)).toMatchObject({ ok: false, code: 'BAD_REQUEST' })
    expect(client.frames.find((f) => f.type === 'Error')).toMatchObject({ code: 'BAD_REQUEST' })
    expect(byId(3)).toMatchObject({ ok: true, result: { value: '1' } })
    expect(client.closed).toBe(false)
    client.destroy()

    expect(cluster.nodes[0]!.running).toBe(true)
    await assertStillServes(cluster, 'after')
  })

  it('closes peer connections that lie about who they are or send bad messages', async () => {
    const cluster = await Cluster.create(3)
    const n1 = cluster.nodes[0]!
    n1.start()
    await waitUntil('n1 listening', () => n1.events.some((e) => e.kind === 'listening'))

    const cases: [object[], string][] = [
      [[{ type: 'Hello', from: 'n9', to: 'n1' }], 'WRONG_PEER'],
      [[{ type: 'Hello', from: 'n2', to: 'n3' }], 'WRONG_PEER'],
      [[{ type: 'Hello', from: 'n2' }], 'BAD_REQUEST'],
      [
        [
          { type: 'Hello', from: 'n2', to: 'n1' },
          {
            type: 'RequestVote',
            from: 'n3',
            to: 'n1',
            term: 5,
            candidateId: 'n3',
            lastLogIndex: 0,
            lastLogTerm: 0,
            preVote: false
          }
        ],
        'WRONG_PEER'
      ],
      [
        [
          { type: 'Hello', from: 'n2', to: 'n1' },
          { type: 'AppendEntries', from: 'n2', to: 'n1' }
        ],
        'BAD_REQUEST'
      ],
      [
        [
          { type: 'Hello', from: 'n2', to: 'n1' },
          { type: 'Nonsense', from: 'n2', to: 'n1', term: 1 }
        ],
        'BAD_REQUEST'
      ]
    ]
    for (const [frames, code] of cases) {
      const raw = new Raw(n1.address)
      for (const f of frames) raw.frame(f)
      await raw.waitClosed()
      expect(raw.frames[0], JSON.stringify(frames)).toMatchObject({ type: 'Error', code })
    }
    // A well-behaved peer is accepted and its messages reach the core: a RequestVote in term 7 is answered.
    const peer = new Raw(n1.address)
    peer.frame({ type: 'Hello', from: 'n2', to: 'n1' })
    peer.frame({
      type: 'RequestVote',
      from: 'n2',
      to: 'n1',
      term: 7,
      candidateId: 'n2',
      lastLogIndex: 0,
      lastLogTerm: 0,
      preVote: false
    })
    await waitUntil('n1 votes in term 7', () =>
      n1.events.find((e) => e.kind === 'vote' && e.term === 7 && e.candidate === 'n2')
    )
    expect(peer.closed).toBe(false)
    peer.destroy()
    expect(n1.running).toBe(true)
  })
})

describe('bad command lines', () => {
  function runNode(args: string[]): Promise<{ code: number | null; stderr: string }> {
    return new Promise((resolve) => {
      const child = execFile(
        process.execPath,
        [NODE_ENTRY, ...args],
        { env: SPAWN_ENV },
        (err, _out, stderr) => {
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stderr })
        }
      )
      track(child)
    })
  }

  it('exits 2 with a message that names the problem', async () => {
    const dir = tempDir()
    const cases: [string[], RegExp][] = [
      [['--id', 'n1', '--listen', '127.0.0.1:0'], /--dir DATA_DIR is required/],
      [
        ['--id', 'n1', '--dir', dir, '--listen', '0.0.0.0:0'],
        /only 127\.0\.0\.1 is allowed unless --allow-remote/
      ],
      [
        ['--id', 'n1', '--dir', dir, '--listen', '127.0.0.1:0', '--bug', 'nope'],
        /unknown bug "nope"/
      ],
      [
        ['--id', 'n1', '--dir', dir, '--listen', '127.0.0.1:0', '--peers', 'n2=localhost'],
        /--peers n2: "localhost" is not HOST:PORT/
      ],
      [
        ['--id', 'n1', '--dir', dir, '--listen', '127.0.0.1:0', '--election-timeout', '300-150'],
        /--election-timeout/
      ],
      [
        ['--id', 'n1', '--dir', dir, '--listen', '127.0.0.1:0', '--fsync', 'sometimes'],
        /--fsync: "sometimes"/
      ],
      [
        ['--id', 'n1', '--dir', dir, '--listen', '127.0.0.1:0', '--frobnicate'],
        /Unknown option '--frobnicate'/
      ]
    ]
    for (const [args, message] of cases) {
      const result = await runNode(args)
      expect(result.code, args.join(' ')).toBe(2)
      expect(result.stderr).toMatch(message)
    }
  })
})
