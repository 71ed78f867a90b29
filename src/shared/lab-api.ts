// The LabApi: the one contract between the renderer and the lab engine.
// Each command has a zod schema for its request; the Electron IPC adapter
// (preload + main) and the WebSocket adapter (browser mode) both validate every
// request with these same schemas. Results are plain JSON.
import { z } from 'zod'
import { clusterConfigSchema, type ClusterConfig } from './config'
import { kvInputSchema, linkFaultSchema, type TraceEvent, type TraceHeader } from './trace'
import type { KvOutput } from './history'
import type { Role } from './raft/types'

const nodeId = z.string().min(1).max(64)

export const NODE_ACTIONS = [
  'crash',
  'restart',
  'pause',
  'resume',
  'stop',
  'wipe',
  'timeout'
] as const
export type NodeAction = (typeof NODE_ACTIONS)[number]

export const networkCommandSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('partition'), groups: z.array(z.array(nodeId)).min(1) }),
  z.object({ action: z.literal('isolate'), node: nodeId }),
  z.object({ action: z.literal('heal') }),
  /** Change one directed link (from → to); `*` means every node. */
  z.object({
    action: z.literal('link'),
    from: z.union([nodeId, z.literal('*')]),
    to: z.union([nodeId, z.literal('*')]),
    fault: linkFaultSchema.partial()
  })
])
export type NetworkCommand = z.infer<typeof networkCommandSchema>

export const workloadConfigSchema = z
  .object({
    clients: z.number().int().min(1).max(256).default(4),
    /** Total operations per second across all clients (0 = as fast as they can). */
    rate: z.number().min(0).max(100_000).default(20),
    keys: z.number().int().min(1).max(10_000).default(5),
    mix: z
      .object({
        put: z.number().min(0).default(0.5),
        get: z.number().min(0).default(0.4),
        cas: z.number().min(0).default(0.1)
      })
      .default({ put: 0.5, get: 0.4, cas: 0.1 }),
    valueSize: z.number().int().min(1).max(65_536).default(8),
    timeoutMs: z.number().int().min(10).max(60_000).default(1000)
  })
  .strict()
export type WorkloadConfig = z.infer<typeof workloadConfigSchema>

export const EXPORT_KINDS = [
  'trace',
  'folder',
  'history-edn',
  'history-lincheck',
  'report-html',
  'metrics-csv'
] as const
export type ExportKind = (typeof EXPORT_KINDS)[number]

/** Each command: its request schema. The method names double as IPC channel suffixes. */
export const labCommands = {
  getStatus: z.object({}),
  startCluster: z.object({
    mode: z.enum(['real', 'sim']).default('real'),
    config: clusterConfigSchema.partial().default({}),
    seed: z.number().int().optional()
  }),
  stopCluster: z.object({}),
  nodeAction: z.object({ node: nodeId, action: z.enum(NODE_ACTIONS) }),
  network: networkCommandSchema,
  clientOp: z.object({ input: kvInputSchema }),
  startWorkload: workloadConfigSchema.partial(),
  stopWorkload: z.object({}),
  listScenarios: z.object({}),
  /** Parse and validate scenario text; never runs anything. */
  validateScenario: z.object({ text: z.string().max(1_000_000), path: z.string().optional() }),
  readScenario: z.object({ path: z.string().min(1) }),
  saveScenario: z.object({ path: z.string().min(1), text: z.string().max(1_000_000) }),
  runScenario: z.object({ text: z.string().max(1_000_000), path: z.string().optional() }),
  stopScenario: z.object({}),
  /** path omitted: the Electron adapter asks with a save dialog; browser mode downloads. */
  exportExperiment: z.object({ kind: z.enum(EXPORT_KINDS), path: z.string().optional() }),
  /** Load a trace (file or experiment folder) for replay; its events arrive on the event stream. */
  openTrace: z.object({ path: z.string().optional(), text: z.string().optional() }),
  /** Run the safety checkers and linearizability on the current or opened trace. */
  check: z.object({ source: z.enum(['current', 'opened']).default('current') }),
  /** Simulation mode only. */
  simControl: z.object({
    action: z.enum(['pause', 'resume', 'step']),
    speed: z.number().min(0.01).max(100).optional()
  })
} as const

export type LabCommandName = keyof typeof labCommands
export type LabRequest<K extends LabCommandName> = z.input<(typeof labCommands)[K]>
export type LabParsedRequest<K extends LabCommandName> = z.output<(typeof labCommands)[K]>

export interface NodeView {
  id: string
  status: 'running' | 'paused' | 'crashed' | 'stopped' | 'exited' | 'starting'
  pid: number | null
  exitCode: number | null
  role: Role | null
  currentTerm: number
  votedFor: string | null
  leader: string | null
  commitIndex: number
  lastApplied: number
  lastLogIndex: number
  clientAddress: string | null
}

export interface LabStatus {
  running: boolean
  mode: 'real' | 'sim' | null
  experimentDir: string | null
  config: ClusterConfig | null
  startedAt: string | null
  /** ms since the experiment started. */
  elapsedMs: number
  nodes: NodeView[]
  workload: { running: boolean; opsPerSec: number } | null
  scenario: { name: string; step: number; steps: number; running: boolean } | null
  eventCount: number
}

export interface ScenarioInfo {
  id: string
  name: string
  description: string
  path: string
}

export interface ScenarioValidation {
  ok: boolean
  /** `file:line: message` per problem. */
  errors: { line: number | null; message: string }[]
  name?: string
}

export interface PropertyResult {
  property: string
  ok: boolean
  violations: { message: string; nodes: string[]; term?: number; index?: number; seq?: number }[]
}

export interface CheckReport {
  safety: PropertyResult[]
  linearizable: boolean | 'unknown'
  operations: number
  failingKeys: string[]
  summary: Record<string, number | string>
}

/** Results of each command. */
export interface LabResults {
  getStatus: LabStatus
  startCluster: LabStatus
  stopCluster: LabStatus
  nodeAction: LabStatus
  network: LabStatus
  clientOp: { status: 'ok' | 'fail' | 'info'; output?: KvOutput; error?: string; ms: number }
  startWorkload: LabStatus
  stopWorkload: LabStatus
  listScenarios: ScenarioInfo[]
  validateScenario: ScenarioValidation
  readScenario: { path: string; text: string }
  saveScenario: { path: string }
  runScenario: LabStatus
  stopScenario: LabStatus
  exportExperiment: { path: string | null; text?: string }
  openTrace: { header: TraceHeader; events: number }
  check: CheckReport
  simControl: LabStatus
}

/** The event stream, batched so the renderer keeps up with thousands of events per second. */
export type LabEvent =
  | { type: 'events'; events: TraceEvent[]; replay: boolean }
  | { type: 'status'; status: LabStatus }
  | { type: 'reset'; header: TraceHeader | null; replay: boolean }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  /** The desktop app's File › Open Scenario: show this file in the scenario editor. */
  | { type: 'scenarioOpened'; path: string; text: string }

/** Events per batch when an opened trace is replayed. */
const REPLAY_BATCH = 5000

/** An opened trace on the event stream, as the lab and the simulator send it: a reset, then its events in batches. */
export function replayEvents(header: TraceHeader, events: TraceEvent[]): LabEvent[] {
  const out: LabEvent[] = [{ type: 'reset', header, replay: true }]
  for (let i = 0; i < events.length; i += REPLAY_BATCH)
    out.push({ type: 'events', events: events.slice(i, i + REPLAY_BATCH), replay: true })
  return out
}

/** The renderer's view of the lab: one method per command, plus the event stream. */
export type LabApi = {
  [K in LabCommandName]: (request: LabRequest<K>) => Promise<LabResults[K]>
} & {
  onEvent(listener: (event: LabEvent) => void): () => void
}

/** Electron IPC channel names, one per command. */
export const IPC_CHANNELS = Object.fromEntries(
  Object.keys(labCommands).map((name) => [name, `lab:${name}`])
) as { [K in LabCommandName]: `lab:${K}` }
export const IPC_EVENT_CHANNEL = 'lab:event'

/** Validate a request at a boundary; the message names the command and the field. */
export function parseLabRequest<K extends LabCommandName>(
  name: K,
  request: unknown
): LabParsedRequest<K> {
  const schema = labCommands[name] as unknown as z.ZodType<LabParsedRequest<K>>
  const result = schema.safeParse(request ?? {})
  if (!result.success) {
    const issue = result.error.issues[0]
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : 'request'
    throw new Error(`${name}: ${where}: ${issue?.message ?? 'invalid'}`)
  }
  return result.data
}

export function isLabCommandName(name: string): name is LabCommandName {
  return Object.prototype.hasOwnProperty.call(labCommands, name)
}
