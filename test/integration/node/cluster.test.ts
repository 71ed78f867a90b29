// Three nodes started by hand with `raftlab node` elect one leader, and 100
// puts through `raftlab client` are readable from the cluster.
import { execFile } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import { RaftClient } from '../../../src/node/client'
import { checkSafety } from '../../../src/shared/check/safety'
import { CLI_ENTRY, Cluster, SPAWN_ENV, cleanupAll, track, waitUntil } from './helpers'

afterEach(cleanupAll)

function raftlab(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [CLI_ENTRY, ...args],
      { env: SPAWN_ENV },
      (err, stdout, stderr) => {
        const code = err && typeof err.code === 'number' ? err.code : err ? -1 : 0
        resolve({ code, stdout, stderr })
      }
    )
    track(child)
  })
}

describe('a three-node cluster', () => {
  it('elects exactly one leader and serves 100 puts through raftlab client', async () => {
    const cluster = await Cluster.create(3, { viaCli: true })
    await cluster.startAll()
    const leader = await cluster.waitForLeader()
    const term = leader.role()!.term
    const leadersInTerm = cluster.trace
      .of('role')
      .filter((e) => e.role === 'leader' && e.term === term)
    expect(leadersInTerm.map((e) => e.node)).toEqual([leader.spec.id])

    const cluster_ = cluster.addresses.join(',')
    const keys = Array.from({ length: 100 }, (_, i) => i)
    // Four CLI processes at a time: 2 cores.
    for (let i = 0; i < keys.length; i += 4) {
      const results = await Promise.all(
        keys
          .slice(i, i + 4)
          .map((k) => raftlab(['client', '--cluster', cluster_, 'put', `key${k}`, `value${k}`]))
      )
      for (const r of results) expect(r, r.stderr).toMatchObject({ code: 0, stdout: 'ok\n' })
    }

    const got = await raftlab(['client', '--cluster', cluster_, '--json', 'get', 'key42'])
    expect(got.code).toBe(0)
    expect(JSON.parse(got.stdout)).toMatchObject({ status: 'ok', output: { value: 'value42' } })

    const client = new RaftClient({ addresses: cluster.addresses })
    try {
      for (const k of keys) {
        expect(await client.get(`key${k}`)).toMatchObject({
          status: 'ok',
          output: { value: `value${k}` }
        })
      }
    } finally {
      client.close()
    }

    // Every node applies the same 100 puts, in the same order.
    await waitUntil('all nodes applied every put', () =>
      cluster.nodes.every(
        (n) => n.events.filter((e) => e.kind === 'apply' && e.command.op === 'put').length === 100
      )
    )
    const applied = cluster.nodes.map((n) =>
      n.events.flatMap((e) =>
        e.kind === 'apply' ? [`${e.index}:${JSON.stringify(e.command)}`] : []
      )
    )
    expect(applied[1]).toEqual(applied[0])
    expect(applied[2]).toEqual(applied[0])
    expect(checkSafety(cluster.trace.events).filter((p) => !p.ok)).toEqual([])
  }, 300_000)

  it('answers NOT_LEADER with the leader address, and cas mismatch with exit 1', async () => {
    const cluster = await Cluster.create(3)
    await cluster.startAll()
    const leader = await cluster.waitForLeader()
    const follower = cluster.nodes.find((n) => n !== leader)!
    // Through a follower only: the client follows the hint to the leader.
    const put = await raftlab(['client', '--cluster', follower.address, 'put', 'x', '1'])
    expect(put).toMatchObject({ code: 0, stdout: 'ok\n' })
    const cas = await raftlab(['client', '--cluster', follower.address, 'cas', 'x', '2', '3'])
    expect(cas).toMatchObject({ code: 1, stdout: 'mismatch: current value "1"\n' })
    const cas2 = await raftlab(['client', '--cluster', follower.address, 'cas', 'x', '1', '3'])
    expect(cas2).toMatchObject({ code: 0, stdout: 'ok\n' })
    const absent = await raftlab(['client', '--cluster', leader.address, 'get', 'nope'])
    expect(absent).toMatchObject({ code: 0, stdout: 'null\n' })
  })

  it('fails definitely (exit 1) when no node is reachable', async () => {
    const cluster = await Cluster.create(1)
    const result = await raftlab([
      'client',
      '--cluster',
      cluster.addresses[0]!,
      '--timeout',
      '300ms',
      'put',
      'k',
      'v'
    ])
    // Nothing listens there: the write never left, so it definitely did not apply.
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/^fail: gave up after 300 ms/)
  })

  it('gives an unknown outcome (exit 3) when the leader cannot commit', async () => {
    const cluster = await Cluster.create(3, { args: ['--request-timeout', '300'] })
    await cluster.startAll()
    const leader = await cluster.waitForLeader()
    for (const n of cluster.nodes) if (n !== leader) await n.kill9()
    const result = await raftlab([
      'client',
      '--cluster',
      leader.address,
      '--timeout',
      '1s',
      'put',
      'k',
      'v'
    ])
    expect(result.code).toBe(3)
    expect(result.stdout).toMatch(/^unknown: gave up after 1000 ms/)
  })
})
