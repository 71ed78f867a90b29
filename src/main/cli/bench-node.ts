// `raftlab bench node`: three real node processes on loopback (no proxy),
// concurrent clients doing puts for a fixed time; prints writes/s and latency.
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { EXIT, UsageError, parseCommandArgs, parseDuration, parseInteger } from './command'
import type { BenchCommand } from './bench'
import { ClientConnections, RaftClient } from '../../node/client'

const HELP = `Usage: raftlab bench node [--duration 10s] [--clients 64] [--value-size 256] [--fsync always|batch|never] [--json]

Starts 3 node processes on 127.0.0.1 (no proxy), runs concurrent clients that
each put VALUE-SIZE-byte values in a loop for DURATION, and prints the rate of
acknowledged writes and their latency (p50, p99). Nodes write their events to
stdout as in the lab (the bench reads and discards them).`

/** The node entry built beside this CLI (out/main/node.js). */
const NODE_ENTRY = path.join(__dirname, 'node.js')

async function freePorts(n: number): Promise<number[]> {
  const servers: net.Server[] = []
  for (let i = 0; i < n; i++) {
    const s = net.createServer()
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject)
      s.listen(0, '127.0.0.1', resolve)
    })
    servers.push(s)
  }
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port)
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
  return ports
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

async function stopAll(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve()
          const force = setTimeout(() => c.kill('SIGKILL'), 3000)
          c.once('exit', () => {
            clearTimeout(force)
            resolve()
          })
          c.kill('SIGTERM')
        })
    )
  )
}

export const nodeBench: BenchCommand = {
  name: 'node',
  summary: '3 nodes, concurrent clients doing puts: writes/s, latency p50/p99',
  help: HELP,
  async run(argv) {
    const { values } = parseCommandArgs('bench node', argv, {
      duration: { type: 'string', default: '10s' },
      clients: { type: 'string', default: '64' },
      'value-size': { type: 'string', default: '256' },
      fsync: { type: 'string', default: 'always' },
      json: { type: 'boolean', default: false }
    })
    const durationMs = parseDuration(values.duration, '--duration')
    const clients = parseInteger(values.clients, '--clients', 1, 4096)
    const valueSize = parseInteger(values['value-size'], '--value-size', 1, 64 * 1024)
    if (!['always', 'batch', 'never'].includes(values.fsync)) {
      throw new UsageError(`--fsync: "${values.fsync}" must be always, batch or never`)
    }
    if (!fs.existsSync(NODE_ENTRY)) throw new UsageError(`${NODE_ENTRY} missing: run npm run build`)

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'raftlab-bench-node-'))
    const ports = await freePorts(3)
    const ids = ['n1', 'n2', 'n3']
    const children: ChildProcess[] = []
    const cleanup = () => children.forEach((c) => c.kill('SIGKILL'))
    process.once('exit', cleanup)
    try {
      ids.forEach((id, i) => {
        const peers = ids.flatMap((p, j) => (p === id ? [] : [`${p}=127.0.0.1:${ports[j]}`]))
        const child = spawn(
          process.execPath,
          [
            NODE_ENTRY,
            ...['--id', id, '--dir', path.join(dir, id), '--listen', `127.0.0.1:${ports[i]}`],
            ...['--peers', peers.join(','), '--fsync', values.fsync, '--exit-with-parent']
          ],
          { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } }
        )
        // The node's stdout is a pipe it writes synchronously: keep draining it.
        child.stdout!.resume()
        children.push(child)
      })
      const addresses = ports.map((p) => `127.0.0.1:${p}`)
      const warm = new RaftClient({ addresses, timeoutMs: 20_000 })
      const first = await warm.put('warm-up', 'x')
      warm.close()
      if (first.status !== 'ok') throw new Error(`the cluster did not come up: ${first.error}`)

      const value = 'v'.repeat(valueSize)
      const latencies: number[] = []
      let unknown = 0
      let failed = 0
      const start = performance.now()
      const end = start + durationMs
      // One connection per node for all clients, as in `bench throughput`.
      const connections = new ClientConnections()
      await Promise.all(
        Array.from({ length: clients }, async (_, c) => {
          const client = new RaftClient({ addresses, timeoutMs: 5000, connections })
          try {
            for (let i = 0; performance.now() < end; i++) {
              const t = performance.now()
              const r = await client.put(`c${c}-${i % 1000}`, value)
              if (r.status === 'ok') latencies.push(performance.now() - t)
              else if (r.status === 'unknown') unknown++
              else failed++
            }
          } finally {
            client.close()
          }
        })
      )
      connections.close()
      const seconds = (performance.now() - start) / 1000
      latencies.sort((a, b) => a - b)
      const result = {
        bench: 'node',
        nodes: 3,
        clients,
        valueSize,
        fsync: values.fsync,
        seconds: Number(seconds.toFixed(2)),
        writes: latencies.length,
        writesPerSecond: Math.round(latencies.length / seconds),
        p50Ms: Number(percentile(latencies, 50).toFixed(2)),
        p99Ms: Number(percentile(latencies, 99).toFixed(2)),
        unknown,
        failed
      }
      if (values.json) process.stdout.write(JSON.stringify(result) + '\n')
      else {
        process.stdout.write(
          [
            `node: 3 nodes, ${clients} clients, ${valueSize}-byte puts, fsync ${values.fsync}, ${result.seconds} s`,
            `  ${result.writesPerSecond} writes/s (${result.writes} acknowledged, ${unknown} unknown, ${failed} failed)`,
            `  latency p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms`
          ].join('\n') + '\n'
        )
      }
      return EXIT.ok
    } finally {
      await stopAll(children)
      process.off('exit', cleanup)
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }
}
