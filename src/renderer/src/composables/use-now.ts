// A clock for animations (timer arcs): the experiment time shown, advanced
// smoothly between event batches while following a live run.
import { onUnmounted, ref, type Ref } from 'vue'

export function useNow(base: () => { t: number; live: boolean }): Ref<number> {
  const now = ref(base().t)
  let lastBase = base().t
  let baseAt = performance.now()
  let handle = 0
  const tick = (): void => {
    const b = base()
    if (b.t !== lastBase) {
      lastBase = b.t
      baseAt = performance.now()
    }
    // Between batches a live run keeps going; cap the guess so a stalled lab does not run away.
    now.value = b.live ? b.t + Math.min(performance.now() - baseAt, 1000) : b.t
    handle = requestAnimationFrame(tick)
  }
  handle = requestAnimationFrame(tick)
  onUnmounted(() => cancelAnimationFrame(handle))
  return now
}
