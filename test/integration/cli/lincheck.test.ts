// `raftlab lincheck` as a user runs it: the built CLI (npm run build) on real fixture files.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '../../..')
const bin = join(root, 'bin/raftlab.js')
const fixtures = join(root, 'test/fixtures/porcupine')
const tmp = mkdtempSync(join(tmpdir(), 'lincheck-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

const lincheck = (...args: string[]) =>
  spawnSync(process.execPath, [bin, 'lincheck', ...args], { encoding: 'utf8', cwd: root })

/** The --json object: the last line of stdout. */
const lastJson = (stdout: string) => JSON.parse(stdout.trimEnd().split('\n').pop()!)

describe('raftlab lincheck', () => {
  it('exits 1 on a non-linearizable history and names the failing key', () => {
    const r = lincheck(join(fixtures, 'jepsen/etcd_000.log'), '--json')
    expect(r.status).toBe(1)
    expect(r.stdout).toContain('NOT linearizable')
    expect(r.stdout).toMatch(
      /cannot place: get\(register\) → "2" by client 11 \(.*etcd_000\.log:\d+\)/
    )
    const json = lastJson(r.stdout)
    expect(json).toMatchObject({
      format: 'jepsen',
      model: 'register',
      linearizable: false,
      operations: 85,
      failingKeys: ['register']
    })
    expect(typeof json.ms).toBe('number')
  })

  it('exits 0 on a linearizable history', () => {
    const r = lincheck(join(fixtures, 'kv/c10-ok.txt'), '--format', 'porcupine-kv', '--json')
    expect(r.status).toBe(0)
    expect(lastJson(r.stdout)).toMatchObject({
      linearizable: true,
      operations: 337,
      failingKeys: []
    })
  })

  it('exits 3 with "unknown" when the time budget runs out first', () => {
    const r = lincheck(join(fixtures, 'jepsen/etcd_002.log'), '--timeout', '0ms', '--json')
    expect(r.status).toBe(3)
    expect(lastJson(r.stdout)).toMatchObject({ linearizable: 'unknown', unknownKeys: ['register'] })
  })

  it('writes the HTML view', () => {
    const out = join(tmp, 'view.html')
    const r = lincheck(join(fixtures, 'kv/c01-bad.txt'), '--html', out)
    expect(r.status).toBe(1)
    const html = readFileSync(out, 'utf8')
    expect(html.startsWith('<!doctype html>')).toBe(true)
    expect(html).toContain('FIRST OPERATION THAT CANNOT BE PLACED')
  })

  it('exits 2 with the file and line of malformed input', () => {
    const bad = join(tmp, 'bad.log')
    writeFileSync(
      bad,
      'INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 1\t:ok\t:read\t3\n'
    )
    const r = lincheck(bad)
    expect(r.status).toBe(2)
    expect(r.stderr).toContain(`${bad}:2: :ok :read of process 1 without an :invoke before it`)
  })

  it('exits 2 on bad usage', () => {
    expect(lincheck(join(fixtures, 'kv/c01-ok.txt'), '--model', 'queue').status).toBe(2)
    expect(lincheck(join(fixtures, 'kv/c01-ok.txt'), '--format', 'csv').stderr).toContain(
      '--format: "csv" is not one of trace, jepsen, porcupine-kv, auto'
    )
    expect(lincheck().status).toBe(2)
    expect(lincheck(join(tmp, 'missing.txt')).stderr).toContain('cannot read')
  })

  it("reads a trace the lab's simulator wrote", () => {
    const trace = join(tmp, 'sim.jsonl')
    const sim = spawnSync(
      process.execPath,
      [bin, 'sim', '--seeds', '1', '--duration', '5s', '--trace', trace],
      { encoding: 'utf8', cwd: root }
    )
    expect(sim.status, sim.stderr).toBe(0)
    const r = lincheck(trace, '--json')
    const json = lastJson(r.stdout)
    expect(json.format).toBe('trace')
    expect(json.operations).toBeGreaterThan(10)
    // The simulator ran the correct Raft core: its clients' history must be linearizable.
    expect(json.linearizable).toBe(true)
    expect(r.status).toBe(0)
  })

  it('describes every option in --help', () => {
    const r = lincheck('--help')
    expect(r.status).toBe(0)
    for (const option of ['--format', '--model', '--timeout', '--all-keys', '--json', '--html']) {
      expect(r.stdout).toContain(option)
    }
    expect(r.stdout).toMatch(/Exit codes: 0 linearizable, 1 not linearizable, 3 unknown, 2/)
  })
})
