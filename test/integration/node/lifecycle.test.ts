// The node's process contract: stdin control, exit on stdin close, a port in use,
// and the order of events (an acknowledgement never precedes its fsync).
import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { RaftClient } from '../../../src/node/client'
import { Cluster, cleanupAll, waitUntil } from './helpers'

afterEach(cleanupAll)

describe('the node process', () => {
  it('answers status on stdin and exits 0 when stdin closes (--exit-with-parent)', async () => {
    const cluster = await Cluster.create(1)
    await cluster.startAll()
    const node = cluster.nodes[0]!
    await cluster.waitForLeader()
    node.control({ type: 'status' })
    node.child!.stdin!.write('{"type":"reboot"}\n')
    const status = await waitUntil('status event', () =>
      node.events.find((e) => e.kind === 'status')
    )
    expect(status).toMatchObject({ kind: 'status', node: 'n1', role: 'leader', currentTerm: 1 })
    expect(node.running).toBe(true)
    node.child!.stdin!.end()
    expect(await node.exit).toEqual({ code: 0, signal: null })
    expect(node.stderr).toMatch(/ignored control line/)
  })

  it('exits 1 with a node-error event when its port is taken', async () => {
    const blocker = net.createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    try {
      const cluster = await Cluster.create(1)
      const node = cluster.nodes[0]!
      node.spec.port = (blocker.address() as net.AddressInfo).port
      node.start()
      expect((await node.exit)!.code).toBe(1)
      expect(node.events.find((e) => e.kind === 'node-error')).toMatchObject({
        message: expect.stringMatching(/EADDRINUSE/)
      })
    } finally {
      blocker.close()
    }
  })

  it('writes persist (synced) before it applies and answers, in its own event stream', async () => {
    const cluster = await Cluster.create(3)
    await cluster.startAll()
    const leader = await cluster.waitForLeader()
    const client = new RaftClient({ addresses: [leader.address] })
    try {
      for (let i = 0; i < 20; i++) expect((await client.put(`k${i}`, 'v')).status).toBe('ok')
    } finally {
      client.close()
    }
    // The test reads stdout and sockets on different channels, so order is checked within one stream.
    let durable = 0
    let applied = 0
    for (const e of leader.events) {
      if (e.kind === 'persist' && e.synced) durable = Math.max(durable, e.lastIndex)
      if (e.kind === 'apply') {
        expect(e.index, `apply ${e.index} before its persist`).toBeLessThanOrEqual(durable)
        applied++
      }
    }
    expect(applied).toBeGreaterThanOrEqual(20)
  })
})
