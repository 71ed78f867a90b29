// The experiment as the lab reports it: status snapshots and the trace, folded
// into a Timeline. Views read the state through the replay store; this store
// owns the LabApi connection and the commands.
import { defineStore } from 'pinia'
import { computed, markRaw, ref, shallowRef } from 'vue'
import type {
  LabApi,
  LabCommandName,
  LabEvent,
  LabRequest,
  LabResults,
  LabStatus
} from '@shared/lab-api'
import type { TraceHeader } from '@shared/trace'
import { Timeline, type TimelineOptions } from '@renderer/model/timeline'
import { nodeIdsFor } from '@renderer/model/cluster-state'

export type LabMode = 'real' | 'sim'

export interface LabConnection {
  real: LabApi | null
  /** Created on first use: the simulator runs in a Web Worker. */
  sim: (() => LabApi) | null
}

/** Decides when a burst of batches is shown: however many arrive, they cost one re-render. */
export type FrameScheduler = (callback: () => void) => void

/** About 25 redraws a second: smooth enough to watch, and leaves the main thread time to fold events. */
const REFRESH_MS = 40
/** Events of an opened trace kept for replay (a live run keeps DEFAULT_TIMELINE_OPTIONS'). */
const OPENED_TRACE_MAX_EVENTS = 2_000_000

/**
 * Scenario files live on the lab engine's disk, which the simulator's worker cannot
 * read: in simulation mode these still go to the real lab when there is one.
 */
const SCENARIO_FILE_COMMANDS: ReadonlySet<LabCommandName> = new Set([
  'listScenarios',
  'readScenario',
  'saveScenario',
  'validateScenario'
])

const defaultScheduler: FrameScheduler = (cb) => {
  setTimeout(() => {
    if (typeof requestAnimationFrame === 'function') requestAnimationFrame(() => cb())
    else cb()
  }, REFRESH_MS)
}

export const useClusterStore = defineStore('cluster', () => {
  const mode = ref<LabMode>('real')
  const status = ref<LabStatus | null>(null)
  /** The live experiment and an opened trace are kept apart: opening one never loses the other. */
  const live = shallowRef({ header: null as TraceHeader | null, timeline: markRaw(new Timeline()) })
  const openedTrace = shallowRef<{ header: TraceHeader | null; timeline: Timeline } | null>(null)
  /** true while the opened trace is on show rather than the live experiment. */
  const opened = ref(false)
  const shown = computed(() => (opened.value && openedTrace.value) || live.value)
  const timeline = computed(() => shown.value.timeline)
  const header = computed(() => shown.value.header)
  /** Bumped whenever the timeline changed; views recompute from it. */
  const version = ref(0)
  const error = ref<string | null>(null)
  const logLines = ref<{ level: 'info' | 'warn' | 'error'; message: string }[]>([])
  /** Events received since connect, for the rate shown in the status bar. */
  const received = ref(0)
  /** Simulation controls as last set (the status snapshot does not carry them). */
  const sim = ref({ paused: false, speed: 1, seed: 1 })
  /** A scenario file the app was asked to show (File › Open Scenario). */
  const openedScenario = ref<{ path: string; text: string } | null>(null)

  const realApi = shallowRef<LabApi | null>(null)
  const simApi = shallowRef<LabApi | null>(null)
  let simFactory: (() => LabApi) | null = null
  let unsubscribe: (() => void) | null = null
  let scheduled = false
  let scheduler: FrameScheduler = defaultScheduler
  let timelineOptions: Partial<TimelineOptions> = {}

  const api = computed<LabApi | null>(() => (mode.value === 'real' ? realApi.value : simApi.value))
  const running = computed(() => status.value?.running ?? false)

  function refresh(): void {
    scheduled = false
    version.value += 1
  }

  function scheduleRefresh(): void {
    if (scheduled) return
    scheduled = true
    scheduler(refresh)
  }

  function newTimeline(h: TraceHeader | null, replay: boolean): Timeline {
    const ids = h ? nodeIdsFor(h.config.nodes) : (status.value?.nodes.map((n) => n.id) ?? [])
    // An opened trace is scrubbed end to end; a live run keeps a recent window (bounded memory).
    const bound = replay ? { maxEvents: OPENED_TRACE_MAX_EVENTS } : {}
    return markRaw(new Timeline(ids, { ...bound, ...timelineOptions }))
  }

  function resetTimeline(h: TraceHeader | null, replay: boolean): void {
    if (replay) {
      openedTrace.value = { header: h, timeline: newTimeline(h, true) }
      opened.value = true
    } else live.value = { header: h, timeline: newTimeline(h, false) }
    refresh()
  }

  function handle(event: LabEvent): void {
    switch (event.type) {
      case 'events': {
        if (event.replay && !openedTrace.value) resetTimeline(null, true)
        const target = event.replay ? openedTrace.value!.timeline : live.value.timeline
        target.append(event.events)
        received.value += event.events.length
        scheduleRefresh()
        break
      }
      case 'status':
        status.value = event.status
        break
      case 'reset':
        resetTimeline(event.header, event.replay)
        break
      case 'log':
        logLines.value = [
          ...logLines.value.slice(-99),
          { level: event.level, message: event.message }
        ]
        break
      case 'scenarioOpened':
        openedScenario.value = { path: event.path, text: event.text }
        break
    }
  }

  /** Show the live experiment again (the opened trace stays loaded). */
  function showLive(): void {
    opened.value = false
    refresh()
  }

  /** Show the opened trace again, if there is one. */
  function showOpened(): void {
    opened.value = openedTrace.value !== null
    refresh()
  }

  /** The simulator's worker may fail to start (e.g. a page without worker support): say so. */
  function createSim(): LabApi | null {
    try {
      return simFactory?.() ?? null
    } catch (e) {
      error.value = `Simulation mode could not start: ${e instanceof Error ? e.message : String(e)}`
      return null
    }
  }

  function subscribe(): void {
    unsubscribe?.()
    unsubscribe = api.value ? api.value.onEvent(handle) : null
  }

  function connect(
    conn: LabConnection,
    options: { scheduler?: FrameScheduler; timeline?: Partial<TimelineOptions> } = {}
  ): () => void {
    realApi.value = conn.real
    simFactory = conn.sim
    simApi.value = null
    scheduler = options.scheduler ?? defaultScheduler
    timelineOptions = options.timeline ?? {}
    mode.value = conn.real ? 'real' : 'sim'
    if (mode.value === 'sim') simApi.value = createSim()
    subscribe()
    if (api.value) void call('getStatus', {})
    return () => {
      unsubscribe?.()
      unsubscribe = null
    }
  }

  /** Call a command; a failure is shown to the student (error) rather than thrown. */
  async function call<K extends LabCommandName>(
    name: K,
    request: LabRequest<K>
  ): Promise<LabResults[K] | null> {
    const target = (SCENARIO_FILE_COMMANDS.has(name) && realApi.value) || api.value
    if (!target) {
      error.value =
        mode.value === 'sim' ? 'The simulator is not available.' : 'Not connected to the lab.'
      return null
    }
    try {
      const method = target[name] as unknown as (r: LabRequest<K>) => Promise<LabResults[K]>
      // Called on the api object: an adapter may be a class instance.
      // An error stays until dismissed or replaced: a background call succeeding must not hide it.
      const result = await method.call(target, request)
      if (isStatus(result)) status.value = result
      return result
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e)
      return null
    }
  }

  /** Switch between real processes and the simulator; a running experiment is stopped first. */
  async function setMode(next: LabMode): Promise<void> {
    if (next === mode.value) return
    if (running.value) await call('stopCluster', {})
    if (next === 'sim' && !simApi.value) simApi.value = createSim()
    mode.value = next
    status.value = null
    opened.value = false
    subscribe()
    resetTimeline(null, false)
    if (api.value) await call('getStatus', {})
  }

  function clearError(): void {
    error.value = null
  }

  return {
    mode,
    status,
    header,
    opened,
    timeline,
    version,
    error,
    logLines,
    received,
    sim,
    openedScenario,
    api,
    running,
    connect,
    call,
    setMode,
    refresh,
    clearError,
    hasOpenedTrace: computed(() => openedTrace.value !== null),
    /** The live experiment's timeline, whatever is on show: actions act on it. */
    liveTimeline: computed(() => live.value.timeline),
    showLive,
    showOpened,
    handle
  }
})

function isStatus(x: unknown): x is LabStatus {
  return typeof x === 'object' && x !== null && 'nodes' in x && 'running' in x && 'eventCount' in x
}
