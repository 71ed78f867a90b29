// Linearizability checking: Wing & Gong's search with Lowe's memoization, in the
// shape Porcupine uses. Each key's calls and returns form one linked list in
// time order; the search walks it, linearizing a call whenever the model accepts
// it and the (linearized set, state) pair is new, and backtracks when it meets a
// return whose call is not yet linearized. The history is partitioned by key
// first (P-compositionality): keys are independent, and small searches are
// exponentially cheaper than one big one.
import type { History, HistoryOperation } from '../history'
import {
  CompiledKey,
  ILLEGAL,
  isFreeOperation,
  partitionHistory,
  type KeyHistory,
  type MissingValue,
  type ModelName
} from './models'

/** true, false, or 'unknown' when a budget ran out first: never a guess. */
export type Verdict = boolean | 'unknown'

export interface CheckOptions {
  /** Default 'kv'. */
  model?: ModelName
  /** What a never-written key reads as. Default null (the lab's store). */
  missing?: MissingValue
  /** Budget for the whole history; keys not finished in time are 'unknown'. Default: none. */
  timeoutMs?: number
  /** Per key: how many distinct (linearized set, state) pairs the search may remember. */
  maxStates?: number
  /** Search every key to the end even after another key failed (within the time budget). */
  allKeys?: boolean
  /** Clock for the time budget and `ms`, in milliseconds. Default Date.now. */
  now?: () => number
}

export interface KeyResult {
  key: string
  linearizable: Verdict
  /** Ids of the key's operations, in history order. */
  operations: number[]
  /**
   * Op ids in linearization order: a complete linearization when linearizable,
   * otherwise the longest linearizable prefix the search found.
   */
  linearization: number[]
  /** Ops outside `linearization` that need a place (everything but free reads). */
  unplaced: number[]
  /** For a violation: the op no extension of the longest prefix could place (the one whose return came first). */
  firstUnplaced: number | null
  /** Indeterminate reads: no effect and any output, so they need no place and are left out of the search. */
  free: number[]
  /** Distinct (linearized set, state) pairs the search remembered. */
  states: number
  /** Why the verdict is 'unknown'. */
  reason?: 'timeout' | 'state budget' | 'another key failed'
}

export interface LinearizabilityResult {
  linearizable: Verdict
  model: ModelName
  missing: MissingValue
  operations: number
  keys: KeyResult[]
  failingKeys: string[]
  unknownKeys: string[]
  /** Checking time (ms) by options.now. */
  ms: number
}

export const DEFAULT_MAX_STATES = 4_000_000
// Bitset words the memo table may hold per key (4 bytes each): keeps memory bounded for long keys.
const MAX_MEMO_WORDS = 64 * 1024 * 1024
// Search steps a key runs before the next key's turn (and the next look at the clock).
const SLICE = 8192
// After a violation the other keys share this many steps at least (or as many as were spent).
const AFTER_VIOLATION_MIN_STEPS = 65536
/** The end of a linked list. */
const NONE = -1

/**
 * Check a history against a model; per key and overall. Keys are searched in
 * turns (like Porcupine's parallel goroutines), so a cheap violation in one key
 * is found before an expensive key is finished. Once a key fails, the others
 * get as many steps again as were spent so far (at least 65,536) unless
 * `allKeys` is set; keys left unfinished are 'unknown' ('another key failed').
 */
export function checkLinearizability(
  history: History,
  options: CheckOptions = {}
): LinearizabilityResult {
  const now = options.now ?? Date.now
  const started = now()
  const deadline = options.timeoutMs === undefined ? Infinity : started + options.timeoutMs
  const model = options.model ?? 'kv'
  const missing = options.missing ?? null
  const maxStates = options.maxStates ?? DEFAULT_MAX_STATES
  validateHistory(history)

  const checks = partitionHistory(history, model).map((part) => new KeyCheck(part, missing))
  let running = checks.filter((c) => c.outcome === null)
  let spent = 0
  let stopAt = Infinity
  while (running.length > 0) {
    if (now() >= deadline) {
      for (const c of running) c.stop('timeout')
      break
    }
    if (spent >= stopAt) {
      for (const c of running) c.stop('another key failed')
      break
    }
    for (const c of running) {
      const before = c.steps
      const outcome = c.advance(SLICE, maxStates)
      spent += c.steps - before
      if (outcome?.verdict === false && stopAt === Infinity && !options.allKeys) {
        stopAt = spent + Math.max(spent, AFTER_VIOLATION_MIN_STEPS)
      }
    }
    running = running.filter((c) => c.outcome === null)
  }

  const keys = checks.map((c) => c.result())
  const failingKeys = keys.filter((k) => k.linearizable === false).map((k) => k.key)
  const unknownKeys = keys.filter((k) => k.linearizable === 'unknown').map((k) => k.key)
  return {
    linearizable: failingKeys.length > 0 ? false : unknownKeys.length > 0 ? 'unknown' : true,
    model,
    missing,
    operations: history.length,
    keys,
    failingKeys,
    unknownKeys,
    ms: now() - started
  }
}

/** Operations must have unique ids and return no earlier than they are invoked. */
function validateHistory(history: History): void {
  const seen = new Set<number>()
  for (const op of history) {
    const where = op.source ?? `operation ${op.id}`
    if (seen.has(op.id)) throw new Error(`${where}: operation id ${op.id} is used twice`)
    seen.add(op.id)
    if (!Number.isFinite(op.call)) throw new Error(`${where}: invocation time must be finite`)
    if (!(op.ret >= op.call)) {
      throw new Error(`${where}: returns (t=${op.ret}) before it is invoked (t=${op.call})`)
    }
  }
}

type UnknownReason = NonNullable<KeyResult['reason']>

interface SearchOutcome {
  verdict: Verdict
  reason?: UnknownReason
}

/** One key: its free reads set aside, the rest searched. */
class KeyCheck {
  outcome: SearchOutcome | null = null
  private readonly searched: HistoryOperation[] = []
  private readonly free: HistoryOperation[] = []
  private readonly search: KeySearch

  constructor(
    private readonly part: KeyHistory,
    missing: MissingValue
  ) {
    for (const op of part.ops) (isFreeOperation(op) ? this.free : this.searched).push(op)
    this.search = new KeySearch(this.searched, missing)
  }

  get steps(): number {
    return this.search.steps
  }

  advance(steps: number, maxStates: number): SearchOutcome | null {
    this.outcome = this.search.advance(steps, maxStates)
    return this.outcome
  }

  stop(reason: UnknownReason): void {
    this.outcome = { verdict: 'unknown', reason }
  }

  result(): KeyResult {
    const outcome = this.outcome ?? { verdict: 'unknown', reason: 'timeout' }
    const longest = this.search.longestFound()
    const placed = new Set(longest)
    const unplaced: number[] = []
    for (let i = 0; i < this.searched.length; i++) if (!placed.has(i)) unplaced.push(i)
    const ids = (indices: Iterable<number>) => Array.from(indices, (i) => this.searched[i]!.id)
    const first = outcome.verdict === false ? this.search.firstToReturn(unplaced) : undefined
    return {
      key: this.part.key,
      linearizable: outcome.verdict,
      operations: this.part.ops.map((op) => op.id),
      linearization: ids(longest),
      unplaced: ids(unplaced),
      firstUnplaced: first === undefined ? null : this.searched[first]!.id,
      free: this.free.map((op) => op.id),
      states: this.search.states,
      ...(outcome.reason ? { reason: outcome.reason } : {})
    }
  }
}

/** Murmur3's finalizer: a bijection on 32-bit ints, so distinct inputs never collide. */
function mix32(x: number): number {
  x ^= x >>> 16
  x = Math.imul(x, 0x85ebca6b)
  x ^= x >>> 13
  x = Math.imul(x, 0xc2b2ae35)
  return (x ^ (x >>> 16)) | 0
}

/**
 * The search over one key, resumable: advance() runs a number of steps and
 * keeps its place. Node i < n is the call of op i, node n + i its return, node
 * 2n the list head; NONE ends the list.
 */
class KeySearch {
  steps = 0
  private readonly n: number
  private readonly next: Int32Array
  private readonly prev: Int32Array
  /** Per op: the position of its return in time order. */
  private readonly returnRank: Int32Array
  /** Per op: a random-looking 32-bit value; a set's hash is the XOR over its members (Zobrist). */
  private readonly zobrist: Int32Array
  private readonly model: CompiledKey
  private readonly memo: MemoTable
  private readonly stackOp: Int32Array
  private readonly stackState: Int32Array
  private readonly longest: Int32Array
  private longestLength = 0
  private depth = 0
  private state: number
  private hash = 0
  private node: number
  private done: SearchOutcome | null = null

  constructor(ops: HistoryOperation[], missing: MissingValue) {
    const n = ops.length
    this.n = n
    this.model = new CompiledKey(ops, missing)
    this.state = this.model.initial
    this.memo = new MemoTable(Math.ceil(n / 32) || 1)
    this.stackOp = new Int32Array(n)
    this.stackState = new Int32Array(n)
    this.longest = new Int32Array(n)
    this.next = new Int32Array(2 * n + 1).fill(NONE)
    this.prev = new Int32Array(2 * n + 1).fill(NONE)
    this.returnRank = new Int32Array(n)
    this.zobrist = new Int32Array(n)
    for (let i = 0; i < n; i++) this.zobrist[i] = mix32(i + 0x9e3779b9)

    // Time order; at equal times calls come first, so touching operations count as concurrent.
    const time = (node: number) => (node < n ? ops[node]!.call : ops[node - n]!.ret)
    const order = Array.from({ length: 2 * n }, (_, i) => i).sort(
      (a, b) => time(a) - time(b) || Number(a >= n) - Number(b >= n) || a - b
    )
    let last = 2 * n
    order.forEach((node, rank) => {
      this.next[last] = node
      this.prev[node] = last
      last = node
      if (node >= n) this.returnRank[node - n] = rank
    })
    this.node = this.next[2 * n]!
  }

  get states(): number {
    return this.memo.size
  }

  /** Op indices of the longest linearization found, in order. */
  longestFound(): Int32Array {
    return this.done?.verdict === true
      ? this.stackOp.slice(0, this.depth)
      : this.longest.slice(0, this.longestLength)
  }

  /** Of these ops, the one whose return comes first: where a stuck search could not get past. */
  firstToReturn(ops: number[]): number | undefined {
    let first: number | undefined
    for (const i of ops) {
      if (first === undefined || this.returnRank[i]! < this.returnRank[first]!) first = i
    }
    return first
  }

  /** Run up to `budget` steps; the outcome when the search is over, else null. */
  advance(budget: number, maxStates: number): SearchOutcome | null {
    if (this.done) return this.done
    const { n, next, prev, model, zobrist, memo, stackOp, stackState, longest } = this
    const head = 2 * n
    const linearized = memo.scratch
    let { depth, state, hash, node } = this
    let steps = 0
    let outcome: SearchOutcome | null = null

    while (steps < budget) {
      if (next[head] === NONE) {
        outcome = { verdict: true }
        break
      }
      steps++
      if (node < n) {
        const after = model.step(state, node)
        if (after !== ILLEGAL) {
          const word = node >>> 5
          const bit = 1 << (node & 31)
          const afterHash = hash ^ zobrist[node]!
          linearized[word]! |= bit
          if (memo.insert(afterHash ^ mix32(after), after)) {
            stackOp[depth] = node
            stackState[depth] = state
            depth++
            if (depth > this.longestLength) {
              longest.set(stackOp.subarray(0, depth))
              this.longestLength = depth
            }
            state = after
            hash = afterHash
            // Lift the call and its return out of the list.
            const ret = node + n
            next[prev[node]!] = next[node]!
            prev[next[node]!] = prev[node]!
            next[prev[ret]!] = next[ret]!
            if (next[ret] !== NONE) prev[next[ret]!] = prev[ret]!
            node = next[head]!
            if (memo.size > maxStates || memo.words > MAX_MEMO_WORDS) {
              outcome = { verdict: 'unknown', reason: 'state budget' }
              break
            }
            continue
          }
          linearized[word]! &= ~bit
        }
        node = next[node]!
      } else {
        // A return whose call is not linearized: this branch is dead.
        if (depth === 0) {
          outcome = { verdict: false }
          break
        }
        depth--
        const call = stackOp[depth]!
        state = stackState[depth]!
        hash ^= zobrist[call]!
        linearized[call >>> 5]! &= ~(1 << (call & 31))
        // Put the call and its return back where they were.
        const ret = call + n
        next[prev[ret]!] = ret
        if (next[ret] !== NONE) prev[next[ret]!] = ret
        next[prev[call]!] = call
        prev[next[call]!] = call
        node = next[call]!
      }
    }
    this.depth = depth
    this.state = state
    this.hash = hash
    this.node = node
    this.steps += steps
    this.done = outcome
    return outcome
  }
}

/**
 * The memo of (linearized set, state) pairs already explored: open addressing
 * over a flat arena of bitsets, so nothing is allocated per entry. A slot holds
 * (hash, entry + 1) side by side so a probe touches one cache line. `scratch`
 * is the working bitset; insert() stores a copy of it.
 */
class MemoTable {
  readonly scratch: Uint32Array
  size = 0
  private mask = 1023
  /** Per slot: [hash, entry index + 1]; 0 = empty. */
  private slots = new Int32Array(2 * 1024)
  private entryStates = new Int32Array(1024)
  private arena: Uint32Array

  constructor(private readonly width: number) {
    this.scratch = new Uint32Array(width)
    this.arena = new Uint32Array(width * 1024)
  }

  get words(): number {
    return this.size * this.width
  }

  /** Remember (scratch, state) under `hash`; false if it was already there. */
  insert(hash: number, state: number): boolean {
    const { width, scratch, arena, slots, entryStates, mask } = this
    let slot = hash & mask
    for (let entry = slots[2 * slot + 1]!; entry !== 0; entry = slots[2 * slot + 1]!) {
      if (slots[2 * slot] === hash && entryStates[entry - 1] === state) {
        const base = (entry - 1) * width
        let w = 0
        while (w < width && arena[base + w] === scratch[w]) w++
        if (w === width) return false
      }
      slot = (slot + 1) & mask
    }
    const index = this.size++
    if (this.size * width > arena.length) {
      const grown = new Uint32Array(arena.length * 2)
      grown.set(arena)
      this.arena = grown
      const states = new Int32Array(entryStates.length * 2)
      states.set(entryStates)
      this.entryStates = states
    }
    this.arena.set(scratch, index * width)
    this.entryStates[index] = state
    slots[2 * slot] = hash
    slots[2 * slot + 1] = index + 1
    if (this.size * 2 > mask) this.grow()
    return true
  }

  private grow(): void {
    const old = this.slots
    const capacity = (this.mask + 1) * 2
    const mask = capacity - 1
    const slots = new Int32Array(2 * capacity)
    for (let i = 0; i < old.length; i += 2) {
      if (old[i + 1] === 0) continue
      let slot = old[i]! & mask
      while (slots[2 * slot + 1] !== 0) slot = (slot + 1) & mask
      slots[2 * slot] = old[i]!
      slots[2 * slot + 1] = old[i + 1]!
    }
    this.slots = slots
    this.mask = mask
  }
}

/** The model's state after each operation of a linearization (for views): values, null = missing. */
export function statesAlong(
  ops: readonly HistoryOperation[],
  missing: MissingValue
): (string | null)[] {
  const compiled = new CompiledKey(ops, missing)
  const values: (string | null)[] = []
  let state = compiled.initial
  for (let k = 0; k < ops.length; k++) {
    const after = compiled.step(state, k)
    // A linearization is valid by construction; stop rather than invent states if it is not.
    if (after === ILLEGAL) break
    state = after
    values.push(compiled.value(state))
  }
  return values
}
