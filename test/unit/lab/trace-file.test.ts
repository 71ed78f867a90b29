// The recorder's files and `--verify`: real files in a temp folder.
import { afterEach, describe, expect, it } from 'vitest'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Recorder } from '../../../src/main/lab/recorder'
import { chainHash, sealLine, unsealLine } from '../../../src/main/lab/hash-chain'
import { loadTrace, loadTraceText } from '../../../src/main/lab/trace-file'
import { defaultClusterConfig } from '../../../src/shared/config'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function record(n: number): { dir: string; rec: Recorder } {
  const dir = mkdtempSync(join(tmpdir(), 'raftlab-rec-'))
  dirs.push(dir)
  const rec = new Recorder({
    dir,
    config: defaultClusterConfig({ nodes: 3 }),
    seed: 7,
    scenario: 'unit',
    versions: { raftlab: 'test' },
    nodeIds: ['n1', 'n2', 'n3']
  })
  for (let i = 0; i < n; i++) rec.record({ kind: 'note', text: `event ${i}` })
  return { dir, rec }
}

describe('hash chain', () => {
  it('seals and unseals a line', () => {
    const { line, h } = sealLine('abc', '{"a":1}')
    expect(line).toBe(`{"a":1,"h":"${h}"}`)
    expect(unsealLine(line)).toEqual({ unhashed: '{"a":1}', h })
    expect(h).toBe(chainHash('abc', '{"a":1}'))
    expect(unsealLine('{"a":1}')).toBeNull()
  })
})

describe('recorder and verify', () => {
  it('writes a header and stamped events that verify as closed', async () => {
    const { dir, rec } = record(50)
    rec.close()
    const t = await loadTrace(dir, { verify: true })
    expect(t.problems).toEqual([])
    expect(t.header).toMatchObject({ kind: 'header', scenario: 'unit', seed: 7 })
    expect(t.events.map((e) => e.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1))
    expect(t.verify).toEqual({ ok: true, problems: [], completeness: 'closed' })
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'))
    expect(manifest).toMatchObject({ closed: true, lines: 51 })
  })

  it('detects an edited line, a removed line and a truncated tail', async () => {
    const { dir, rec } = record(20)
    rec.close()
    const file = join(dir, 'trace.jsonl')
    const original = readFileSync(file, 'utf8')
    writeFileSync(file, original.replace('"event 7"', '"event 8"'))
    let t = await loadTrace(dir, { verify: true })
    expect(t.verify?.ok).toBe(false)
    expect(t.verify?.problems[0]).toMatchObject({ line: 9 })

    const lines = original.trimEnd().split('\n')
    writeFileSync(file, [...lines.slice(0, 5), ...lines.slice(6)].join('\n') + '\n')
    t = await loadTrace(dir, { verify: true })
    expect(t.verify?.problems[0]?.message).toMatch(/hash chain broken/)

    writeFileSync(file, lines.slice(0, 15).join('\n') + '\n')
    t = await loadTrace(dir, { verify: true })
    expect(t.verify?.ok).toBe(false)
    expect(t.verify?.problems.map((p) => p.message).join()).toMatch(
      /truncated: manifest.json records 21 lines, the trace has 15/
    )
  })

  it('a trace without its manifest verifies its chain but cannot tell truncation', async () => {
    const { dir, rec } = record(5)
    rec.close()
    const text = readFileSync(join(dir, 'trace.jsonl'), 'utf8')
    const t = await loadTraceText(text.split('\n').slice(0, 3).join('\n'), 'x.jsonl', {
      verify: true
    })
    expect(t.verify).toEqual({ ok: true, problems: [], completeness: 'unknown' })
  })

  it('reports malformed lines with their numbers and keeps going', async () => {
    const { dir, rec } = record(3)
    rec.close()
    const lines = readFileSync(join(dir, 'trace.jsonl'), 'utf8').trimEnd().split('\n')
    lines[2] = '{"seq":2,"t":1,"kind":"nope"}'
    lines.push('not json at all')
    const t = await loadTraceText(lines.join('\n'), 'bad.jsonl')
    expect(t.problems).toEqual([
      { line: 3, message: expect.stringMatching(/^bad event "nope": kind: /) },
      { line: 5, message: 'not JSON' }
    ])
    const h = await loadTraceText('{"kind":"header"}\n', 'h.jsonl')
    expect(h.problems[0]?.message).toMatch(/^not a Raft Lab trace header: schema/)
  })
})
