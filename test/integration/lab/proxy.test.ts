// The fault proxy on its own (its worker thread, built): real sockets, a fake node on each side.
import { afterEach, describe, expect, it } from 'vitest'
import net from 'node:net'
import { FaultProxy, NET_MSG_LIMIT, proxyWorkerEntry } from '../../../src/main/lab/proxy'
import type { TraceEventOf, UnstampedEvent } from '../../../src/shared/trace'
import { NODE_ENTRY, until } from './helpers'

type Net = Omit<TraceEventOf<'net'>, 'seq' | 't' | 'h'>

const closers: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of closers.splice(0)) await c()
})

/** A fake n2 that collects the lines it receives; n1 dials it through the relay n1→n2. */
async function setup(): Promise<{
  proxy: FaultProxy
  events: Net[]
  texts: string[]
  received: string[]
  send: (line: string) => void
  sock: net.Socket
}> {
  const received: string[] = []
  const target = net.createServer((s) => {
    // A relay that goes away resets its connections: not this test's business.
    s.on('error', () => undefined)
    let buf = ''
    s.on('data', (d) => {
      buf += d.toString()
      let i: number
      while ((i = buf.indexOf('\n')) >= 0) {
        received.push(buf.slice(0, i))
        buf = buf.slice(i + 1)
      }
    })
  })
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r))
  const port = (target.address() as net.AddressInfo).port
  const events: Net[] = []
  const texts: string[] = []
  const proxy = new FaultProxy({
    nodeIds: ['n1', 'n2'],
    seed: 1,
    workerEntry: proxyWorkerEntry(NODE_ENTRY),
    record: (e: UnstampedEvent, text: string) => {
      if (e.kind === 'net') events.push(e)
      texts.push(text)
    }
  })
  closers.push(() => {
    target.close()
  })
  closers.push(() => proxy.close())
  await proxy.start()
  proxy.setTarget('n2', port)
  const sock = net.connect({ host: '127.0.0.1', port: proxy.relayPort('n1', 'n2') })
  sock.on('error', () => undefined)
  await new Promise<void>((r) => sock.once('connect', () => r()))
  closers.push(() => {
    sock.destroy()
  })
  const send = (line: string): void => {
    sock.write(line + '\n')
  }
  return { proxy, events, texts, received, send, sock }
}

const hb = (term: number, entries: number[] = []): string =>
  JSON.stringify({
    type: 'AppendEntries',
    from: 'n1',
    to: 'n2',
    term,
    leaderId: 'n1',
    prevLogIndex: 0,
    prevLogTerm: 0,
    entries: entries.map((index) => ({ index, term, command: { op: 'noop' } })),
    leaderCommit: 0,
    readCtx: 0
  })

describe('fault proxy', () => {
  it('relays frames and records send and deliver with type, term and the message', async () => {
    const { events, received, send } = await setup()
    send(JSON.stringify({ type: 'Hello', from: 'n1', to: 'n2' }))
    send(hb(3))
    expect(await until(() => received.length === 2, 5000)).toBe(true)
    expect(JSON.parse(received[1]!)).toMatchObject({ type: 'AppendEntries', term: 3 })
    expect(events.map((e) => e.action)).toEqual(['send', 'deliver'])
    expect(events[0]).toMatchObject({
      from: 'n1',
      to: 'n2',
      msgId: 1,
      type: 'AppendEntries',
      term: 3,
      msg: { leaderId: 'n1' }
    })
  })

  it('keeps the connections a node made before the lab heard it listen; resets those of a node that went down', async () => {
    const { proxy, received, send, sock } = await setup()
    send(JSON.stringify({ type: 'Hello', from: 'n1', to: 'n2' }))
    // A restarted node dials its peers as soon as it listens, before the lab reads its
    // "listening" line and gives the proxy its port: those connections must survive.
    proxy.setTarget('n1', 1)
    // Fault changes are acknowledged in order, so the worker has taken the target by now.
    await proxy.setLink('n2', 'n1', { loss: 0.5 })
    send(hb(1))
    expect(await until(() => received.length === 2, 5000)).toBe(true)
    expect(sock.destroyed).toBe(false)
    const closed = new Promise((resolve) => sock.once('close', resolve))
    proxy.setTarget('n2', null)
    await closed
  })

  it('drops on a cut link and on loss, duplicates, and truncates entries', async () => {
    const { proxy, events, received, send } = await setup()
    send(JSON.stringify({ type: 'Hello', from: 'n1', to: 'n2' }))
    // Faults apply when a frame reaches the relay: wait for each one before the next change.
    const sendAndSettle = async (line: string, term: number, done: (e: Net[]) => boolean) => {
      send(line)
      expect(await until(() => done(events.filter((e) => e.term === term)), 5000)).toBe(true)
    }
    await proxy.partition([['n1'], ['n2']])
    await sendAndSettle(hb(1), 1, (e) => e.some((x) => x.action === 'drop'))
    await proxy.heal()
    await proxy.setLink('n1', 'n2', { loss: 1 })
    await sendAndSettle(hb(2), 2, (e) => e.some((x) => x.action === 'drop'))
    await proxy.setLink('*', '*', { loss: 0, duplicate: 1 })
    await sendAndSettle(hb(3), 3, (e) => e.filter((x) => x.action === 'deliver').length === 2)
    await proxy.heal()
    await proxy.setLink('n1', '*', { maxEntries: 1 })
    send(hb(4, [1, 2, 3]))
    expect(await until(() => received.length === 4, 5000)).toBe(true)
    const drops = events.filter((e) => e.action === 'drop')
    expect(drops.map((e) => [e.term, e.reason])).toEqual([
      [1, 'link down'],
      [2, 'loss']
    ])
    expect(events.filter((e) => e.action === 'duplicate').map((e) => e.term)).toEqual([3])
    expect(received.slice(1).map((l) => JSON.parse(l).term)).toEqual([3, 3, 4])
    expect(JSON.parse(received[3]!).entries).toHaveLength(1)
    expect(events.find((e) => e.action === 'deliver' && e.term === 4)?.reason).toMatch(
      /delivered 1 of 3 entries/
    )
  })

  it('delays frames, keeps their order, and passes a client connection through untouched', async () => {
    const { proxy, events, received, send } = await setup()
    send(JSON.stringify({ type: 'Hello', from: 'n1', to: 'n2' }))
    await proxy.setLink('n1', 'n2', { delayMs: 30, jitterMs: 30 })
    for (let t = 1; t <= 5; t++) send(hb(t))
    expect(await until(() => received.length === 6, 5000)).toBe(true)
    expect(received.slice(1).map((l) => JSON.parse(l).term)).toEqual([1, 2, 3, 4, 5])
    expect(events.filter((e) => e.action === 'deliver').every((e) => (e.delayMs ?? 0) >= 30)).toBe(
      true
    )

    // A client following a leader hint lands on a relay: no faults, no net events.
    const before = events.length
    await proxy.setLink('n1', 'n2', { up: false })
    const client = net.connect({ host: '127.0.0.1', port: proxy.relayPort('n1', 'n2') })
    closers.push(() => {
      client.destroy()
    })
    await new Promise<void>((r) => client.once('connect', () => r()))
    client.write('{"type":"ClientRequest","id":1,"client":"c","seq":1,"op":"get","key":"a"}\n')
    expect(await until(() => received.length === 7, 5000)).toBe(true)
    expect(JSON.parse(received[6]!)).toMatchObject({ type: 'ClientRequest' })
    expect(events.length).toBe(before)
  })

  it('relays frames however the bytes are split, reading long frames by their head', async () => {
    const { events, texts, received, send, sock } = await setup()
    send(JSON.stringify({ type: 'Hello', from: 'n1', to: 'n2' }))
    const long = hb(
      7,
      Array.from({ length: 60 }, (_, i) => i + 1)
    )
    expect(long.length).toBeGreaterThan(NET_MSG_LIMIT)
    // Two frames in one write, then one frame cut in three writes, then a line that is not JSON.
    sock.write(hb(5) + '\n' + hb(6) + '\n')
    const cut = long + '\n'
    sock.write(cut.slice(0, 10))
    await new Promise((r) => setTimeout(r, 20))
    sock.write(cut.slice(10, 500))
    await new Promise((r) => setTimeout(r, 20))
    sock.write(cut.slice(500) + 'not json\n')
    expect(await until(() => received.length === 5, 5000)).toBe(true)
    expect(received.slice(1, 4)).toEqual([hb(5), hb(6), long])
    expect(received[4]).toBe('not json')
    const sends = events.filter((e) => e.action === 'send')
    expect(sends.map((e) => [e.type, e.term, e.msg !== undefined])).toEqual([
      ['AppendEntries', 5, true],
      ['AppendEntries', 6, true],
      ['AppendEntries', 7, false],
      ['invalid', 0, false]
    ])
    expect(sends[2]?.size).toBe(Buffer.byteLength(long) + 1)
    // Each event's text is its JSON, ready to be stamped by the recorder.
    expect(texts.map((t) => JSON.parse(t))).toEqual(events)
  })

  it('records what it relayed before a change of faults takes effect', async () => {
    const { proxy, events, received, send } = await setup()
    send(JSON.stringify({ type: 'Hello', from: 'n1', to: 'n2' }))
    send(hb(1))
    expect(await until(() => received.length === 2, 5000)).toBe(true)
    // The change resolves after the worker applied it, and after the events before it arrived.
    await proxy.isolate('n2')
    expect(events.filter((e) => e.term === 1).map((e) => e.action)).toEqual(['send', 'deliver'])
    expect(proxy.link('n1', 'n2').up).toBe(false)
    expect(proxy.link('n2', 'n1').up).toBe(false)
    send(hb(2))
    expect(await until(() => events.some((e) => e.term === 2 && e.action === 'drop'), 5000)).toBe(
      true
    )
    expect(received).toHaveLength(2)
    await proxy.close()
    await proxy.close()
  })

  it('says so when its worker cannot start, and records a note when the worker dies', async () => {
    const broken = new FaultProxy({
      nodeIds: ['n1', 'n2'],
      seed: 1,
      workerEntry: '/nonexistent/proxy-worker.js',
      record: () => undefined
    })
    await expect(broken.start()).rejects.toThrow(/^the fault proxy did not start: /)

    const { proxy, texts } = await setup()
    const worker = (proxy as unknown as { worker: { terminate(): Promise<number> } }).worker
    await worker.terminate()
    expect(texts.map((t) => JSON.parse(t))).toContainEqual({
      kind: 'note',
      text: expect.stringMatching(/^the fault proxy stopped \(exit code 1\)/)
    })
    // Changes after that resolve (nothing to apply them to) instead of hanging.
    await proxy.heal()
  })
})
