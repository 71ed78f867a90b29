// Benchmarks are not tests: this only checks each bench, run tiny, produces its
// figures and files. It never looks at the values. Needs `npm run build`.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const bin = resolve(import.meta.dirname, '../../../bin/raftlab.js')
const root = mkdtempSync(join(tmpdir(), 'raftlab-bench-smoke-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

function raftlab(args: string[]): Promise<Run> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolveRun({ code, stdout, stderr }))
  })
}

/** Runs a bench with --json and returns its summary (the last stdout line). */
async function runBench(name: string, args: string[]): Promise<Record<string, unknown>> {
  const out = join(root, name)
  const r = await raftlab(['bench', name, ...args, '--out', out, '--json'])
  expect(r.code, r.stderr).toBe(0)
  const last = r.stdout.trim().split('\n').pop() ?? ''
  const summary = JSON.parse(last) as Record<string, unknown>
  expect(summary.outDir).toBe(out)
  for (const file of summary.files as string[]) {
    expect(existsSync(file), file).toBe(true)
    expect(statSync(file).size, file).toBeGreaterThan(0)
  }
  return summary
}

function expectNumber(value: unknown, what: string): void {
  expect(typeof value, what).toBe('number')
  expect(Number.isFinite(value), what).toBe(true)
}

describe('bench smoke runs', () => {
  it('throughput: writes/s and latency for the lab engine and nodes direct', async () => {
    const s = await runBench('throughput', [
      '--duration',
      '300ms',
      '--warmup',
      '0',
      '--clients',
      '2'
    ])
    const files = (s.files as string[]).map((f) => f.split('/').pop())
    expect(files).toEqual(
      expect.arrayContaining(['samples.csv', 'summary.json', 'latency.png', 'throughput.png'])
    )
    const results = s.results as Record<
      string,
      { writesPerSec: unknown; latencyMs: Record<string, unknown> }
    >
    for (const system of ['lab', 'direct']) {
      expectNumber(results[system]?.writesPerSec, `${system} writes/s`)
      expectNumber(results[system]?.latencyMs.p50, `${system} p50`)
      expectNumber(results[system]?.latencyMs.p99, `${system} p99`)
    }
    expectNumber((s.ratios as Record<string, unknown>)['lab/direct writes/s'], 'ratio')
  })
})

describe('bench smoke runs with kills and starts', () => {
  it('failover: failover times over a few kills of the leader', async () => {
    const s = await runBench('failover', ['--nodes', '3', '--trials', '2', '--clients', '1'])
    const files = (s.files as string[]).map((f) => f.split('/').pop())
    expect(files).toEqual(
      expect.arrayContaining([
        'trials.csv',
        'writes.csv',
        'summary.json',
        'failover.png',
        'throughput.png'
      ])
    )
    const lab = (
      s.results as Record<string, { trials: unknown; failoverMs: Record<string, unknown> }>
    ).lab
    expect(lab?.trials).toBe(2)
    for (const p of ['p50', 'p90', 'p99', 'max']) expectNumber(lab?.failoverMs[p], `failover ${p}`)
  })

  it('start: time to every node listening and to a leader', async () => {
    const s = await runBench('start', ['--nodes', '3', '--trials', '2', '--mode', 'direct'])
    const files = (s.files as string[]).map((f) => f.split('/').pop())
    expect(files).toEqual(expect.arrayContaining(['trials.csv', 'summary.json', 'start.png']))
    const results = s.results as Record<string, Record<string, unknown>>
    expectNumber(results.listeningMs?.p50, 'listening p50')
    expectNumber(results.leaderMs?.p50, 'leader p50')
  })

  it('rejects a bad option with exit 2 and a clear message', async () => {
    const r = await raftlab(['bench', 'failover', '--election-timeout', '300-150'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('--election-timeout: "300-150" must be MIN-MAX')
  })
})
