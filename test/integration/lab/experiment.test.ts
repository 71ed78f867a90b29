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

/** A 3-node experiment (unless `config` says otherwise) of the built node, in a fresh folder. */
async function startExperiment(seed: number, config = defaultClusterConfig({ nodes: 3 })) {
  dir = tempDir()
  exp = await Experiment.start({ dir, config, seed, scenario: null, nodeEntry: NODE_ENTRY })
  return exp
}

describe('experiment with real nodes', () => {
  it('elects a leader, serves clients, survives a leader crash, and records it all', async () => {
    exp = await startExperiment(1)
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

  it('reports an exit nobody asked for, and a wiped node comes back empty and catches up', async () => {
    exp = await startExperiment(2)
    expect(await until(() => exp!.leader() !== null, 5000)).toBe(true)
    for (let i = 0; i < 5; i++) {
      expect(await exp.clientOp({ op: 'put', key: `k${i}`, value: 'v' })).toMatchObject({
        status: 'ok'
      })
    }
    const victim = exp.nodes().find((n) => n.role !== 'leader')!
    process.kill(victim.pid!, 'SIGKILL')
    expect(await until(() => exp!.supervisor.view(victim.id).status === 'exited', 5000)).toBe(true)

    await exp.nodeAction(victim.id, 'wipe')
    await exp.nodeAction(victim.id, 'restart')
    const commit = exp.leader()!.commitIndex
    expect(await until(() => exp!.supervisor.view(victim.id).lastApplied >= commit, 10_000)).toBe(
      true
    )
    await exp.stop()
    const trace = await loadTrace(dir)
    const procs = trace.events.filter((e) => e.kind === 'proc' && e.node === victim.id)
    expect(
      procs.map((e) => (e.kind === 'proc' ? `${e.action}${e.unexpected ? '!' : ''}` : ''))
    ).toEqual(['start', 'exit!', 'wipe', 'restart', 'exit'])
    const recovered = trace.events.filter((e) => e.kind === 'recover' && e.node === victim.id)
    expect(recovered.at(-1)).toMatchObject({ lastIndex: 0, currentTerm: 0 })
  })

  it('runs a node command in place of the built-in node (same arguments)', async () => {
    exp = await startExperiment(
      3,
      defaultClusterConfig({ nodes: 1, nodeCommand: [process.execPath, NODE_ENTRY] })
    )
    expect(await until(() => exp!.leader()?.id === 'n1', 5000)).toBe(true)
    expect(await exp.clientOp({ op: 'put', key: 'a', value: '1' })).toMatchObject({ status: 'ok' })
  })

  it('a workload started again goes on where it stopped: every write is applied once and answered', async () => {
    exp = await startExperiment(4)
    expect(await until(() => exp!.leader() !== null, 5000)).toBe(true)
    const workload = {
      clients: 2,
      rate: 0,
      keys: 3,
      mix: { put: 1, get: 0, cas: 0 },
      valueSize: 8,
      timeoutMs: 1000
    }
    for (let round = 0; round < 2; round++) {
      exp.startWorkload(workload)
      expect(await until(() => (exp!.workload?.opsPerSec() ?? 0) > 20, 5000)).toBe(true)
      await exp.stopWorkload()
    }
    await exp.stop()
    const trace = await loadTrace(dir)
    const completes = trace.events.filter((e) => e.kind === 'complete')
    expect(completes.length).toBeGreaterThan(40)
    // Before: the restarted clients began again at seq 1, which the state machine took for
    // retries of their old writes and answered TIMEOUT ("superseded"), never applying them.
    expect(completes.filter((e) => e.kind === 'complete' && e.status !== 'ok')).toEqual([])
    const opIds = completes.map((e) => (e.kind === 'complete' ? `${e.client}#${e.opId}` : ''))
    expect(new Set(opIds).size).toBe(opIds.length)
    const values = trace.events.flatMap((e) =>
      e.kind === 'invoke' && e.input.op === 'put' ? [e.input.value] : []
    )
    expect(new Set(values).size).toBe(values.length)
  })
})
