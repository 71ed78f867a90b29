// The scenario being picked, edited and run; validated locally as the student types.
import { defineStore } from 'pinia'
import { computed, ref, watch } from 'vue'
import type { ScenarioInfo } from '@shared/lab-api'
import { formatScenarioErrors, parseScenario } from '@shared/scenario'
import { useClusterStore } from './cluster'

export const useScenarioStore = defineStore('scenario', () => {
  const cluster = useClusterStore()
  const list = ref<ScenarioInfo[]>([])
  const selectedId = ref<string>('')
  const text = ref('')
  const path = ref('')
  /** The text as last loaded or saved, to tell whether there are unsaved edits. */
  const savedText = ref('')

  const validation = computed(() => {
    if (text.value.trim() === '') return { ok: false as const, errors: [], messages: [] }
    const parsed = parseScenario(text.value)
    if (parsed.ok) return { ok: true as const, scenario: parsed.scenario, errors: [], messages: [] }
    const file = path.value.split(/[\\/]/).pop() || 'scenario.yaml'
    return {
      ok: false as const,
      errors: parsed.errors,
      messages: formatScenarioErrors(file, parsed.errors)
    }
  })
  const dirty = computed(() => text.value !== savedText.value)
  const progress = computed(() => cluster.status?.scenario ?? null)

  async function refreshList(): Promise<void> {
    const result = await cluster.call('listScenarios', {})
    if (result) list.value = result
  }

  async function select(id: string): Promise<void> {
    selectedId.value = id
    const info = list.value.find((s) => s.id === id)
    if (!info) return
    const result = await cluster.call('readScenario', { path: info.path })
    if (result) load(result.path, result.text)
  }

  function load(p: string, t: string): void {
    path.value = p
    text.value = t
    savedText.value = t
  }

  async function save(): Promise<boolean> {
    if (!path.value) {
      cluster.error = 'Give the scenario a file path before saving.'
      return false
    }
    const result = await cluster.call('saveScenario', { path: path.value, text: text.value })
    if (result) {
      path.value = result.path
      savedText.value = text.value
    }
    return result !== null
  }

  async function run(): Promise<void> {
    if (!validation.value.ok) {
      cluster.error = validation.value.messages[0] ?? 'Pick or write a scenario first.'
      return
    }
    await cluster.call('runScenario', { text: text.value, path: path.value || undefined })
  }

  async function stop(): Promise<void> {
    await cluster.call('stopScenario', {})
  }

  // File › Open Scenario in the desktop app.
  watch(
    () => cluster.openedScenario,
    (opened) => {
      if (opened) load(opened.path, opened.text)
    }
  )

  return {
    list,
    selectedId,
    text,
    path,
    validation,
    dirty,
    progress,
    refreshList,
    select,
    load,
    save,
    run,
    stop
  }
})
