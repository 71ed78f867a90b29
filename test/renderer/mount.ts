// Mounts a component against a fake LabApi whose trace is already folded in.
import { mount, type ComponentMountingOptions } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import type { Component } from 'vue'
import type { LabCommandName, LabStatus } from '@shared/lab-api'
import type { TraceEvent } from '@shared/trace'
import { useClusterStore } from '@renderer/stores/cluster'
import { createFakeApi, type FakeApi } from './fake-api'
import { idleStatus } from '../stubs/fake-lab-backend'

export function setup(
  options: {
    events?: TraceEvent[]
    status?: Partial<LabStatus>
    results?: Partial<Record<LabCommandName, unknown>>
  } = {}
): FakeApi {
  const pinia = createPinia()
  setActivePinia(pinia)
  const fake = createFakeApi(options.results)
  fake.status = idleStatus({ running: true, ...options.status })
  const cluster = useClusterStore()
  cluster.connect({ real: fake.api, sim: null }, { scheduler: (cb) => cb() })
  if (options.events) fake.emit({ type: 'events', replay: false, events: options.events })
  fake.emit({ type: 'status', status: fake.status })
  return fake
}

export function mountIn<C extends Component>(
  component: C,
  options: ComponentMountingOptions<C> = {} as ComponentMountingOptions<C>
) {
  return mount(component, { attachTo: document.body, ...options })
}

export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve()
  await new Promise((r) => setTimeout(r, 0))
}
