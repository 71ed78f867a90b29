// `raftlab check`, `--verify`, `grade` and bad input, on traces recorded by real runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { SCENARIOS, killMentioning, lastJson, removeTempDirs, runCli, tempDir } from './helpers'

let dir = ''
let good = ''
let buggy = ''

beforeAll(async () => {
  dir = tempDir()
  good = join(dir, 'good')
  buggy = join(dir, 'buggy')
  const a = await runCli(['run', join(SCENARIOS, '01-initial-election.yaml'), '--out', good])
  expect(a.code, a.stderr).toBe(0)
  const b = await runCli(['run', join(SCENARIOS, '09b-stale-read-bug.yaml'), '--out', buggy])
  expect(b.code, b.stderr).toBe(1)
}, 120_000)

afterAll(() => {
  killMentioning(dir)
  removeTempDirs()
})

describe('raftlab check', () => {
  it('passes a good trace, with --verify, JSON and a self-contained HTML report', async () => {
    const html = join(dir, 'report.html')
    const r = await runCli(['check', good, '--verify', '--json', '--html', html])
    expect(r.code, r.stderr).toBe(0)
    const json = lastJson(r)
    expect(json).toMatchObject({
      ok: true,
      linearizable: true,
      verify: { ok: true, completeness: 'closed' }
    })
    expect(json.summary).toMatchObject({ maxLeadersPerTerm: 1 })
    const page = readFileSync(html, 'utf8')
    expect(page).toMatch(/<h2>Linearizability<\/h2>/)
    expect(page).not.toMatch(/<script|<link|src="http/)
  })

  it('fails a buggy trace with the failing key named', async () => {
    const r = await runCli(['check', buggy])
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/FAIL linearizable \(\d+ operations; failing keys x\)/)
  })

  it('--verify catches an edited trace and a truncated one', async () => {
    const edited = join(dir, 'edited')
    cpSync(good, edited, { recursive: true })
    const file = join(edited, 'trace.jsonl')
    const text = readFileSync(file, 'utf8')
    writeFileSync(file, text.replace('"value":"1"', '"value":"2"'))
    let r = await runCli(['check', edited, '--verify'])
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/FAIL hash chain/)
    expect(r.stdout).toMatch(/hash chain broken/)

    const lines = text.trimEnd().split('\n')
    writeFileSync(file, lines.slice(0, lines.length - 10).join('\n') + '\n')
    r = await runCli(['check', edited, '--verify'])
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/truncated: manifest.json records \d+ lines/)
  })

  it('exits 2 with the line of a malformed trace', async () => {
    const bad = join(dir, 'bad.jsonl')
    const header = readFileSync(join(good, 'trace.jsonl'), 'utf8').split('\n')[0]
    writeFileSync(bad, `${header}\n{"seq":1,"t":0,"kind":"role","node":"n1"}\n`)
    const r = await runCli(['check', bad])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/bad\.jsonl:2: bad event "role": role: /)
    const missing = await runCli(['check', join(dir, 'nope.jsonl')])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(/no such file/)
  })
})

describe('raftlab run with a bad scenario', () => {
  it('exits 2 naming the file, line and key, with a suggestion', async () => {
    const file = join(dir, 'typo.yaml')
    writeFileSync(file, 'name: t\nduration: 1s\nsteps:\n  - at: 1s\n    isolat: leader\n')
    const r = await runCli(['run', file, '--json'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(
      `${file}:5: steps.0.isolat: unknown key "isolat" (did you mean "isolate"?)`
    )
    expect(lastJson(r)).toMatchObject({ ok: false, out: null })
  })
})

describe('raftlab grade', () => {
  it('grades good, buggy and garbage traces, one row each, with CSV and Gradescope output', async () => {
    const subs = join(dir, 'submissions')
    mkdirSync(subs)
    cpSync(good, join(subs, 'alice'), { recursive: true })
    cpSync(join(buggy, 'trace.jsonl'), join(subs, 'bob.jsonl'))
    writeFileSync(join(subs, 'carol.jsonl'), 'rm -rf /\n{"kind":"header"}\n')
    writeFileSync(join(subs, 'dave.jsonl'), '')
    symlinkSync('/etc/passwd', join(subs, 'eve.jsonl'))
    const csv = join(dir, 'grades.csv')
    const gs = join(dir, 'results.json')
    const r = await runCli(['grade', subs, '--csv', csv, '--gradescope', gs])
    expect(r.code, r.stderr).toBe(1)
    const rows = readFileSync(csv, 'utf8').trim().split('\n')
    expect(rows[0]).toBe(
      'trace,ok,score,max_score,integrity,safety,linearizable,operations,problem'
    )
    expect(rows.slice(1).map((l) => l.split(',').slice(0, 3).join(','))).toEqual([
      'alice,true,3',
      'bob.jsonl,false,2',
      'carol.jsonl,false,0',
      'dave.jsonl,false,0',
      'eve.jsonl,false,0'
    ])
    expect(rows[3]).toMatch(/line 1: not JSON/)
    expect(rows[5]).toMatch(/symbolic link: skipped/)
    const results = JSON.parse(readFileSync(gs, 'utf8'))
    expect(results).toMatchObject({ score: 5, max_score: 15 })
    expect(results.tests[1]).toMatchObject({ name: 'bob.jsonl', status: 'failed', score: 2 })
    expect(results.tests[1].output).toMatch(/linearizable: false/)
  })

  it('checks that traces come from the given scenario', async () => {
    const subs = join(dir, 'one')
    mkdirSync(subs)
    cpSync(good, join(subs, 'alice'), { recursive: true })
    const r = await runCli(['grade', subs, '--scenario', join(SCENARIOS, '09-stale-read.yaml')])
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(
      /trace is from scenario "Initial election", not "Stale reads from a deposed leader"/
    )
    const ok = await runCli(['grade', subs, '--scenario', 'Initial election'])
    expect(ok.code, ok.stdout).toBe(0)
  })
})
