// The client library against scripted fake nodes on real sockets: it follows
// leader hints, retries with the same seq, and tells ok / fail / unknown apart.
import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { ClientConnections, RaftClient } from '../../../src/node/client'

type Request = { id: number; client: string; seq: number; op: string }
type Script = (req: Request, attempt: number) => object | null

const servers: net.Server[] = []
const clients: RaftClient[] = []
afterEach(() => {
  for (const c of clients) c.close()
  for (const s of servers) s.close()
  clients.length = 0
  servers.length = 0
})

function track(client: RaftClient): RaftClient {
  clients.push(client)
  return client
}

interface FakeNode {
  address: string
  seen: Request[]
  /** Connections accepted so far. */
  connections: number
}

/** A fake node: answers each request with what `script` returns (null = never answer). */
async function fakeNode(script: Script): Promise<FakeNode> {
  const node: FakeNode = { address: '', seen: [], connections: 0 }
  const seen = node.seen
  const server = net.createServer((socket) => {
    node.connections++
    let partial = ''
    socket.setEncoding('utf8')
    socket.on('error', () => {})
    socket.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n')
      partial = lines.pop()!
      for (const line of lines) {
        const req = JSON.parse(line) as Request
        seen.push(req)
        const answer = script(req, seen.length)
        if (answer)
          socket.write(JSON.stringify({ type: 'ClientResponse', id: req.id, ...answer }) + '\n')
      }
    })
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  node.address = `127.0.0.1:${(server.address() as net.AddressInfo).port}`
  return node
}

const ok = { ok: true, result: {}, index: 5 }
const notLeader = (address: string | null) => ({
  ok: false,
  code: 'NOT_LEADER',
  message: 'not the leader',
  leaderHint: address ? { id: 'n2', address } : null
})

describe('RaftClient', () => {
  it('follows a NOT_LEADER hint to the leader', async () => {
    const leader = await fakeNode(() => ok)
    const follower = await fakeNode(() => notLeader(leader.address))
    const client = track(new RaftClient({ addresses: [follower.address], clientId: 'c1' }))
    expect(await client.put('k', 'v')).toEqual({
      status: 'ok',
      output: {},
      index: 5,
      by: leader.address
    })
    expect(follower.seen[0]).toMatchObject({ client: 'c1', seq: 1, op: 'put' })
    expect(leader.seen[0]).toMatchObject({ client: 'c1', seq: 1, op: 'put' })
    // The next operation goes straight to the leader, with the next seq.
    await client.get('k')
    expect(leader.seen[1]).toMatchObject({ seq: 2, op: 'get' })
    expect(follower.seen).toHaveLength(1)
  })

  it('retries a write that timed out with the same seq', async () => {
    const node = await fakeNode((_, attempt) =>
      attempt === 1 ? { ok: false, code: 'TIMEOUT', message: 'slow', leaderHint: null } : ok
    )
    const client = track(new RaftClient({ addresses: [node.address], clientId: 'c2' }))
    expect(await client.put('k', 'v')).toMatchObject({ status: 'ok' })
    expect(node.seen.map((r) => r.seq)).toEqual([1, 1])
  })

  it('reports unknown when a write was sent and never answered', async () => {
    const silent = await fakeNode(() => null)
    const client = track(
      new RaftClient({
        addresses: [silent.address],
        timeoutMs: 300,
        attemptTimeoutMs: 100
      })
    )
    const result = await client.put('k', 'v')
    expect(result).toMatchObject({ status: 'unknown' })
    expect(new Set(silent.seen.map((r) => r.seq))).toEqual(new Set([1]))
  })

  it('reports fail when no node ever accepted the write', async () => {
    const lost = await fakeNode(() => notLeader(null))
    const client = track(new RaftClient({ addresses: [lost.address], timeoutMs: 300 }))
    expect(await client.put('k', 'v')).toMatchObject({
      status: 'fail',
      error: expect.stringMatching(/NOT_LEADER/)
    })
  })

  it('rejects addresses that are not host:port', () => {
    expect(() => new RaftClient({ addresses: ['localhost'] })).toThrow(/not host:port/)
    expect(() => new RaftClient({ addresses: [] })).toThrow(/no node addresses/)
  })
})

describe('ClientConnections', () => {
  const pools: ClientConnections[] = []
  afterEach(() => {
    for (const p of pools) p.close()
    pools.length = 0
  })
  const pool = () => {
    const p = new ClientConnections()
    pools.push(p)
    return p
  }

  it('carries many clients on one connection and gives each its own answer', async () => {
    const node = await fakeNode((req) => ({
      ok: true,
      result: { value: req.client },
      index: req.seq
    }))
    const connections = pool()
    const many = Array.from({ length: 8 }, (_, i) =>
      track(new RaftClient({ addresses: [node.address], clientId: `c${i}`, connections }))
    )
    const results = await Promise.all(many.map((c) => c.get('k')))
    expect(results.map((r) => (r.status === 'ok' ? r.output : null))).toEqual(
      many.map((c) => ({ value: c.clientId }))
    )
    expect(node.connections).toBe(1)
  })

  it('closing one client abandons only its own request', async () => {
    const node = await fakeNode((req) => (req.client === 'slow' ? null : ok))
    const connections = pool()
    const slow = track(new RaftClient({ addresses: [node.address], clientId: 'slow', connections }))
    const fast = track(new RaftClient({ addresses: [node.address], clientId: 'fast', connections }))
    const abandoned = slow.put('k', 'v')
    await expect(fast.put('k', 'w')).resolves.toMatchObject({ status: 'ok' })
    slow.close()
    expect(await abandoned).toMatchObject({ status: 'unknown', error: /client closed/ })
    // The shared connection stays up for the others.
    await expect(fast.put('k', 'x')).resolves.toMatchObject({ status: 'ok' })
    expect(node.connections).toBe(1)
  })

  it('closing the pool loses what is in flight on it', async () => {
    const silent = await fakeNode(() => null)
    const connections = pool()
    const client = track(
      new RaftClient({ addresses: [silent.address], connections, timeoutMs: 5000 })
    )
    const pending = client.put('k', 'v')
    await new Promise((r) => setTimeout(r, 50))
    connections.close()
    client.close()
    expect(await pending).toMatchObject({ status: 'unknown' })
  })
})
