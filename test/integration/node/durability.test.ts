// Durability under crashes: with a steady write load, kill -9 a random node
// (the leader included) at random instants and restart it, many times. Every
// acknowledged write must be readable at the end, and the safety checkers must
// find nothing wrong in the nodes' events.
//
// RAFTLAB_SOAK_KILLS sets the number of crashes (CI: 10). A long soak:
//   RAFTLAB_SOAK_KILLS=500 npx vitest run --project integration test/integration/node/durability.test.ts --testTimeout 3600000
import { afterEach, describe, expect, it } from 'vitest'
import { RaftClient } from '../../../src/node/client'
import { checkSafety } from '../../../src/shared/check/safety'
import { randomInt, seededRng } from '../../../src/shared/rng'
import { Cluster, cleanupAll, waitUntil, writeLoop } from './helpers'

afterEach(cleanupAll)

const KILLS = Number(process.env.RAFTLAB_SOAK_KILLS ?? 10)
const SEED = Number(process.env.RAFTLAB_SOAK_SEED ?? Date.now() % 1_000_000)
const WRITERS = 4

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('durability under kill -9', () => {
  it(`keeps every acknowledged write through ${KILLS} crashes (seed ${SEED})`, async () => {
    const rng = seededRng(SEED)
    const cluster = await Cluster.create(3, { args: ['--request-timeout', '1000'] })
    await cluster.startAll()
    await cluster.waitForLeader()

    const acknowledged = new Map<string, string>()
    let writing = true
    const writers = Array.from({ length: WRITERS }, (_, i) =>
      writeLoop(`w${i}`, cluster.addresses, cluster.trace, acknowledged, () => writing)
    )

    let leaderKills = 0
    for (let k = 0; k < KILLS; k++) {
      await sleep(randomInt(rng, 100, 800))
      const leader = cluster.leader()
      const victim =
        leader && rng() < 0.4 ? leader : cluster.nodes[randomInt(rng, 0, cluster.nodes.length - 1)]!
      if (victim === leader) leaderKills++
      await victim.kill9()
      await sleep(randomInt(rng, 20, 400))
      victim.start()
      // One node down at a time: the next crash waits until this one is back.
      await victim.waitListening()
    }
    await sleep(500)
    writing = false
    const attempts = await Promise.all(writers)

    // Read back through the cluster after it settled: every acknowledged write is there.
    await waitUntil('every node running', () => cluster.nodes.every((n) => n.running))
    await cluster.waitForLeader()
    const reader = new RaftClient({ addresses: cluster.addresses, timeoutMs: 10_000 })
    const missing: string[] = []
    try {
      for (const [key, value] of acknowledged) {
        const got = await reader.get(key)
        if (got.status !== 'ok' || got.output.value !== value) {
          missing.push(`${key}=${value}: ${JSON.stringify(got)}`)
        }
      }
    } finally {
      reader.close()
    }
    const report = `seed ${SEED}, ${KILLS} kills (${leaderKills} of the leader), ${attempts.reduce((a, b) => a + b, 0)} writes tried, ${acknowledged.size} acknowledged`
    console.log(`durability: ${report}`)
    expect(missing, report).toEqual([])
    // The cluster made progress at all (how much depends on the machine's load).
    expect(acknowledged.size).toBeGreaterThan(0)
    const violations = checkSafety(cluster.trace.events).filter((p) => !p.ok)
    expect(violations, report).toEqual([])
  })
})
