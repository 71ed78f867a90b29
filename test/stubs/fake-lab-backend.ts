// A lab engine stand-in for adapter tests: records every call with its (already validated)
// request, answers with a canned status, and lets a test push events or make a command fail.
import type { LabEvent, LabStatus } from '../../src/shared/lab-api'
import { defaultClusterConfig } from '../../src/shared/config'
import { TRACE_SCHEMA, TRACE_VERSION } from '../../src/shared/trace'
import type { LabBackend } from '../../src/main/api/backend'

export function idleStatus(overrides: Partial<LabStatus> = {}): LabStatus {
  return {
    running: false,
    mode: null,
    experimentDir: null,
    config: null,
    startedAt: null,
    elapsedMs: 0,
    nodes: [],
    workload: null,
    scenario: null,
    eventCount: 0,
    ...overrides
  }
}

export interface FakeLabBackend extends LabBackend {
  calls: { name: string; request: unknown }[]
  disposed: number
  /** Commands that reject with this message. */
  failures: Map<string, string>
  emit(event: LabEvent): void
}

export function createFakeLabBackend(): FakeLabBackend {
  const listeners = new Set<(event: LabEvent) => void>()
  const calls: { name: string; request: unknown }[] = []
  const failures = new Map<string, string>()
  const answer = async <T>(name: string, request: unknown, result: T): Promise<T> => {
    calls.push({ name, request })
    const failure = failures.get(name)
    if (failure !== undefined) throw new Error(failure)
    return result
  }
  const status = idleStatus()
  const backend: FakeLabBackend = {
    calls,
    disposed: 0,
    failures,
    emit: (event) => listeners.forEach((l) => l(event)),
    onEvent(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    async dispose() {
      backend.disposed++
    },
    getStatus: (r) => answer('getStatus', r, status),
    startCluster: (r) =>
      answer('startCluster', r, {
        ...status,
        running: true,
        mode: r.mode,
        experimentDir: '/tmp/exp-1'
      }),
    stopCluster: (r) => answer('stopCluster', r, status),
    nodeAction: (r) => answer('nodeAction', r, status),
    network: (r) => answer('network', r, status),
    clientOp: (r) => answer('clientOp', r, { status: 'ok' as const, ms: 1 }),
    startWorkload: (r) => answer('startWorkload', r, status),
    stopWorkload: (r) => answer('stopWorkload', r, status),
    listScenarios: (r) =>
      answer('listScenarios', r, [
        { id: 'leader-crash', name: 'Leader crash', description: 'd', path: '/s.yaml' }
      ]),
    validateScenario: (r) => answer('validateScenario', r, { ok: true, errors: [] }),
    readScenario: (r) => answer('readScenario', r, { path: r.path, text: 'name: x\n' }),
    saveScenario: (r) => answer('saveScenario', r, { path: r.path }),
    runScenario: (r) => answer('runScenario', r, status),
    stopScenario: (r) => answer('stopScenario', r, status),
    exportExperiment: (r) => answer('exportExperiment', r, { path: r.path ?? null }),
    openTrace: (r) =>
      answer('openTrace', r, {
        header: {
          kind: 'header' as const,
          schema: TRACE_SCHEMA,
          version: TRACE_VERSION,
          started: '2026-01-01T00:00:00.000Z',
          source: 'lab' as const,
          config: defaultClusterConfig(),
          seed: null,
          scenario: null,
          versions: {}
        },
        events: 0
      }),
    check: (r) =>
      answer('check', r, {
        safety: [],
        linearizable: true as const,
        operations: 0,
        failingKeys: [],
        summary: {}
      }),
    simControl: (r) => answer('simControl', r, status)
  }
  return backend
}
