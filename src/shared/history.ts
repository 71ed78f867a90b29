// A client history: what the linearizability checker reads. Built from a trace's
// `invoke`/`complete` events, or parsed from Jepsen / Porcupine files.

export type KvInput =
  | { op: 'get'; key: string }
  | { op: 'put'; key: string; value: string }
  | { op: 'cas'; key: string; from: string | null; to: string }
  /** Only in imported histories (Porcupine's kv model). */
  | { op: 'append'; key: string; value: string }

/** `value` is what a get read (null = missing key); `swapped` whether a cas applied. */
export interface KvOutput {
  value?: string | null
  swapped?: boolean
}

export interface HistoryOperation {
  /** Unique within the history. */
  id: number
  client: string
  input: KvInput
  /** Invocation time (ms). */
  call: number
  /** Response time (ms); Infinity when indeterminate. */
  ret: number
  /** undefined = indeterminate: it may or may not have taken effect, and matches any output. */
  output: KvOutput | undefined
  /** Where it came from, for error messages and views (e.g. trace seq or file line). */
  source?: string
}

export type History = HistoryOperation[]
