// A trace survives kill -9 of the lab: `raftlab run` is killed mid-run while
// one node is paused; the trace stays readable and verifiable up to the kill,
// and the reaper leaves no node behind (not even the stopped one).
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadTrace } from '../../../src/main/lab/trace-file'
import {
  CLI,
  ROOT,
  alive,
  killMentioning,
  pidsMentioning,
  removeTempDirs,
  tempDir,
  until
} from './helpers'

let dir = ''
afterEach(() => killMentioning(dir))
afterAll(() => removeTempDirs())

const SCENARIO = `
name: long run to be killed
duration: 60s
cluster: { nodes: 3 }
workload: { clients: 2, rate: 40, keys: 3 }
steps:
  - when: leader
    pause: follower
`

function lines(file: string): string[] {
  return existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
    : []
}

describe('kill -9 of the lab', () => {
  it('leaves a readable, verifiable trace and no node process', async () => {
    dir = tempDir()
    const scenario = join(dir, 'long.yaml')
    writeFileSync(scenario, SCENARIO)
    const out = join(dir, 'exp')
    const trace = join(out, 'trace.jsonl')
    const lab = spawn(process.execPath, [CLI, 'run', scenario, '--out', out], {
      cwd: ROOT,
      stdio: 'ignore'
    })
    try {
      const progressed = await until(() => {
        const text = lines(trace).join('\n')
        return (
          text.includes('"action":"pause"') && (text.match(/"kind":"complete"/g) ?? []).length >= 20
        )
      }, 60_000)
      expect(progressed).toBe(true)
      // Let a manifest checkpoint pass so it names lines written before the kill.
      const before = lines(trace).length
      await until(
        () => JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).lines >= before,
        5000
      )
      const pids = lines(trace)
        .filter((l) => l.includes('"kind":"proc"') && l.includes('"action":"start"'))
        .map((l) => (JSON.parse(l) as { pid: number }).pid)
      expect(pids).toHaveLength(3)
      lab.kill('SIGKILL')
      expect(await until(() => pids.every((p) => !alive(p)), 10_000)).toBe(true)
      expect(pidsMentioning(dir)).toEqual([])

      const t = await loadTrace(out, { verify: true })
      expect(t.problems).toEqual([])
      expect(t.events.length + 1).toBeGreaterThanOrEqual(before)
      expect(t.verify).toMatchObject({ ok: true, completeness: 'checkpoint' })
      expect(t.events.some((e) => e.kind === 'proc' && e.action === 'pause')).toBe(true)
    } finally {
      lab.kill('SIGKILL')
    }
  })
})
