// What a scenario step does, decided once for both runners: the lab's (real
// processes, src/main/lab/runner.ts) and the simulator's (sim/scenario-run.ts).
// A runner resolves selectors its own way and then only carries the plan out.
import type { KvInput } from './history'
import type { NetworkCommand } from './lab-api'
import type { ScenarioStep, Selector } from './scenario'
import type { LinkFault } from './trace'

export type ClientInput = Exclude<KvInput, { op: 'append' }>
export type NodeStepAction = 'crash' | 'restart' | 'pause' | 'resume' | 'stop' | 'wipe' | 'timeout'

export type StepPlan =
  | { kind: 'nodes'; action: NodeStepAction; nodes: string[] }
  | { kind: 'restart-all' }
  /** `groups`: the partition in force afterwards, when the step sets one (heal: none). */
  | { kind: 'network'; commands: NetworkCommand[]; nodes: string[]; groups?: string[][] }
  | { kind: 'op'; input: ClientInput; via: string | undefined }
  | { kind: 'wait'; ms: number }
  | { kind: 'workload'; start: boolean }

/** Resolves a selector to node ids, among `among` (default: every node). */
export type Resolve = (sel: Selector, among?: string[]) => string[]

const NODE_STEPS = ['crash', 'restart', 'pause', 'resume', 'stop', 'wipe', 'timeout'] as const

export function planStep(
  step: ScenarioStep,
  nodeIds: readonly string[],
  resolve: Resolve
): StepPlan {
  for (const action of NODE_STEPS) {
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
