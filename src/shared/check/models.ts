// The sequential specifications the linearizability checker tests histories
// against. Both models hold one value per key; the checker partitions the kv
// model's history by key (P-compositionality), the register model is one cell.
// A key's operations are compiled to integers once, so the search steps through
// them without allocating.
import type { HistoryOperation, KvInput, KvOutput } from '../history'

export const MODEL_NAMES = ['kv', 'register'] as const
/** kv: the lab's store, keys independent. register: one compare-and-set cell (Jepsen's etcd test). */
export type ModelName = (typeof MODEL_NAMES)[number]

/**
 * What a key that was never written reads as: null in the lab; "" in Porcupine's
 * kv histories, where a missing key and an empty value cannot be told apart.
 */
export type MissingValue = null | ''

/** The register model's single cell, named in results and views. */
export const REGISTER_KEY = 'register'

/** A key's slice of the history, in history order. */
export interface KeyHistory {
  key: string
  ops: HistoryOperation[]
}

/** Split a history into the parts the model lets the checker check independently. */
export function partitionHistory(ops: readonly HistoryOperation[], model: ModelName): KeyHistory[] {
  if (model === 'register') return ops.length === 0 ? [] : [{ key: REGISTER_KEY, ops: [...ops] }]
  const byKey = new Map<string, HistoryOperation[]>()
  for (const op of ops) {
    const list = byKey.get(op.input.key)
    if (list) list.push(op)
    else byKey.set(op.input.key, [op])
  }
  return [...byKey].map(([key, keyOps]) => ({ key, ops: keyOps }))
}

const GET = 0
const PUT = 1
const CAS = 2
const APPEND = 3
/** An output the history does not know (indeterminate op, or a cas whose outcome was not reported). */
const ANY = -1
/** step() result: the operation cannot take effect in this state with this output. */
export const ILLEGAL = -1
/** The state of a key never written. */
const MISSING = 0
/** Probe id of a read of a missing key (null). */
const NULL_PROBE = 0
/** A state whose value equals no probe. */
const NO_PROBE = -2
const NO_CANDIDATES = new Int32Array(0)

/**
 * One key's operations as integers, and the model's transition function over
 * them. Operation k is ops[k]. A state is an id: the missing key, a written
 * value, or a state followed by an appended value. Appends are not
 * concatenated: each state keeps the "probes" (values that reads return and
 * cas compares with) its value is still a prefix of, so a read is one
 * comparison and a new state costs a few startsWith calls, however long the
 * value grows. Two append orders that spell the same string get different ids:
 * the search then merges fewer states, which costs time, never correctness.
 */
export class CompiledKey {
  readonly size: number
  readonly initial = MISSING
  private readonly kind: Uint8Array
  private readonly arg: Int32Array
  private readonly arg2: Int32Array
  private readonly out: Int32Array
  /** Probe id → string; id 0 stands for null. */
  private readonly probes: string[] = ['']
  private readonly probeIds = new Map<string, number>()
  /** Written and appended values: text id → string. */
  private readonly texts: string[] = []
  private readonly textIds = new Map<string, number>()
  /** Text id → the state holding exactly that written value. */
  private readonly written = new Map<number, number>()
  /** state * texts.length + text id → the state after appending the text. */
  private readonly children = new Map<number, number>()
  // Per state: the probe its value equals, its length, the probes it is a prefix of,
  // and how to spell it (parent state, or -1 for a written value, and a text id).
  private exact = new Int32Array(64)
  private length = new Int32Array(64)
  private parent = new Int32Array(64)
  private piece = new Int32Array(64)
  private candidates: Int32Array[] = []
  private count = 0

  constructor(
    ops: readonly HistoryOperation[],
    private readonly missing: MissingValue
  ) {
    const n = ops.length
    this.size = n
    this.kind = new Uint8Array(n)
    this.arg = new Int32Array(n)
    this.arg2 = new Int32Array(n)
    this.out = new Int32Array(n)
    // Probes first: every state, created from here on, is matched against all of them.
    const probes = ops.map((op) => this.probeOf(op))
    const everyProbe = Int32Array.from({ length: this.probes.length - 1 }, (_, i) => i + 1)
    const missingEquals = missing === null ? NULL_PROBE : (this.probeIds.get('') ?? NO_PROBE)
    this.addState(-1, -1, 0, everyProbe, missingEquals)
    ops.forEach((op, k) => this.compile(k, op, probes[k]!))
  }

  /** The probe an op reads or compares with; ANY if none. */
  private probeOf({ input, output }: HistoryOperation): number {
    if (input.op === 'get') return output === undefined ? ANY : this.probe(output.value ?? null)
    if (input.op === 'cas') return this.probe(input.from)
    return ANY
  }

  private probe(value: string | null): number {
    const text = value ?? (this.missing === '' ? '' : null)
    if (text === null) return NULL_PROBE
    let id = this.probeIds.get(text)
    if (id === undefined) {
      id = this.probes.length
      this.probes.push(text)
      this.probeIds.set(text, id)
    }
    return id
  }

  private compile(k: number, { input, output }: HistoryOperation, probe: number): void {
    switch (input.op) {
      case 'get':
        this.kind[k] = GET
        this.out[k] = probe
        return
      case 'put':
        this.kind[k] = PUT
        this.arg[k] = this.writtenState(input.value)
        return
      case 'append':
        this.kind[k] = APPEND
        this.arg[k] = this.text(input.value)
        return
      case 'cas':
        this.kind[k] = CAS
        this.arg[k] = probe
        this.arg2[k] = this.writtenState(input.to)
        this.out[k] = output?.swapped === undefined ? ANY : output.swapped ? 1 : 0
        return
    }
  }

  private text(value: string): number {
    let id = this.textIds.get(value)
    if (id === undefined) {
      id = this.texts.length
      this.texts.push(value)
      this.textIds.set(value, id)
    }
    return id
  }

  private writtenState(value: string): number {
    const text = this.text(value)
    let state = this.written.get(text)
    if (state === undefined) {
      state = this.extend(MISSING, text, -1)
      this.written.set(text, state)
    }
    return state
  }

  /** A new state: `text` appended to `from`'s value; with parent -1 the value is `text` alone. */
  private extend(from: number, text: number, parent: number): number {
    const piece = this.texts[text]!
    const offset = parent === -1 ? 0 : this.length[from]!
    const length = offset + piece.length
    let exact = NO_PROBE
    const kept: number[] = []
    for (const p of this.candidates[from]!) {
      const probe = this.probes[p]!
      if (!probe.startsWith(piece, offset)) continue
      kept.push(p)
      if (probe.length === length) exact = p
    }
    return this.addState(
      parent,
      text,
      length,
      kept.length ? Int32Array.from(kept) : NO_CANDIDATES,
      exact
    )
  }

  private addState(
    parent: number,
    piece: number,
    length: number,
    candidates: Int32Array,
    exact: number
  ): number {
    const id = this.count++
    if (id === this.exact.length) {
      const grow = (a: Int32Array) => {
        const b = new Int32Array(a.length * 2)
        b.set(a)
        return b
      }
      this.exact = grow(this.exact)
      this.length = grow(this.length)
      this.parent = grow(this.parent)
      this.piece = grow(this.piece)
    }
    this.exact[id] = exact
    this.length[id] = length
    this.parent[id] = parent
    this.piece[id] = piece
    this.candidates.push(candidates)
    return id
  }

  /** The state after operation k from `state`, or ILLEGAL if k's recorded output cannot happen there. */
  step(state: number, k: number): number {
    switch (this.kind[k]) {
      case GET: {
        const seen = this.out[k]!
        return seen === ANY || seen === this.exact[state] ? state : ILLEGAL
      }
      case PUT:
        return this.arg[k]!
      case CAS: {
        const swapped = this.out[k]!
        if (this.exact[state] === this.arg[k]) return swapped === 0 ? ILLEGAL : this.arg2[k]!
        return swapped === 1 ? ILLEGAL : state
      }
      default: {
        const memo = state * this.texts.length + this.arg[k]!
        let next = this.children.get(memo)
        if (next === undefined) {
          next = this.extend(state, this.arg[k]!, state)
          this.children.set(memo, next)
        }
        return next
      }
    }
  }

  /** A state's value; null for a missing key. */
  value(state: number): string | null {
    if (state === MISSING) return this.missing
    const pieces: string[] = []
    for (let s = state; s !== -1 && s !== MISSING; s = this.parent[s]!) {
      pieces.push(this.texts[this.piece[s]!]!)
    }
    return pieces.reverse().join('')
  }
}

/** An indeterminate read: it changes nothing and matches any output, so it needs no place. */
export function isFreeOperation(op: HistoryOperation): boolean {
  return op.input.op === 'get' && op.output === undefined
}

/** A value as the views print it: strings quoted, a missing key as nil. */
export function formatValue(value: string | null | undefined): string {
  return value === null || value === undefined ? 'nil' : JSON.stringify(value)
}

/** `put(x, "1")`, `get(x) → "1"`, `cas(x, "1"→"2") → swapped`; indeterminate outputs print as `?`. */
export function describeOperation(input: KvInput, output: KvOutput | undefined): string {
  const key = input.key
  switch (input.op) {
    case 'get':
      return `get(${key}) → ${output === undefined ? '?' : formatValue(output.value)}`
    case 'put':
      return `put(${key}, ${formatValue(input.value)})${output === undefined ? ' → ?' : ''}`
    case 'append':
      return `append(${key}, ${formatValue(input.value)})${output === undefined ? ' → ?' : ''}`
    case 'cas': {
      const outcome =
        output?.swapped === undefined ? '?' : output.swapped ? 'swapped' : 'not swapped'
      return `cas(${key}, ${formatValue(input.from)}→${formatValue(input.to)}) → ${outcome}`
    }
  }
}
