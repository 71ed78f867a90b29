// The simulator's agenda: a binary min-heap ordered by time, then by insertion,
// so two events at the same virtual time always run in the order they were scheduled.

interface Slot<T> {
  time: number
  order: number
  item: T
}

export class EventQueue<T> {
  private readonly heap: Slot<T>[] = []
  private inserted = 0

  get size(): number {
    return this.heap.length
  }

  push(time: number, item: T): void {
    const heap = this.heap
    let i = heap.length
    heap.push({ time, order: this.inserted++, item })
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(heap[i] as Slot<T>, heap[parent] as Slot<T>)) break
      swap(heap, i, parent)
      i = parent
    }
  }

  /** Time of the next event, or undefined when empty. */
  peekTime(): number | undefined {
    return this.heap[0]?.time
  }

  pop(): { time: number; item: T } | undefined {
    const heap = this.heap
    const top = heap[0]
    if (top === undefined) return undefined
    const last = heap.pop() as Slot<T>
    if (heap.length > 0) {
      heap[0] = last
      let i = 0
      for (;;) {
        const left = 2 * i + 1
        const right = left + 1
        let least = i
        if (left < heap.length && before(heap[left] as Slot<T>, heap[least] as Slot<T>))
          least = left
        if (right < heap.length && before(heap[right] as Slot<T>, heap[least] as Slot<T>))
          least = right
        if (least === i) break
        swap(heap, i, least)
        i = least
      }
    }
    return { time: top.time, item: top.item }
  }
}

function before<T>(a: Slot<T>, b: Slot<T>): boolean {
  return a.time < b.time || (a.time === b.time && a.order < b.order)
}

function swap<T>(heap: Slot<T>[], i: number, j: number): void {
  const t = heap[i] as Slot<T>
  heap[i] = heap[j] as Slot<T>
  heap[j] = t
}
