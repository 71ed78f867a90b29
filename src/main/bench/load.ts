// Closed-loop load: each client issues its next operation when the previous one ends.
// Bounded by time and by count, so a fast system cannot make a run grow without limit.

export interface OpSample {
  client: number
  /** ms since the run started. */
  startMs: number
  endMs: number
  ok: boolean
}

export interface ClosedLoopOptions {
  clients: number
  durationMs: number
  /** Stop after this many operations in all (default 2 million). */
  maxOps?: number
  /** One operation for `client`; resolves true when it succeeded. A throw counts as a failure. */
  op(client: number): Promise<boolean>
  /** Checked before each operation: true ends the run early. */
  stop?: () => boolean
  /** Wait after a failed operation, so a client facing a dead node does not spin (default 0). */
  pauseAfterFailureMs?: number
}

export interface ClosedLoopResult {
  samples: OpSample[]
  /** ms from start until the last client stopped. */
  elapsedMs: number
}

const DEFAULT_MAX_OPS = 2_000_000

export async function runClosedLoop(options: ClosedLoopOptions): Promise<ClosedLoopResult> {
  const maxOps = options.maxOps ?? DEFAULT_MAX_OPS
  const samples: OpSample[] = []
  const t0 = performance.now()
  const now = () => performance.now() - t0
  let issued = 0
  const client = async (id: number) => {
    while (now() < options.durationMs && issued < maxOps && !options.stop?.()) {
      issued++
      const startMs = now()
      let ok = false
      try {
        ok = await options.op(id)
      } catch {
        ok = false
      }
      samples.push({ client: id, startMs, endMs: now(), ok })
      if (!ok && options.pauseAfterFailureMs) await sleep(options.pauseAfterFailureMs)
    }
  }
  await Promise.all(Array.from({ length: options.clients }, (_, i) => client(i)))
  return { samples, elapsedMs: now() }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Polls `check` every `everyMs` until it returns a value, or throws `what` after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined> | T | undefined,
  everyMs = 20
): Promise<T> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (performance.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(everyMs)
  }
}
