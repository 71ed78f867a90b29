// The engine facade, as the Electron and WebSocket adapters drive it.
import { afterEach, describe, expect, it } from 'vitest'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createLab, type Lab } from '../../../src/main/lab/lab'
import { parseHistory } from '../../../src/shared/check/history-formats'
import type { LabEvent } from '../../../src/shared/lab-api'
import {
  NODE_ENTRY,
  SCENARIOS,
  killMentioning,
  pidsMentioning,
  removeTempDirs,
  tempDir,
  until
} from './helpers'

let lab: Lab | null = null
let dir = ''

afterEach(async () => {
  await lab?.dispose()
  lab = null
  killMentioning(dir)
  removeTempDirs()
})

describe('Lab facade', () => {
  it('validates requests and scenarios without running anything', async () => {
    dir = tempDir()
    lab = createLab({
      experimentsDir: join(dir, 'exp'),
      scenarioDirs: [SCENARIOS],
      nodeEntry: NODE_ENTRY
    })
    const list = await lab.listScenarios({})
    expect(list.length).toBeGreaterThanOrEqual(10)
    expect(list.every((s) => !s.name.endsWith('(invalid)'))).toBe(true)
    const v = await lab.validateScenario({ text: 'name: x\nduraton: 1s\n', path: '/tmp/x.yaml' })
    expect(v.ok).toBe(false)
    expect(v.errors).toContainEqual({
      line: 2,
      message: 'x.yaml:2: duraton: unknown key "duraton" (did you mean "duration"?)'
    })
    await expect(lab.nodeAction({ node: 'n1', action: 'explode' } as never)).rejects.toThrow(
      /^nodeAction: action: /
    )
    await expect(lab.clientOp({ input: { op: 'get', key: 'a' } })).rejects.toThrow(
      /no cluster is running/
    )
    await expect(lab.readScenario({ path: '/etc/passwd' })).rejects.toThrow(/ends in \.yaml/)
    expect(existsSync(join(dir, 'exp'))).toBe(false)
  })

  it('runs a cluster: events, status, client ops, faults, node actions, exports, check, stop', async () => {
    dir = tempDir()
    lab = createLab({
      experimentsDir: join(dir, 'exp'),
      scenarioDirs: [SCENARIOS],
      nodeEntry: NODE_ENTRY
    })
    const seen: LabEvent[] = []
    lab.onEvent((e) => seen.push(e))
    const started = await lab.startCluster({ config: { nodes: 3 }, seed: 5 })
    expect(started.running).toBe(true)
    expect(started.nodes.map((n) => n.status)).toEqual(['running', 'running', 'running'])
    expect(seen[0]).toMatchObject({ type: 'reset', replay: false })
    expect(
      await until(
        () =>
          seen.some(
            (e) =>
              e.type === 'events' && e.events.some((x) => x.kind === 'role' && x.role === 'leader')
          ),
        10_000
      )
    ).toBe(true)

    expect(await lab.clientOp({ input: { op: 'put', key: 'a', value: '1' } })).toMatchObject({
      status: 'ok'
    })
    expect(
      await lab.clientOp({ input: { op: 'cas', key: 'a', from: '1', to: '2' } })
    ).toMatchObject({
      status: 'ok',
      output: { swapped: true }
    })
    const leader = (await lab.getStatus({})).nodes.find((n) => n.role === 'leader')!
    await lab.network({ action: 'isolate', node: leader.id })
    expect(await until(() => lab!['exp']!.leader()?.id !== leader.id, 10_000)).toBe(true)
    await lab.network({ action: 'heal' })
    await lab.network({ action: 'link', from: '*', to: '*', fault: { delayMs: 2 } })
    await lab.nodeAction({ node: 'n2', action: 'pause' })
    expect((await lab.getStatus({})).nodes[1]?.status).toBe('paused')
    await lab.nodeAction({ node: 'n2', action: 'resume' })
    await lab.nodeAction({ node: 'n3', action: 'crash' })
    expect((await lab.getStatus({})).nodes[2]?.status).toBe('crashed')
    await lab.nodeAction({ node: 'n3', action: 'restart' })
    await lab.startWorkload({ clients: 2, rate: 20 })
    expect(
      await until(
        () => seen.some((e) => e.type === 'status' && (e.status.workload?.opsPerSec ?? 0) > 0),
        10_000
      )
    ).toBe(true)
    await lab.stopWorkload({})
    expect(await lab.clientOp({ input: { op: 'get', key: 'a' } })).toMatchObject({ status: 'ok' })

    for (const kind of [
      'trace',
      'history-edn',
      'history-lincheck',
      'metrics-csv',
      'report-html'
    ] as const) {
      const path = join(dir, `export-${kind}`)
      expect(await lab.exportExperiment({ kind, path })).toEqual({ path })
    }
    const edn = readFileSync(join(dir, 'export-history-edn'), 'utf8')
    expect(edn).toMatch(
      /^\{:index 0, :time \d+, :type :invoke, :process \d+, :f :write, :value \["a" "1"\]\}$/m
    )
    expect(edn).toMatch(/:f :cas, :value \["a" \["1" "2"\]\]/)
    const lincheck = parseHistory(
      readFileSync(join(dir, 'export-history-lincheck'), 'utf8'),
      'auto',
      'h'
    )
    expect(lincheck.format).toBe('trace')
    expect(lincheck.history.length).toBeGreaterThan(3)
    expect(readFileSync(join(dir, 'export-metrics-csv'), 'utf8')).toMatch(/^second,ops_ok,/)

    const report = await lab.check({})
    expect(report.safety.every((p) => p.ok)).toBe(true)
    expect(report.linearizable).toBe(true)

    const pids = (await lab.getStatus({})).nodes.map((n) => n.pid)
    const stopped = await lab.stopCluster({})
    expect(stopped.running).toBe(false)
    // The live stream holds the whole trace, from the nodes' first events on, without a gap.
    const streamed = seen.flatMap((e) =>
      e.type === 'events' && !e.replay ? e.events.map((x) => x.seq) : []
    )
    expect(streamed.length).toBeGreaterThan(100)
    expect(streamed.every((seq, i) => seq === i + 1)).toBe(true)
    expect(pids.every((p) => p !== null)).toBe(true)
    expect(pidsMentioning(dir)).toEqual([])

    const opened = await lab.openTrace({ path: stopped.experimentDir! })
    expect(opened.events).toBeGreaterThan(100)
    expect(seen.some((e) => e.type === 'reset' && e.replay)).toBe(true)
    expect((await lab.check({ source: 'opened' })).linearizable).toBe(true)
  })

  it('runs a scenario in the background and stops it on request', async () => {
    dir = tempDir()
    lab = createLab({
      experimentsDir: join(dir, 'exp'),
      scenarioDirs: [SCENARIOS],
      nodeEntry: NODE_ENTRY
    })
    const logs: string[] = []
    lab.onEvent((e) => {
      if (e.type === 'log') logs.push(e.message)
    })
    const text = readFileSync(join(SCENARIOS, '02-leader-crash.yaml'), 'utf8').replace(
      'duration: 4s',
      'duration: 60s'
    )
    const s = await lab.runScenario({ text })
    expect(s.scenario).toMatchObject({ name: 'Leader crash and re-election', running: true })
    await expect(lab.runScenario({ text })).rejects.toThrow(/already running/)
    const stopped = await lab.stopScenario({})
    expect(stopped.scenario?.running).toBe(false)
    expect(stopped.running).toBe(false)
    expect(logs.some((l) => /steps: the run was stopped early/.test(l))).toBe(true)
    expect(pidsMentioning(dir)).toEqual([])
  })
})
