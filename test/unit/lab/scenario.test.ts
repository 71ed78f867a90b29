import { describe, expect, it } from 'vitest'
import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { didYouMean, formatScenarioErrors, parseScenario } from '../../../src/shared/scenario'

const DIR = resolve(import.meta.dirname, '../../../resources/scenarios')

function errorsOf(text: string): string[] {
  const r = parseScenario(text)
  if (r.ok) throw new Error('expected errors')
  return formatScenarioErrors('s.yaml', r.errors)
}

describe('scenario schema', () => {
  it('accepts every built-in scenario', () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml'))
    expect(files.length).toBeGreaterThanOrEqual(10)
    for (const f of files) {
      const r = parseScenario(readFileSync(join(DIR, f), 'utf8'))
      expect(r.ok ? [] : formatScenarioErrors(f, r.errors)).toEqual([])
    }
  })

  it('turns kebab-case keys into the cluster and workload configs, durations into ms', () => {
    const r = parseScenario(
      [
        'name: t',
        'duration: 2s',
        'cluster: { nodes: 3, election-timeout: [100, 200], read-mode: log, bug: stale-read }',
        'workload: { clients: 2, value-size: 16, timeout: 500ms }',
        'steps:',
        '  - at: 1.5s',
        '    crash: leader',
        '  - loss: 0.2',
        'expect: { leader-within: 1m, available: [1, 2] }'
      ].join('\n')
    )
    if (!r.ok) throw new Error(JSON.stringify(r.errors))
    expect(r.scenario.durationMs).toBe(2000)
    expect(r.scenario.cluster).toMatchObject({
      nodes: 3,
      electionTimeoutMs: [100, 200],
      readMode: 'log',
      bug: 'stale-read',
      fsync: 'always'
    })
    expect(r.scenario.workload).toMatchObject({
      clients: 2,
      valueSize: 16,
      timeoutMs: 500,
      rate: 20
    })
    expect(r.scenario.steps[0]).toMatchObject({ at: 1500, crash: 'leader' })
    expect(r.scenario.steps[1]).toMatchObject({ loss: { p: 0.2, from: '*', to: '*' } })
    expect(r.scenario.expect['leader-within']).toBe(60_000)
  })

  it('names the line and key of a typo, with a suggestion', () => {
    const text = [
      'name: t',
      'duration: 1s',
      'steps:',
      '  - at: 1s',
      '    partiton: [[n1], [n2]]'
    ].join('\n')
    expect(errorsOf(text)).toContain(
      's.yaml:5: steps.0.partiton: unknown key "partiton" (did you mean "partition"?)'
    )
  })

  it('suggests a selector for a misspelled one and reports the line of the value', () => {
    const text = ['name: t', 'duration: 1s', 'steps:', '  - crash: leder'].join('\n')
    const errors = errorsOf(text)
    expect(
      errors.some(
        (e) => e.startsWith('s.yaml:4: steps.0.crash:') && e.includes('did you mean "leader"')
      )
    ).toBe(true)
  })

  it('rejects unknown top-level and cluster keys, missing fields and bad values', () => {
    const text = ['nam: t', 'duration: soon', 'cluster:', '  nodes: 12', '  fsynk: always'].join(
      '\n'
    )
    const errors = errorsOf(text)
    expect(errors).toContain('s.yaml:1: nam: unknown key "nam" (did you mean "name"?)')
    expect(errors.some((e) => e.startsWith('s.yaml:2: duration:'))).toBe(true)
    expect(errors.some((e) => e.startsWith('s.yaml:4: cluster.nodes:'))).toBe(true)
    expect(errors).toContain('s.yaml:5: cluster.fsynk: unknown key "fsynk" (did you mean "fsync"?)')
  })

  it('suggests the keys of the workload and expect sections', () => {
    const text = [
      'name: t',
      'duration: 1s',
      'workload:',
      '  clints: 2',
      'expect:',
      '  linearisable: true'
    ].join('\n')
    const errors = errorsOf(text)
    expect(errors).toContain(
      's.yaml:4: workload.clints: unknown key "clints" (did you mean "clients"?)'
    )
    expect(errors).toContain(
      's.yaml:6: expect.linearisable: unknown key "linearisable" (did you mean "linearizable"?)'
    )
  })

  it('needs exactly one action per step and existing nodes and steps', () => {
    expect(errorsOf('name: t\nduration: 1s\nsteps:\n  - at: 1s\n').join('\n')).toMatch(
      /s\.yaml:4: .*needs one action/
    )
    expect(
      errorsOf('name: t\nduration: 1s\nsteps:\n  - crash: n1\n    pause: n2\n').join('\n')
    ).toMatch(/exactly one action, found crash and pause/)
    expect(
      errorsOf('name: t\nduration: 1s\ncluster: { nodes: 3 }\nsteps:\n  - crash: n7\n')
    ).toContain('s.yaml:5: steps.0: node n7 does not exist (the cluster has n1…n3)')
    expect(
      errorsOf('name: t\nduration: 1s\nsteps:\n  - crash: n1\nexpect:\n  available: [1, 4]\n')
    ).toContain('s.yaml:6: expect.available: step 4 does not exist (the scenario has 1 steps)')
  })

  it('reports YAML syntax errors with their line, and non-mappings', () => {
    expect(errorsOf('name: t\nsteps: [\n  - a\n').join('\n')).toMatch(/^s\.yaml:\d+: YAML: /)
    expect(errorsOf('- just a list')).toEqual([
      's.yaml:1: a scenario is a YAML mapping (name:, duration:, steps: …)'
    ])
  })

  it('suggests only close words', () => {
    expect(didYouMean('isolat', ['isolate', 'heal'])).toBe('isolate')
    expect(didYouMean('banana', ['isolate', 'heal'])).toBeNull()
  })
})
