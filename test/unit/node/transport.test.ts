// The peer transport on real sockets: Hello first, reconnect with backoff, and a
// bounded queue that drops the oldest messages while a peer is unreachable.
import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import type { RaftMessage } from '../../../src/shared/raft/types'
import { PeerTransport } from '../../../src/node/transport'

const cleanups: (() => void)[] = []
afterEach(() => {
  for (const c of cleanups.splice(0)) c()
})

async function freePort(): Promise<number> {
  const s = net.createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const port = (s.address() as net.AddressInfo).port
  await new Promise((r) => s.close(r))
  return port
}

function heartbeat(term: number): RaftMessage {
  return {
    type: 'AppendEntries',
    from: 'n1',
    to: 'n2',
    term,
    leaderId: 'n1',
    prevLogIndex: 0,
    prevLogTerm: 0,
    entries: [],
    leaderCommit: 0,
    readCtx: 0
  }
}

describe('PeerTransport', () => {
  it('queues at most queueLimit messages for an unreachable peer, then delivers the newest after reconnecting', async () => {
    const port = await freePort()
    const logs: string[] = []
    const transport = new PeerTransport({
      id: 'n1',
      peers: new Map([['n2', { host: '127.0.0.1', port }]]),
      onMessage: () => {},
      log: (t) => logs.push(t),
      queueLimit: 100
    })
    cleanups.push(() => transport.stop())
    transport.start()
    transport.send(Array.from({ length: 250 }, (_, i) => heartbeat(i + 1)))
    expect(transport.droppedCounts()).toEqual({ n2: 150 })

    // The peer comes up later: the link reconnects on its own.
    const received: Record<string, unknown>[] = []
    const server = net.createServer((socket) => {
      let partial = ''
      socket.setEncoding('utf8')
      socket.on('data', (chunk: string) => {
        const lines = (partial + chunk).split('\n')
        partial = lines.pop()!
        for (const l of lines) received.push(JSON.parse(l) as Record<string, unknown>)
      })
    })
    cleanups.push(() => server.close())
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
    const deadline = Date.now() + 10_000
    while (received.length < 101 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20))
    expect(received[0]).toEqual({ type: 'Hello', from: 'n1', to: 'n2' })
    expect(received.slice(1).map((m) => m.term)).toEqual(
      Array.from({ length: 100 }, (_, i) => 151 + i)
    )
  })
})
