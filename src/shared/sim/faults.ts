// Fault actions the simulator understands, and a random schedule of them drawn
// from a seed. Each kind of fault comes in windows (start, then undo later);
// windows of one kind follow each other, windows of different kinds overlap.
import type { Rng } from '../raft/types'
import type { LinkFault } from '../trace'
import { randomInt } from '../rng'

export const FAULT_KINDS = [
  'crash',
  'pause',
  'partition',
  'loss',
  'delay',
  'duplicate',
  'reorder'
] as const
export type FaultKind = (typeof FAULT_KINDS)[number]

export type SimAction =
  | { action: 'crash' | 'restart' | 'pause' | 'resume' | 'isolate'; node: string }
  | { action: 'partition'; groups: string[][] }
  | { action: 'heal' }
  /** Change the directed links from → to (`*` = every node). */
  | { action: 'link'; from: string; to: string; fault: Partial<LinkFault> }

export interface ScheduledAction {
  at: number
  action: SimAction
}

/** Parse `crash,pause` or `all` (or an empty string for none); throws naming the unknown kind. */
export function parseFaultKinds(text: string): FaultKind[] {
  const words = text
    .split(',')
    .map((w) => w.trim())
    .filter((w) => w !== '')
  if (words.includes('all')) return [...FAULT_KINDS]
  for (const w of words) {
    if (!(FAULT_KINDS as readonly string[]).includes(w)) {
      throw new Error(`unknown fault "${w}" (known: ${FAULT_KINDS.join(', ')}, all)`)
    }
  }
  return [...new Set(words as FaultKind[])]
}

interface Window {
  /** How long the fault lasts, and the quiet time after it, in ms. */
  lengthMs: [number, number]
  gapMs: [number, number]
  /** Concurrent streams of this kind (two crash streams: sometimes two nodes are down). */
  streams: number
  start(rng: Rng, nodes: readonly string[]): SimAction[]
  end(start: SimAction[]): SimAction[]
}

const probability = (rng: Rng, lo: number, hi: number): number => lo + rng() * (hi - lo)
const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)] as T

function linkWindow(patch: (rng: Rng) => Partial<LinkFault>, undo: Partial<LinkFault>): Window {
  return {
    lengthMs: [100, 2000],
    gapMs: [200, 2000],
    streams: 1,
    start: (rng) => [{ action: 'link', from: '*', to: '*', fault: patch(rng) }],
    end: () => [{ action: 'link', from: '*', to: '*', fault: undo }]
  }
}

const WINDOWS: Record<FaultKind, Window> = {
  crash: {
    lengthMs: [20, 1500],
    gapMs: [100, 2000],
    streams: 2,
    start: (rng, nodes) => [{ action: 'crash', node: pick(rng, nodes) }],
    end: (start) => start.map((a) => ({ action: 'restart', node: (a as { node: string }).node }))
  },
  pause: {
    lengthMs: [50, 1500],
    gapMs: [200, 2000],
    streams: 1,
    start: (rng, nodes) => [{ action: 'pause', node: pick(rng, nodes) }],
    end: (start) => start.map((a) => ({ action: 'resume', node: (a as { node: string }).node }))
  },
  partition: {
    lengthMs: [100, 2000],
    gapMs: [200, 2000],
    streams: 1,
    start: partitionShape,
    end: () => [{ action: 'heal' }]
  },
  loss: linkWindow((rng) => ({ loss: probability(rng, 0.05, 0.4) }), { loss: 0 }),
  delay: linkWindow(
    (rng) => ({ delayMs: randomInt(rng, 5, 80), jitterMs: randomInt(rng, 0, 50) }),
    { delayMs: 0, jitterMs: 0 }
  ),
  duplicate: linkWindow((rng) => ({ duplicate: probability(rng, 0.05, 0.3) }), { duplicate: 0 }),
  reorder: linkWindow((rng) => ({ reorder: probability(rng, 0.05, 0.3) }), { reorder: 0 })
}

/** A split in two, an isolated node, a bridge node in both halves, or a one-way cut. */
function partitionShape(rng: Rng, nodes: readonly string[]): SimAction[] {
  const shuffled = [...nodes]
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = randomInt(rng, 0, i)
    ;[shuffled[i], shuffled[j]] = [shuffled[j] as string, shuffled[i] as string]
  }
  const cut = randomInt(rng, 1, Math.max(1, nodes.length - 1))
  const left = shuffled.slice(0, cut)
  const right = shuffled.slice(cut)
  switch (randomInt(rng, 0, 3)) {
    case 0:
      return [{ action: 'partition', groups: [left, right] }]
    case 1:
      return [{ action: 'isolate', node: shuffled[0] as string }]
    case 2: {
      const bridge = shuffled[0] as string
      return [{ action: 'partition', groups: [left, [bridge, ...right]] }]
    }
    default:
      // One-way: the left side hears the right side, but cannot reach it.
      return left.flatMap((from) =>
        right.map((to): SimAction => ({ action: 'link', from, to, fault: { up: false } }))
      )
  }
}

export interface FaultScheduleOptions {
  nodes: readonly string[]
  durationMs: number
  kinds: readonly FaultKind[]
}

/** Random fault windows over [0, durationMs), sorted by time (stable for equal times). */
export function faultSchedule(rng: Rng, options: FaultScheduleOptions): ScheduledAction[] {
  const schedule: ScheduledAction[] = []
  for (const kind of FAULT_KINDS) {
    if (!options.kinds.includes(kind) || options.nodes.length === 0) continue
    const window = WINDOWS[kind]
    for (let stream = 0; stream < window.streams; stream++) {
      let at = randomInt(rng, 0, window.gapMs[1])
      while (at < options.durationMs) {
        const start = window.start(rng, options.nodes)
        const length = randomInt(rng, ...window.lengthMs)
        for (const action of start) schedule.push({ at, action })
        for (const action of window.end(start)) schedule.push({ at: at + length, action })
        at += length + randomInt(rng, ...window.gapMs)
      }
    }
  }
  return schedule.sort((a, b) => a.at - b.at)
}
