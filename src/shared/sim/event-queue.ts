// The simulator's agenda: a binary min-heap ordered by time, then by insertion,
// so two events at the same virtual time always run in the order they were scheduled.
// Kept as three parallel arrays (time, insertion order, item), so that scheduling
// an event allocates nothing: a run schedules tens of thousands of them.

export class EventQueue<T> {
  private readonly times: number[] = []
  private readonly orders: number[] = []
  private readonly items: T[] = []
  private inserted = 0

  get size(): number {
    return this.items.length
  }

  push(time: number, item: T): void {
    const { times, orders, items } = this
    const order = this.inserted++
    let i = items.length
    times.push(time)
    orders.push(order)
    items.push(item)
    // Sift up: move parents down until the slot for the new event is found.
    while (i > 0) {
      const parent = (i - 1) >> 1
      const pt = times[parent] as number
      if (pt < time || (pt === time && (orders[parent] as number) < order)) break
      times[i] = pt
      orders[i] = orders[parent] as number
      items[i] = items[parent] as T
      i = parent
    }
    times[i] = time
    orders[i] = order
    items[i] = item
  }

  /** Time of the next event, or undefined when empty. */
  peekTime(): number | undefined {
    return this.times[0]
  }

  pop(): { time: number; item: T } | undefined {
    const time = this.times[0]
    if (time === undefined) return undefined
    return { time, item: this.take() }
  }

  /** Remove the next event and return its item (its time is peekTime()'s); the queue must not be empty. */
  take(): T {
    const { times, orders, items } = this
    const top = items[0] as T
    const lastTime = times.pop() as number
    const lastOrder = orders.pop() as number
    const lastItem = items.pop() as T
    const n = items.length
    if (n === 0) return top
    // Sift down: the last event takes the root's place and sinks to where it belongs.
    let i = 0
    for (;;) {
      let least = 2 * i + 1
      if (least >= n) break
      const right = least + 1
      if (right < n && before(times, orders, right, least)) least = right
      const lt = times[least] as number
      if (lt > lastTime || (lt === lastTime && (orders[least] as number) > lastOrder)) break
      times[i] = lt
      orders[i] = orders[least] as number
      items[i] = items[least] as T
      i = least
    }
    times[i] = lastTime
    orders[i] = lastOrder
    items[i] = lastItem
    return top
  }
}

function before(times: number[], orders: number[], a: number, b: number): boolean {
  const ta = times[a] as number
  const tb = times[b] as number
  return ta < tb || (ta === tb && (orders[a] as number) < (orders[b] as number))
}
