// The engine's parts with real node processes: supervisor, proxy, clients, recorder.
import { afterEach, describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Experiment } from '../../../src/main/lab/experiment'
import { loadTrace } from '../../../src/main/lab/trace-file'
import { defaultClusterConfig } from '../../../src/shared/config'
import {
  NODE_ENTRY,
  alive,
  killMentioning,
  pidsMentioning,
  removeTempDirs,
  tempDir,
  until
} from './helpers'

let exp: Experiment | null = null
let dir = ''

afterEach(async () => {
  await exp?.stop()
  exp = null
  killMentioning(dir)
  removeTempDirs()
})

describe('experiment with real nodes', () => {
  it('elects a leader, serves clients, survives a leader crash, and records it all', async () => {
    dir = tempDir()
    exp = await Experiment.start({
      dir,
      config: defaultClusterConfig({ nodes: 3 }),
      seed: 1,
      scenario: null,
      nodeEntry: NODE_ENTRY
    })
    expect(exp.nodes().map((n) => n.status)).toEqual(['running', 'running', 'running'])
    expect(await until(() => exp!.leader() !== null, 5000)).toBe(true)
    expect(await exp.clientOp({ op: 'put', key: 'a', value: '1' })).toMatchObject({ status: 'ok' })
    expect(await exp.clientOp({ op: 'get', key: 'a' })).toMatchObject({
      status: 'ok',
      output: { value: '1' }
    })
    const old = exp.leader()!
    await exp.nodeAction(old.id, 'crash')
    expect(exp.supervisor.view(old.id).status).toBe('crashed')
    expect(await until(() => (exp!.leader()?.currentTerm ?? 0) > old.currentTerm, 5000)).toBe(true)
    expect(await exp.clientOp({ op: 'put', key: 'a', value: '2' })).toMatchObject({ status: 'ok' })
    await exp.nodeAction(old.id, 'restart')
    expect(exp.supervisor.view(old.id).status).toBe('running')
    const pids = exp.nodes().map((n) => n.pid!)
    await exp.stop()
    expect(pids.filter(alive)).toEqual([])
    expect(pidsMentioning(dir)).toEqual([])

    const trace = await loadTrace(dir, { verify: true })
    expect(trace.problems).toEqual([])
    expect(trace.verify).toMatchObject({ ok: true, completeness: 'closed' })
    const kinds = new Set(trace.events.map((e) => e.kind))
    for (const k of ['proc', 'net', 'role', 'invoke', 'complete', 'commit', 'apply'])
      expect(kinds).toContain(k)
    expect(
      trace.events.some((e) => e.kind === 'proc' && e.action === 'crash' && e.node === old.id)
    ).toBe(true)
    expect(readFileSync(join(dir, 'nodes', `${old.id}.stderr.log`), 'utf8').length).toBeGreaterThan(
      0
    )
  })
})
