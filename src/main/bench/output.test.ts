import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { BenchOutput } from './output'
import { parseMode, parseTimeoutRange, parseVs } from './common'
import { UsageError } from '../cli/command'

describe('bench output folder', () => {
  const dirs: string[] = []
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })))

  it('writes CSV with quoted cells and empty cells for missing numbers, and lists every file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'raftlab-bench-out-'))
    dirs.push(dir)
    const out = await BenchOutput.create('unit', join(dir, 'nested', 'out'))
    const csv = await out.csv(
      's.csv',
      ['name', 'ms'],
      [
        ['a,b', 1.23456],
        ['say "hi"', Number.NaN],
        [null, 2]
      ]
    )
    await out.json('s.json', { ok: true })
    expect(readFileSync(csv, 'utf8')).toBe('name,ms\n"a,b",1.235\n"say ""hi""",\n,2\n')
    expect(out.files.map((f) => f.split('/').pop())).toEqual(['s.csv', 's.json'])
  })
})

describe('bench options', () => {
  it('parses an election timeout range and rejects a reversed one', () => {
    expect(parseTimeoutRange('150-300', '--election-timeout')).toEqual([150, 300])
    expect(() => parseTimeoutRange('300-150', '--election-timeout')).toThrow(UsageError)
    expect(() => parseTimeoutRange('fast', '--election-timeout')).toThrow(/MIN-MAX/)
  })

  it('only compares with etcd, and runs Raft Lab in lab or direct mode', () => {
    expect(parseVs(undefined)).toBe(false)
    expect(parseVs('etcd')).toBe(true)
    expect(() => parseVs('zookeeper')).toThrow(/only "etcd"/)
    expect(parseMode(undefined)).toBe('lab')
    expect(parseMode('direct')).toBe('direct')
    expect(() => parseMode('proxy')).toThrow(UsageError)
  })
})
