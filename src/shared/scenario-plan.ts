// What a scenario step does, decided once for both runners: the lab's (real
// processes, src/main/lab/runner.ts) and the simulator's (sim/scenario-run.ts).
// A runner resolves selectors its own way and then only carries the plan out.
import type { KvInput } from './history'
import type { Rng } from './raft/types'
import { NODE_ACTIONS, type NetworkCommand, type NodeAction } from './lab-api'
import {
  RANGE_EXPECTATIONS,
  stepAction,
  type RangeExpectation,
  type ScenarioExpect,
  type ScenarioStep,
  type Selector
} from './scenario'
import type { LinkFault } from './trace'
import type { StepRecord } from './check/analysis'

export type ClientInput = Exclude<KvInput, { op: 'append' }>

export type StepPlan =
  | { kind: 'nodes'; action: NodeAction; nodes: string[] }
  | { kind: 'restart-all' }
  /** `groups`: the partition in force afterwards, when the step sets one (heal: none). */
  | { kind: 'network'; commands: NetworkCommand[]; nodes: string[]; groups?: string[][] }
  | { kind: 'op'; input: ClientInput; via: string | undefined }
  | { kind: 'wait'; ms: number }
  | { kind: 'workload'; start: boolean }

/** Resolves a selector to node ids, among `among` (default: every node). */
export type Resolve = (sel: Selector, among?: string[]) => string[]

export function planStep(
  step: ScenarioStep,
  nodeIds: readonly string[],
  resolve: Resolve
): StepPlan {
  for (const action of NODE_ACTIONS) {
    const sel = step[action]
    if (sel !== undefined) return { kind: 'nodes', action, nodes: resolve(sel) }
  }
  if (step['restart-all'] !== undefined) return { kind: 'restart-all' }
  if (step.partition !== undefined) {
    const placed = new Set<string>()
    const groups: string[][] = []
    for (const g of step.partition) {
      const free = nodeIds.filter((id) => !placed.has(id))
      const members = g === 'rest' ? free : [...new Set(g.flatMap((sel) => resolve(sel, free)))]
      for (const m of members) {
        if (placed.has(m)) throw new Error(`node ${m} is in two partition groups`)
        placed.add(m)
      }
      if (members.length > 0) groups.push(members)
    }
    // A label on a partition names its first group (the side the scenario picked).
    return {
      kind: 'network',
      commands: [{ action: 'partition', groups }],
      nodes: groups[0] ?? [],
      groups
    }
  }
  if (step.isolate !== undefined) {
    const nodes = resolve(step.isolate)
    return { kind: 'network', commands: nodes.map((node) => ({ action: 'isolate', node })), nodes }
  }
  if (step.heal !== undefined)
    return { kind: 'network', commands: [{ action: 'heal' }], nodes: [], groups: [] }
  if (step.loss !== undefined) return link(step.loss, { loss: step.loss.p }, resolve)
  if (step.duplicate !== undefined)
    return link(step.duplicate, { duplicate: step.duplicate.p }, resolve)
  if (step.reorder !== undefined) return link(step.reorder, { reorder: step.reorder.p }, resolve)
  const maxEntries = step['max-entries']
  if (maxEntries !== undefined) return link(maxEntries, { maxEntries: maxEntries.n }, resolve)
  if (step.delay !== undefined)
    return link(step.delay, { delayMs: step.delay.ms, jitterMs: step.delay.jitter }, resolve)
  const via = (sel: Selector | undefined): string | undefined =>
    sel !== undefined ? resolve(sel)[0] : undefined
  if (step.put !== undefined)
    return {
      kind: 'op',
      input: { op: 'put', key: step.put.key, value: step.put.value },
      via: via(step.put.via)
    }
  if (step.get !== undefined)
    return { kind: 'op', input: { op: 'get', key: step.get.key }, via: via(step.get.via) }
  if (step.cas !== undefined)
    return {
      kind: 'op',
      input: { op: 'cas', key: step.cas.key, from: step.cas.from, to: step.cas.to },
      via: via(step.cas.via)
    }
  if (step.wait !== undefined) return { kind: 'wait', ms: step.wait }
  if (step.workload !== undefined) return { kind: 'workload', start: step.workload !== 'stop' }
  throw new Error('a step needs one action')
}

/** Every directed link from → to (`*` = every node), a node never linked to itself. */
function link(
  spec: { from: '*' | Selector; to: '*' | Selector },
  fault: Partial<LinkFault>,
  resolve: Resolve
): StepPlan {
  const froms = spec.from === '*' ? ['*'] : resolve(spec.from)
  const tos = spec.to === '*' ? ['*'] : resolve(spec.to)
  const commands: NetworkCommand[] = []
  for (const from of froms)
    for (const to of tos)
      if (from === '*' || from !== to) commands.push({ action: 'link', from, to, fault })
  return { kind: 'network', commands, nodes: [...froms, ...tos].filter((n) => n !== '*') }
}

/** What a selector is resolved against: the runner's view of the cluster right now. */
export interface SelectorContext {
  /** Every node with its status (running, paused, crashed, stopped, exited, …). */
  nodes: readonly { id: string; status: string }[]
  leader: string | null
  clusterSize: number
  labels: ReadonlyMap<string, string[]>
  /** The scenario's seeded draws for random, follower, minority and majority. */
  rng: Rng
}

/** Resolve a selector to node ids, among `pool` (default: every node). */
export function resolveSelector(sel: Selector, ctx: SelectorContext, pool?: string[]): string[] {
  if (Array.isArray(sel)) return [...sel]
  if (sel.startsWith('@')) {
    const nodes = ctx.labels.get(sel.slice(1))
    if (!nodes) throw new Error(`no earlier step has label: ${sel.slice(1)}`)
    return nodes
  }
  if (/^n\d+$/.test(sel)) return [sel]
  const nodes = ctx.nodes.filter((v) => !pool || pool.includes(v.id))
  const all = nodes.map((v) => v.id)
  const withStatus = (...statuses: string[]) =>
    nodes.filter((v) => statuses.includes(v.status)).map((v) => v.id)
  const running = withStatus('running')
  const pick = (ids: string[], count: number) => pickRandom(ids, count, ctx.rng)
  const leader = ctx.leader
  switch (sel) {
    case 'leader':
      if (!leader || (pool && !pool.includes(leader))) throw new Error('there is no leader')
      return [leader]
    case 'follower':
    case 'followers': {
      const followers = running.filter((id) => id !== leader)
      if (followers.length === 0) throw new Error('there is no running follower')
      return sel === 'follower' ? pick(followers, 1) : followers
    }
    case 'random':
      if (running.length === 0) throw new Error('no node is running')
      return pick(running, 1)
    case 'minority':
      return pick(all, Math.floor((ctx.clusterSize - 1) / 2))
    case 'majority':
      return pick(all, Math.floor(ctx.clusterSize / 2) + 1)
    case 'all':
      return all
    case 'crashed':
      return withStatus('crashed', 'stopped', 'exited')
    case 'paused':
      return withStatus('paused')
  }
  throw new Error(`unknown selector ${String(sel)}`)
}

function pickRandom(items: string[], count: number, rng: Rng): string[] {
  const pool = [...items]
  const out: string[] = []
  while (out.length < count && pool.length > 0) {
    out.push(pool.splice(Math.floor(rng() * pool.length), 1)[0] as string)
  }
  return out.sort()
}

/** Whether a step that ran (its action and nodes) takes the leader's job away. */
export function disruptsLeader(
  record: { action: string; nodes: string[] },
  leader: string,
  partitionGroups: string[][],
  clusterSize: number
): boolean {
  if (record.action === 'restart-all') return true
  const removing = ['crash', 'pause', 'stop', 'wipe', 'isolate', 'restart']
  if (removing.includes(record.action)) return record.nodes.includes(leader)
  if (record.action === 'partition') {
    // The leader keeps its job only if its group is a majority.
    const group = partitionGroups.find((g) => g.includes(leader)) ?? []
    return group.length <= clusterSize / 2
  }
  return false
}

/** A step as progress lines show it: its action and, unless that is `true`, its argument. */
export function describeStep(step: ScenarioStep): string {
  const action = stepAction(step)
  const arg = step[action]
  return arg === true ? action : `${action} ${JSON.stringify(arg)}`
}

/** A step's record before it runs, as the progress list shows it while it waits. */
export function pendingStepRecord(step: ScenarioStep, index: number): StepRecord {
  return {
    index,
    action: stepAction(step),
    text: describeStep(step),
    t: null,
    ok: false,
    message: '',
    nodes: [],
    disruptsLeader: false,
    leaderTerm: 0
  }
}

/**
 * The nodes of each expect range that begins at step `index`, named as that step
 * runs (e.g. the leader at that moment): every node when the range names none,
 * no node when its selector cannot be resolved.
 */
export function rangeNodesAt(
  expect: ScenarioExpect,
  index: number,
  resolve: Resolve,
  all: string[]
): Partial<Record<RangeExpectation, string[]>> {
  const out: Partial<Record<RangeExpectation, string[]>> = {}
  for (const k of RANGE_EXPECTATIONS) {
    const range = expect[k]
    if (!range || range.steps[0] !== index) continue
    try {
      out[k] = range.nodes ? resolve(range.nodes) : all
    } catch {
      out[k] = []
    }
  }
  return out
}
