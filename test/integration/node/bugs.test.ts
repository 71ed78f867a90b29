// The teaching bugs that live in the node's persistence break Raft under
// crashes, and the checkers show it; the same runs without the bug are clean.
import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { RaftClient } from '../../../src/node/client'
import { checkSafety } from '../../../src/shared/check/safety'
import { Cluster, cleanupAll, freePorts, waitUntil, writeLoop } from './helpers'

afterEach(cleanupAll)

const relays = new Set<net.Server>()
afterEach(() => {
  for (const r of relays) r.close()
  relays.clear()
})

/**
 * A one-way relay that passes a peer's Hello and RequestVotes but drops every
 * other message: the candidate can win votes, yet its AppendEntries never arrive.
 */
async function votesOnlyRelay(listenPort: number, targetPort: number): Promise<void> {
  const server = net.createServer((inbound) => {
    const outbound = net.connect({ host: '127.0.0.1', port: targetPort })
    const close = () => {
      inbound.destroy()
      outbound.destroy()
    }
    outbound.on('error', close)
    inbound.on('error', close)
    outbound.on('close', close)
    inbound.on('close', close)
    let partial = ''
    inbound.setEncoding('utf8')
    inbound.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n')
      partial = lines.pop()!
      for (const line of lines) {
        const type = (JSON.parse(line) as { type: string }).type
        if (type === 'Hello' || type === 'RequestVote') outbound.write(line + '\n')
      }
    })
  })
  relays.add(server)
  await new Promise<void>((resolve) => server.listen(listenPort, '127.0.0.1', resolve))
}

function leadersOfTerm(cluster: Cluster, term: number): string[] {
  return cluster.trace
    .of('role')
    .filter((e) => e.role === 'leader' && e.term === term)
    .map((e) => e.node)
}

describe('--bug forget-vote', () => {
  // n3 votes for n1 in term 1, crashes, restarts, and is asked again by n2 in term 1.
  async function voteTwiceScenario(bug: boolean): Promise<Cluster> {
    const args = ['--prevote', 'off', '--election-timeout', '60000-60000']
    const cluster = await Cluster.create(3, {
      args: bug ? [...args, '--bug', 'forget-vote'] : args
    })
    const [n1, n2, n3] = cluster.nodes as [
      (typeof cluster.nodes)[0],
      (typeof cluster.nodes)[0],
      (typeof cluster.nodes)[0]
    ]
    // n1 reaches n2 and n3 only through relays that drop its AppendEntries, so n3's log stays empty.
    const [relayToN2, relayToN3] = await freePorts(2)
    await votesOnlyRelay(relayToN2!, n2.spec.port)
    await votesOnlyRelay(relayToN3!, n3.spec.port)
    n1.spec.peers = [
      { id: 'n2', port: relayToN2! },
      { id: 'n3', port: relayToN3! }
    ]
    n1.start()
    n3.start()
    await waitUntil('n1 and n3 listening', () =>
      [n1, n3].every((n) => n.events.some((e) => e.kind === 'listening'))
    )
    n1.control({ type: 'campaign' })
    await waitUntil('n1 leads term 1', () => n1.role()?.role === 'leader' && n1.role()?.term === 1)
    expect(n3.events).toContainEqual(
      expect.objectContaining({ kind: 'vote', candidate: 'n1', term: 1, granted: true })
    )
    await n3.kill9()
    n3.start()
    n2.start()
    await waitUntil('n2 and n3 listening', () =>
      [n2, n3].every((n) => n.events.some((e) => e.kind === 'listening'))
    )
    n2.control({ type: 'campaign' })
    await waitUntil('n3 answers n2', () =>
      n3.events.find((e) => e.kind === 'vote' && e.candidate === 'n2')
    )
    // Give n2 time to hear the answer and act on it.
    await new Promise((r) => setTimeout(r, 500))
    return cluster
  }

  it('lets a restarted node vote twice in one term: two leaders, and the checker sees it', async () => {
    const cluster = await voteTwiceScenario(true)
    expect(leadersOfTerm(cluster, 1).sort()).toEqual(['n1', 'n2'])
    const results = checkSafety(cluster.trace.events)
    expect(results.find((p) => p.property === 'election-safety')).toMatchObject({ ok: false })
  })

  it('without the bug, the restarted node remembers its vote', async () => {
    const cluster = await voteTwiceScenario(false)
    expect(cluster.node('n3').events).toContainEqual(
      expect.objectContaining({ kind: 'vote', candidate: 'n2', term: 1, granted: false })
    )
    expect(leadersOfTerm(cluster, 1)).toEqual(['n1'])
    expect(checkSafety(cluster.trace.events).filter((p) => !p.ok)).toEqual([])
  })
})

describe('--bug no-fsync', () => {
  // Writes acknowledged in the last second sit in a process buffer; kill -9 of every node loses them.
  async function crashAllUnderLoad(
    bug: boolean
  ): Promise<{ cluster: Cluster; acknowledged: Map<string, string>; lost: string[] }> {
    const cluster = await Cluster.create(3, { args: bug ? ['--bug', 'no-fsync'] : [] })
    await cluster.startAll()
    await cluster.waitForLeader()
    const acknowledged = new Map<string, string>()
    let writing = true
    // The instant a write is acknowledged, every node is killed: no node survives to repair the others.
    const crashOnAck = () => {
      if (!writing || acknowledged.size < 30) return
      writing = false
      for (const n of cluster.nodes) n.child!.kill('SIGKILL')
    }
    const writers = [0, 1, 2, 3].map((i) =>
      writeLoop(`w${i}`, cluster.addresses, cluster.trace, acknowledged, () => writing, crashOnAck)
    )
    await waitUntil('the crash', () => !writing, 30_000)
    await Promise.all(cluster.nodes.map((n) => n.exit))
    await Promise.all(writers)
    for (const n of cluster.nodes) n.start()
    await cluster.waitForLeader()
    const reader = new RaftClient({ addresses: cluster.addresses, timeoutMs: 10_000 })
    const lost: string[] = []
    try {
      // Life goes on after the restart: new writes take the log positions of the lost ones.
      for (let i = 0; i < 20; i++) {
        expect(await reader.put(`after-${i}`, 'x')).toMatchObject({ status: 'ok' })
      }
      for (const [key, value] of acknowledged) {
        const got = await reader.get(key)
        if (got.status !== 'ok' || got.output.value !== value) lost.push(key)
      }
    } finally {
      reader.close()
    }
    return { cluster, acknowledged, lost }
  }

  it('loses acknowledged writes when every node is killed, and the checker reports them', async () => {
    const { cluster, lost, acknowledged } = await crashAllUnderLoad(true)
    // The ack-lost check: acknowledged keys that read back wrong after the restart.
    expect(
      lost.length,
      `${lost.length} of ${acknowledged.size} acknowledged writes lost`
    ).toBeGreaterThan(0)
    // The new writes landed at indexes where the lost ones had been applied.
    const violated = checkSafety(cluster.trace.events)
      .filter((p) => !p.ok)
      .map((p) => p.property)
    expect(violated).toContain('state-machine-safety')
  })

  it('without the bug, the same crash loses nothing', async () => {
    const { cluster, lost } = await crashAllUnderLoad(false)
    expect(lost).toEqual([])
    expect(checkSafety(cluster.trace.events).filter((p) => !p.ok)).toEqual([])
  })
})
