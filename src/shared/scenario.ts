// Scenario files: YAML, validated here. Pure (zod + yaml only) so the renderer
// can validate as the student types. Every key is documented in docs/scenarios.md.
import { z } from 'zod'
import { LineCounter, parseDocument, isMap, isPair, isScalar, type Node as YamlNode } from 'yaml'
import {
  clusterConfigSchema,
  fsyncModeSchema,
  teachingBugSchema,
  type ClusterConfig
} from './config'
import { NODE_ACTIONS, type WorkloadConfig } from './lab-api'

/** Scenario files larger than this are refused before parsing. */
export const MAX_SCENARIO_BYTES = 1_000_000

const DURATION_RE = /^(\d+(?:\.\d+)?)\s*(ms|s|m)$/

/** "500ms", "2s", "1m" or a number of milliseconds. */
export const durationSchema = z
  .union([
    z.number().nonnegative(),
    z.string().regex(DURATION_RE, 'expected a duration such as 500ms, 2s or 1m')
  ])
  .transform((v) => {
    if (typeof v === 'number') return v
    const m = DURATION_RE.exec(v) as RegExpExecArray
    const n = Number(m[1])
    return m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000
  })

export const NAMED_SELECTORS = [
  'leader',
  'follower',
  'followers',
  'random',
  'minority',
  'majority',
  'all',
  'crashed',
  'paused'
] as const

/** Who a step acts on: a named selector, a node id (n1…n9), a label (@name) or a list of node ids. */
export const selectorSchema = z.union([
  z.enum(NAMED_SELECTORS),
  z.string().regex(/^n[1-9]$/, 'expected a node id n1…n9'),
  z.string().regex(/^@[A-Za-z][\w-]*$/, 'expected a label such as @old-leader'),
  z.array(z.string().regex(/^n[1-9]$/, 'expected a node id n1…n9')).min(1)
])
export type Selector = z.infer<typeof selectorSchema>

/** A partition group: node ids or selectors, or the word `rest` (every node not yet placed). */
const groupSchema = z.union([
  z.literal('rest'),
  z.array(z.union([z.enum(NAMED_SELECTORS), z.string().regex(/^n[1-9]$/)])).min(1)
])

const linkEnds = {
  from: z.union([z.literal('*'), selectorSchema]).default('*'),
  to: z.union([z.literal('*'), selectorSchema]).default('*')
}
const probability = z.number().min(0).max(1)
const probFault = z.union([
  probability.transform((p) => ({ p, from: '*' as const, to: '*' as const })),
  z.object({ p: probability, ...linkEnds }).strict()
])
const delayFault = z.union([
  durationSchema.transform((ms) => ({ ms, jitter: 0, from: '*' as const, to: '*' as const })),
  z.object({ ms: durationSchema, jitter: durationSchema.default(0), ...linkEnds }).strict()
])
const maxEntriesFault = z.union([
  z
    .number()
    .int()
    .min(0)
    .transform((n) => ({ n, from: '*' as const, to: '*' as const })),
  z.object({ n: z.number().int().min(0), ...linkEnds }).strict()
])
const kvValue = z.string().max(65_536)
const key = z.string().min(1).max(256)
/** Send the operation to this node first (one node: nN, @label, leader, follower or random). */
const via = {
  via: z
    .union([
      z.enum(['leader', 'follower', 'random']),
      z.string().regex(/^n[1-9]$/, 'expected a node id n1…n9'),
      z.string().regex(/^@[A-Za-z][\w-]*$/, 'expected a label such as @old-leader')
    ])
    .optional()
}

export const STEP_ACTIONS = [
  // A step can do to a node whatever the lab's buttons do.
  ...NODE_ACTIONS,
  'restart-all',
  'partition',
  'isolate',
  'heal',
  'loss',
  'delay',
  'duplicate',
  'reorder',
  'max-entries',
  'put',
  'get',
  'cas',
  'wait',
  'workload'
] as const
export type StepAction = (typeof STEP_ACTIONS)[number]

export const CONDITIONS = ['leader', 'no-leader', 'new-leader', 'caught-up'] as const

const conditionSchema = z.union([
  z.enum(CONDITIONS),
  z.object({ commit: z.number().int().nonnegative() }).strict()
])
export type Condition = z.infer<typeof conditionSchema>

const actionFields = {
  crash: selectorSchema,
  restart: selectorSchema,
  pause: selectorSchema,
  resume: selectorSchema,
  stop: selectorSchema,
  wipe: selectorSchema,
  timeout: selectorSchema,
  'restart-all': z.literal(true),
  partition: z.array(groupSchema).min(1),
  isolate: selectorSchema,
  heal: z.literal(true),
  loss: probFault,
  delay: delayFault,
  duplicate: probFault,
  reorder: probFault,
  'max-entries': maxEntriesFault,
  put: z.object({ key, value: kvValue, ...via }).strict(),
  get: z.object({ key, ...via }).strict(),
  cas: z.object({ key, from: kvValue.nullable(), to: kvValue, ...via }).strict(),
  wait: durationSchema,
  workload: z.enum(['start', 'stop'])
}

export const STEP_KEYS = ['at', 'when', 'within', 'else', 'label', 'note', ...STEP_ACTIONS] as const

export const stepSchema = z
  .object({
    /** Not before this time since the start. */
    at: durationSchema.optional(),
    /** Then wait until this holds … */
    when: conditionSchema.optional(),
    /** … for at most this long (else the step fails). */
    within: durationSchema.optional(),
    /** When `when` does not hold in time: fail the step (default) or run its action anyway. */
    else: z.enum(['fail', 'run']).optional(),
    /** Remember the chosen nodes as @label. */
    label: z
      .string()
      .regex(/^[A-Za-z][\w-]*$/)
      .optional(),
    note: z.string().max(500).optional(),
    ...Object.fromEntries(Object.entries(actionFields).map(([k, s]) => [k, s.optional()]))
  })
  .strict()
  .superRefine((step, ctx) => {
    const present = STEP_ACTIONS.filter((a) => (step as Record<string, unknown>)[a] !== undefined)
    if (present.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message:
          present.length === 0
            ? `a step needs one action (${STEP_ACTIONS.join(', ')})`
            : `a step has exactly one action, found ${present.join(' and ')}`
      })
    }
  })

/** A typed step after parsing: exactly one action. */
export type ScenarioStep = {
  at?: number
  when?: Condition
  within?: number
  else?: 'fail' | 'run'
  label?: string
  note?: string
} & {
  [K in StepAction]?: z.output<(typeof actionFields)[K]>
}

export function stepAction(step: ScenarioStep): StepAction {
  return STEP_ACTIONS.find((a) => step[a] !== undefined) as StepAction
}

/** A range of steps, 1-based, inclusive of the start step's time up to the end step's time. */
const stepRange = z
  .tuple([z.number().int().min(1), z.number().int().min(1)])
  .refine(([a, b]) => a <= b, 'the first step must not come after the second')
const rangeSchema = z.union([
  stepRange.transform((steps) => ({ steps, nodes: undefined as Selector | undefined })),
  z.object({ steps: stepRange, nodes: selectorSchema.optional() }).strict()
])

export const expectSchema = z
  .object({
    safety: z.boolean().optional(),
    linearizable: z.boolean().optional(),
    'leader-within': durationSchema.optional(),
    'no-commit-during': rangeSchema.optional(),
    available: rangeSchema.optional(),
    unavailable: rangeSchema.optional()
  })
  .strict()
export type ScenarioExpect = z.output<typeof expectSchema>

/** The expectations about a range of steps (and the nodes they name). */
export const RANGE_EXPECTATIONS = ['no-commit-during', 'available', 'unavailable'] as const
export type RangeExpectation = (typeof RANGE_EXPECTATIONS)[number]

const clusterSchema = z
  .object({
    nodes: z.number().int().min(1).max(9).optional(),
    'election-timeout': z
      .tuple([z.number().int().positive(), z.number().int().positive()])
      .refine(([lo, hi]) => lo <= hi, 'the minimum must not exceed the maximum')
      .optional(),
    heartbeat: z.number().int().positive().optional(),
    fsync: fsyncModeSchema.optional(),
    'read-mode': z.enum(['readindex', 'log']).optional(),
    prevote: z.boolean().optional(),
    bug: teachingBugSchema.nullable().optional(),
    'node-command': z.array(z.string().min(1)).min(1).nullable().optional()
  })
  .strict()

const workloadSchema = z
  .object({
    clients: z.number().int().min(1).max(256).optional(),
    rate: z.number().min(0).max(100_000).optional(),
    keys: z.number().int().min(1).max(10_000).optional(),
    mix: z
      .object({
        put: z.number().min(0).default(0),
        get: z.number().min(0).default(0),
        cas: z.number().min(0).default(0)
      })
      .strict()
      .refine((m) => m.put + m.get + m.cas > 0, 'at least one of put, get, cas must be above 0')
      .optional(),
    'value-size': z.number().int().min(1).max(65_536).optional(),
    timeout: durationSchema.optional()
  })
  .strict()

export const scenarioSchema = z
  .object({
    name: z.string().min(1).max(200),
    description: z.string().max(5000).default(''),
    /** What the student should watch for. */
    observe: z.string().max(5000).default(''),
    cluster: clusterSchema.default({}),
    workload: workloadSchema.nullable().default(null),
    duration: durationSchema.refine((ms) => ms > 0 && ms <= 600_000, 'between 1ms and 10m'),
    seed: z.number().int().default(1),
    steps: z.array(stepSchema).max(1000).default([]),
    expect: expectSchema.default({})
  })
  .strict()

export interface Scenario {
  name: string
  description: string
  observe: string
  cluster: ClusterConfig
  workload: WorkloadConfig | null
  durationMs: number
  seed: number
  steps: ScenarioStep[]
  expect: ScenarioExpect
}

export interface ScenarioError {
  line: number | null
  /** Dotted path of the key, e.g. steps.2.crash */
  key: string
  message: string
}

export type ScenarioParse =
  { ok: true; scenario: Scenario } | { ok: false; errors: ScenarioError[] }

/** Levenshtein distance, for "did you mean …". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j] as number
      row[j] = Math.min(
        (row[j] as number) + 1,
        (row[j - 1] as number) + 1,
        prev + (a[i - 1] === b[j - 1] ? 0 : 1)
      )
      prev = cur
    }
  }
  return row[b.length] as number
}

export function didYouMean(word: string, candidates: readonly string[]): string | null {
  let best: string | null = null
  let bestD = Infinity
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase())
    if (d < bestD) {
      bestD = d
      best = c
    }
  }
  return best !== null && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : null
}

/** The keys allowed where an unknown key was found, for "did you mean". */
function keysAt(path: readonly PropertyKey[]): readonly string[] {
  const [first, second] = path
  if (path.length === 0) return Object.keys(scenarioSchema.shape)
  if (first === 'cluster' && path.length === 1) return Object.keys(clusterSchema.shape)
  if (first === 'workload' && path.length === 1) return Object.keys(workloadSchema.shape)
  if (first === 'workload' && second === 'mix') return ['put', 'get', 'cas']
  if (first === 'expect' && path.length === 1) return Object.keys(expectSchema.shape)
  if (first === 'steps' && path.length === 2) return STEP_KEYS
  return []
}

function lineOf(
  doc: ReturnType<typeof parseDocument>,
  lc: LineCounter,
  path: PropertyKey[],
  key?: string
): number | null {
  const parts = path.map((p) => (typeof p === 'symbol' ? String(p) : p))
  // Walk up until a node exists (a missing key reports its parent's line).
  for (let n = parts.length; n >= 0; n--) {
    const at = parts.slice(0, n)
    const node = (at.length === 0 ? doc.contents : doc.getIn(at, true)) as YamlNode | null
    if (!node) continue
    if (key !== undefined && isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key)
      const keyNode = pair && isPair(pair) ? (pair.key as YamlNode | null) : null
      if (keyNode?.range) return lc.linePos(keyNode.range[0]).line
    }
    if (node.range) return lc.linePos(node.range[0]).line
  }
  return null
}

function describeIssue(
  issue: z.core.$ZodIssue,
  value: unknown
): { message: string; key?: string }[] {
  if (issue.code === 'unrecognized_keys') {
    const allowed = keysAt(issue.path)
    return issue.keys.map((k) => {
      const guess = didYouMean(k, allowed)
      const hint = guess
        ? ` (did you mean "${guess}"?)`
        : allowed.length
          ? ` (expected one of: ${allowed.join(', ')})`
          : ''
      return { key: k, message: `unknown key "${k}"${hint}` }
    })
  }
  if (issue.code === 'invalid_union') {
    // Prefer the branch that got furthest: a selector typo reads better as "did you mean leader".
    if (typeof value === 'string') {
      const words = [...NAMED_SELECTORS, ...CONDITIONS, 'rest', 'start', 'stop']
      const guess = didYouMean(value, words)
      if (guess) return [{ message: `"${value}" is not valid here (did you mean "${guess}"?)` }]
    }
    const inner = issue.errors.flat()[0]
    if (inner) return [{ message: inner.message }]
  }
  if (issue.code === 'invalid_value' && typeof value === 'string') {
    const options = issue.values.map(String)
    const guess = didYouMean(value, options)
    return [
      {
        message: `"${value}" is not one of ${options.join(', ')}${guess ? ` (did you mean "${guess}"?)` : ''}`
      }
    ]
  }
  return [{ message: issue.message }]
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined
    v = (v as Record<PropertyKey, unknown>)[p]
  }
  return v
}

function toWorkload(w: z.output<typeof workloadSchema>): WorkloadConfig {
  return {
    clients: w.clients ?? 4,
    rate: w.rate ?? 20,
    keys: w.keys ?? 5,
    mix: w.mix ?? { put: 0.5, get: 0.4, cas: 0.1 },
    valueSize: w['value-size'] ?? 8,
    timeoutMs: w.timeout ?? 1000
  }
}

function toCluster(c: z.output<typeof clusterSchema>): ClusterConfig {
  return clusterConfigSchema.parse({
    nodes: c.nodes,
    electionTimeoutMs: c['election-timeout'],
    heartbeatMs: c.heartbeat,
    fsync: c.fsync,
    readMode: c['read-mode'],
    prevote: c.prevote,
    bug: c.bug,
    nodeCommand: c['node-command']
  })
}

/** Node ids a selector names literally, to check they exist in the cluster. */
function literalNodes(value: unknown): string[] {
  if (typeof value === 'string') return /^n\d+$/.test(value) ? [value] : []
  if (Array.isArray(value)) return value.flatMap(literalNodes)
  if (value && typeof value === 'object') return Object.values(value).flatMap(literalNodes)
  return []
}

/**
 * Parse and validate scenario text. Never throws: problems come back with
 * the line and key they are about.
 */
export function parseScenario(text: string): ScenarioParse {
  if (text.length > MAX_SCENARIO_BYTES) {
    return {
      ok: false,
      errors: [
        { line: null, key: '', message: `file too large (over ${MAX_SCENARIO_BYTES} bytes)` }
      ]
    }
  }
  const lc = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true })
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => ({
        line: e.linePos?.[0]?.line ?? lc.linePos(e.pos[0]).line,
        key: '',
        message: `YAML: ${e.message.split('\n')[0]}`
      }))
    }
  }
  const raw: unknown = doc.toJS({ maxAliasCount: 100 })
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return {
      ok: false,
      errors: [
        { line: 1, key: '', message: 'a scenario is a YAML mapping (name:, duration:, steps: …)' }
      ]
    }
  }
  const result = scenarioSchema.safeParse(raw)
  if (!result.success) {
    const errors: ScenarioError[] = []
    for (const issue of result.error.issues) {
      const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))
      for (const d of describeIssue(issue, valueAt(raw, path))) {
        const fullPath = d.key !== undefined ? [...path, d.key] : path
        errors.push({
          line: lineOf(doc, lc, path, d.key),
          key: fullPath.join('.'),
          message: d.message
        })
      }
    }
    errors.sort((a, b) => (a.line ?? 0) - (b.line ?? 0))
    return { ok: false, errors }
  }
  const s = result.data
  const cluster = toCluster(s.cluster)
  const errors: ScenarioError[] = []
  s.steps.forEach((step, i) => {
    for (const id of literalNodes(step)) {
      if (Number(id.slice(1)) > cluster.nodes) {
        errors.push({
          line: lineOf(doc, lc, ['steps', i]),
          key: `steps.${i}`,
          message: `node ${id} does not exist (the cluster has n1…n${cluster.nodes})`
        })
      }
    }
  })
  for (const k of RANGE_EXPECTATIONS) {
    const range = s.expect[k]
    if (range && range.steps[1] > s.steps.length) {
      errors.push({
        line: lineOf(doc, lc, ['expect', k]),
        key: `expect.${k}`,
        message: `step ${range.steps[1]} does not exist (the scenario has ${s.steps.length} steps)`
      })
    }
  }
  if (errors.length > 0) return { ok: false, errors }
  return {
    ok: true,
    scenario: {
      name: s.name,
      description: s.description,
      observe: s.observe,
      cluster,
      workload: s.workload ? toWorkload(s.workload) : null,
      durationMs: s.duration,
      seed: s.seed,
      steps: s.steps as ScenarioStep[],
      expect: s.expect
    }
  }
}

/** `file:line: key: message`, one per error. */
export function formatScenarioErrors(file: string, errors: ScenarioError[]): string[] {
  return errors.map(
    (e) => `${file}${e.line !== null ? `:${e.line}` : ''}: ${e.key ? `${e.key}: ` : ''}${e.message}`
  )
}
