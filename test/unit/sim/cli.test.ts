import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { simBench, simCommand } from '../../../src/main/cli/sim'
import { EXIT, UsageError } from '../../../src/main/cli/command'
import { traceEventSchema, traceHeaderSchema } from '../../../src/shared/trace'

let out: string[]
let dir: string

beforeEach(() => {
  out = []
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk))
    return true
  })
  dir = mkdtempSync(join(tmpdir(), 'raftlab-sim-'))
})

afterEach(() => {
  vi.restoreAllMocks()
  rmSync(dir, { recursive: true, force: true })
})

function lastJson(): Record<string, unknown> {
  const lines = out.join('').trimEnd().split('\n')
  return JSON.parse(lines[lines.length - 1] ?? '') as Record<string, unknown>
}

describe('raftlab sim', { timeout: 120_000 }, () => {
  it('runs seeds, reports per run and in total, and ends with one JSON line', async () => {
    const code = await simCommand.run([
      '--seeds',
      '3',
      '--seed',
      '10',
      '--duration',
      '1s',
      '--json'
    ])
    expect(code).toBe(EXIT.ok)
    const text = out.join('')
    for (const seed of [10, 11, 12]) expect(text).toContain(`seed ${seed}: ok`)
    const json = lastJson()
    expect(json).toMatchObject({ seeds: 3, firstSeed: 10, violations: [], durationMs: 1000 })
    expect(typeof json.seedsPerSecond).toBe('number')
    expect(json.opsCompleted as number).toBeGreaterThan(0)
  })

  it('exits 1 with the violating seed named when a teaching bug breaks safety', async () => {
    const args = ['--seeds', '10', '--nodes', '3', '--duration', '3s', '--faults', 'crash,delay']
    const code = await simCommand.run([...args, '--bug', 'no-fsync', '--json'])
    expect(code).toBe(EXIT.violation)
    const json = lastJson()
    const violations = json.violations as { seed: number; property: string; message: string }[]
    expect(violations.length).toBeGreaterThan(0)
    expect(json.violatingSeeds).toContain(violations[0]?.seed)
    expect(out.join('')).toContain(`reproduce with --seed ${violations[0]?.seed} --seeds 1`)
  })

  it('writes the first violating run as a valid trace', async () => {
    const file = join(dir, 'run.jsonl')
    const args = ['--seeds', '10', '--nodes', '3', '--duration', '3s', '--faults', 'crash,delay']
    await simCommand.run([...args, '--bug', 'no-fsync', '--trace', file, '--json'])
    const seed = (lastJson().violatingSeeds as number[])[0]
    expect(out.join('')).toContain(`trace of seed ${seed} (the first run with a violation)`)
    const [headerLine, ...lines] = readFileSync(file, 'utf8').trimEnd().split('\n')
    const header = traceHeaderSchema.parse(JSON.parse(headerLine ?? ''))
    expect(header).toMatchObject({ source: 'sim', seed, config: { nodes: 3, bug: 'no-fsync' } })
    const events = lines.map((l) => traceEventSchema.parse(JSON.parse(l)))
    expect(events.some((e) => e.kind === 'net')).toBe(true)
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i))
  })

  it('rejects bad options with a clear message', async () => {
    await expect(simCommand.run(['--faults', 'crash,partiton'])).rejects.toThrow(
      'unknown fault "partiton"'
    )
    await expect(simCommand.run(['--bug', 'nope'])).rejects.toThrow(UsageError)
    await expect(simCommand.run(['--seeds', '0'])).rejects.toThrow('--seeds')
    await expect(simCommand.run(['--duration', 'soon'])).rejects.toThrow('not a duration')
    await expect(simCommand.run(['--nodes', '12'])).rejects.toThrow('--nodes')
    await expect(simCommand.run(['extra'])).rejects.toThrow('unexpected argument "extra"')
  })
})

describe('raftlab bench sim', { timeout: 120_000 }, () => {
  it('prints seeds per second and the speed relative to real time', async () => {
    const code = await simBench.run(['--seeds', '1', '--json'])
    expect(code).toBe(EXIT.ok)
    const json = lastJson()
    expect(json).toMatchObject({ bench: 'sim', seeds: 1, nodes: 5, simulatedSecondsPerSeed: 10 })
    expect(json.seedsPerSecond as number).toBeGreaterThan(0)
    expect(json.realTimeFactor as number).toBeGreaterThan(0)
  })
})
