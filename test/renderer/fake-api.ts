// A LabApi for tests: records every call, answers with a status built from the
// calls, and lets the test push events as the lab would.
import { vi } from 'vitest'
import type { LabApi, LabCommandName, LabEvent, LabStatus } from '@shared/lab-api'
import { idleStatus } from '../stubs/fake-lab-backend'

export interface FakeApi {
  api: LabApi
  calls: { name: LabCommandName; request: unknown }[]
  emit(event: LabEvent): void
  status: LabStatus
  listeners: number
}

export function createFakeApi(results: Partial<Record<LabCommandName, unknown>> = {}): FakeApi {
  const listeners = new Set<(e: LabEvent) => void>()
  const fake: FakeApi = {
    calls: [],
    status: idleStatus(),
    listeners: 0,
    emit(event) {
      for (const l of listeners) l(event)
    },
    api: undefined as unknown as LabApi
  }
  const handler: ProxyHandler<object> = {
    get(_target, prop: string) {
      if (prop === 'onEvent')
        return (l: (e: LabEvent) => void) => {
          listeners.add(l)
          fake.listeners = listeners.size
          return () => {
            listeners.delete(l)
            fake.listeners = listeners.size
          }
        }
      return vi.fn(async (request: unknown) => {
        fake.calls.push({ name: prop as LabCommandName, request })
        if (prop in results) {
          const r = results[prop as LabCommandName]
          if (r instanceof Error) throw r
          return typeof r === 'function' ? (r as (req: unknown) => unknown)(request) : r
        }
        if (prop === 'startCluster') fake.status = { ...fake.status, running: true }
        if (prop === 'stopCluster') fake.status = { ...fake.status, running: false }
        return fake.status
      })
    }
  }
  fake.api = new Proxy({}, handler) as LabApi
  return fake
}
