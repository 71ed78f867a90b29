// A clock for animations (timer arcs): the experiment time shown, advanced
// between event batches while following a live run. About 15 updates a second
// is smooth enough for an arc and costs a quarter of redrawing every frame.
import { onUnmounted, ref, type Ref } from 'vue'

const TICK_MS = 66

export function useNow(base: () => { t: number; live: boolean }): Ref<number> {
  const now = ref(base().t)
  let lastBase = base().t
  let baseAt = performance.now()
  const tick = (): void => {
    const b = base()
    if (b.t !== lastBase) {
      lastBase = b.t
      baseAt = performance.now()
    }
    // Between batches a live run keeps going; cap the guess so a stalled lab does not run away.
    now.value = b.live ? b.t + Math.min(performance.now() - baseAt, 1000) : b.t
  }
  const handle = setInterval(tick, TICK_MS)
  onUnmounted(() => clearInterval(handle))
  return now
}
