// The frame the views show, but refreshed at most every `ms` while following a
// live run (a replay position is shown at once). For the views that are
// costly to redraw and need not follow every batch: charts, the timeline.
import { onUnmounted, shallowRef, triggerRef, watch, type ShallowRef } from 'vue'
import { useReplayStore, type ViewFrame } from '@renderer/stores/replay'

export function useThrottledFrame(ms: number): ShallowRef<ViewFrame> {
  const replay = useReplayStore()
  const shown = shallowRef<ViewFrame>(replay.frame)
  let timer: ReturnType<typeof setTimeout> | null = null
  let lastAt = -Infinity

  function show(frame: ViewFrame): void {
    lastAt = performance.now()
    shown.value = frame
    // The live state is mutated in place: the same object must still count as a change.
    triggerRef(shown)
  }

  watch(
    () => replay.frame,
    (frame) => {
      if (!frame.live) {
        if (timer) clearTimeout(timer)
        timer = null
        show(frame)
        return
      }
      if (timer) return
      timer = setTimeout(
        () => {
          timer = null
          show(replay.frame)
        },
        Math.max(0, lastAt + ms - performance.now())
      )
    }
  )
  onUnmounted(() => {
    if (timer) clearTimeout(timer)
  })
  return shown
}
