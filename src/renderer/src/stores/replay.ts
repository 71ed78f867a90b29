// Which instant the views show: the live tail, or a replay position.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { ClusterState } from '@renderer/model/cluster-state'
import { useClusterStore } from './cluster'

export interface ViewFrame {
  state: ClusterState
  /** The instant shown (ms since the experiment started). */
  t: number
  live: boolean
}

export const useReplayStore = defineStore('replay', () => {
  const cluster = useClusterStore()
  /** null: follow the live tail. */
  const position = ref<number | null>(null)

  const start = computed(() => {
    void cluster.version
    return cluster.timeline.startT
  })
  const end = computed(() => {
    void cluster.version
    return cluster.timeline.endT
  })

  // A fresh frame object on every change, so views that derive from it re-run
  // even while the live state is mutated in place.
  const frame = computed<ViewFrame>(() => {
    void cluster.version
    const tl = cluster.timeline
    if (position.value === null) return { state: tl.live, t: tl.endT, live: true }
    const t = Math.min(Math.max(position.value, tl.startT), tl.endT)
    return { state: tl.stateAt(t), t, live: false }
  })

  function seek(t: number): void {
    position.value = t
  }

  function follow(): void {
    position.value = null
  }

  /** Step the replay position by `ms` (negative goes back); from live, steps back from the end. */
  function stepBy(ms: number): void {
    const from = position.value ?? end.value
    position.value = Math.min(Math.max(from + ms, start.value), end.value)
  }

  return { position, start, end, frame, seek, follow, stepBy }
})
