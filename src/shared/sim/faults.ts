// Fault actions the simulator understands, and a random schedule of them drawn
// from a seed. Each kind of fault comes in windows (start, then undo later);
// windows of one kind follow each other, windows of different kinds overlap.
import type { Rng } from '../raft/types'
import type { LinkFault } from '../trace'
import { randomInt } from '../rng'

/** The random fault kinds: `all`. */
export const FAULT_KINDS = [
  'crash',
  'pause',
  'partition',
  'loss',
  'delay',
  'duplicate',
  'reorder'
] as const
/** Staged patterns, asked for by name only (not part of `all`); see figure8Episode(). */
export const STAGED_FAULT_KINDS = ['figure8'] as const
type RandomFaultKind = (typeof FAULT_KINDS)[number]
export type FaultKind = RandomFaultKind | (typeof STAGED_FAULT_KINDS)[number]

export type SimAction =
  | {
      action: 'crash' | 'restart' | 'pause' | 'resume' | 'stop' | 'wipe' | 'isolate'
      node: string
    }
  /** The node's election timeout fires now (the lab's `timeout` step). */
  | { action: 'campaign'; node: string }
  | { action: 'partition'; groups: string[][] }
  | { action: 'heal' }
  /** Change the directed links from → to (`*` = every node). */
  | { action: 'link'; from: string; to: string; fault: Partial<LinkFault> }

export interface ScheduledAction {
  at: number
  action: SimAction
}

const KNOWN: readonly string[] = [...FAULT_KINDS, ...STAGED_FAULT_KINDS]

/** Parse `crash,pause`, `all` or `all,figure8` (or an empty string for none); throws naming the unknown kind. */
export function parseFaultKinds(text: string): FaultKind[] {
  const words = text
    .split(',')
    .map((w) => w.trim())
    .filter((w) => w !== '')
  for (const w of words) {
    if (w !== 'all' && !KNOWN.includes(w)) {
      throw new Error(`unknown fault "${w}" (known: ${KNOWN.join(', ')}, all)`)
    }
  }
  const kinds = words.flatMap((w): FaultKind[] =>
    w === 'all' ? [...FAULT_KINDS] : [w as FaultKind]
  )
  return [...new Set(kinds)]
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

const WINDOWS: Record<RandomFaultKind, Window> = {
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
  const shuffled = shuffle(rng, nodes)
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
  /** The cluster's, for staged patterns' timings (default [150, 300]). */
  electionTimeoutMs?: readonly [number, number]
}

/** Random fault windows over [0, durationMs), sorted by time (stable for equal times). */
export function faultSchedule(rng: Rng, options: FaultScheduleOptions): ScheduledAction[] {
  const schedule: ScheduledAction[] = []
  if (options.kinds.includes('figure8')) {
    let at = randomInt(rng, 5, 100)
    while (at < options.durationMs) {
      const episode = figure8Episode(
        rng,
        options.nodes,
        options.electionTimeoutMs ?? [150, 300],
        at
      )
      if (episode.length === 0) break
      schedule.push(...episode)
      at = Math.max(...episode.map((a) => a.at)) + randomInt(rng, 300, 1500)
    }
  }
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

/**
 * Figure 8 of the Raft paper, staged from `at` on, with the roles and timings
 * drawn from the seed. The cast (5 nodes): A and B, a minority; C, D and E.
 *
 * (a) A is made leader, then cut off with B: it writes entries only B stores, and
 *     crashes (B too). (b) E is made leader on the other side, writes its own
 *     entries at those indexes, which reach no one (its links pass AppendEntries
 *     with no entries), and crashes. (c) A restarts with B and C and wins a new
 *     term; its AppendEntries reach C late and one entry at a time, so C gets
 *     A's old-term entries before the entry of A's new term: a majority stores an
 *     old-term entry, which §5.4.2 forbids committing by counting. A crashes (B
 *     too) before C has the new-term entry. (d) E returns, wins with the votes of
 *     C and D (E's last term is later than theirs) and overwrites those indexes.
 *
 * A correct leader never commits in (c), so nothing is lost; with the
 * commit-old-term bug A commits and applies an entry that E then overwrites.
 * Elections are started by `campaign`; with PreVote or short election timeouts
 * other nodes may win instead, and that episode stages nothing.
 */
function figure8Episode(
  rng: Rng,
  nodes: readonly string[],
  electionTimeoutMs: readonly [number, number],
  at: number
): ScheduledAction[] {
  if (nodes.length < 3) return []
  const cast = shuffle(rng, nodes)
  const majority = Math.floor(nodes.length / 2) + 1
  const minority = cast.slice(0, nodes.length - majority) // A first, then its followers
  const others = cast.slice(nodes.length - majority) // the C nodes first, E last
  const a = cast[0] as string
  const e = others[others.length - 1] as string
  // A's side in (c) needs this many of the others for a majority.
  const late = others.slice(0, 2 * majority - nodes.length)
  // Slow, but not so slow that C's election timeout fires between two messages.
  const [electionMinMs] = electionTimeoutMs
  const slowMs = randomInt(rng, Math.round(electionMinMs * 0.2), Math.round(electionMinMs * 0.7))

  const out: ScheduledAction[] = []
  const put = (t: number, ...actions: SimAction[]) => {
    for (const action of actions) out.push({ at: t, action })
  }
  const each = (group: readonly string[], action: 'crash' | 'restart'): SimAction[] =>
    group.map((node) => ({ action, node }))
  const links = (from: readonly string[], to: readonly string[], fault: Partial<LinkFault>) =>
    from.flatMap((f) => to.map((t): SimAction => ({ action: 'link', from: f, to: t, fault })))

  // (a) A leads, then is cut off with its followers; its last entries reach only them.
  let t = at
  put(t, { action: 'campaign', node: a })
  t += randomInt(rng, 300, 800)
  put(
    t,
    { action: 'partition', groups: [minority, others] },
    ...links(others, ['*'], { maxEntries: 0 })
  )
  // (b) E leads the other side; its entries reach no one.
  // With PreVote, C and D refuse until they have not heard from A for an election
  // timeout: so E tries early, and again once that has passed.
  put(t + randomInt(rng, 20, 120), { action: 'campaign', node: e })
  put(t + electionMinMs + randomInt(rng, 5, 40), { action: 'campaign', node: e })
  put(t + randomInt(rng, 100, 300), ...each(minority, 'crash'))
  t += electionMinMs + randomInt(rng, 250, 550)
  put(t, { action: 'crash', node: e })
  // (c) A returns with the late nodes and wins a new term (campaigning again should
  // another node's higher term beat it); only then do its entries start to reach
  // them, late and one per message.
  t += electionMinMs + randomInt(rng, 10, 150)
  put(
    t,
    { action: 'heal' },
    { action: 'partition', groups: [[...minority, ...late], ...rest(others, late)] },
    ...links(minority, late, { maxEntries: 0 }),
    ...each(minority, 'restart')
  )
  for (const ms of [randomInt(rng, 5, 30), randomInt(rng, 40, 70), randomInt(rng, 80, 110)])
    put(t + ms, { action: 'campaign', node: a })
  t += randomInt(rng, 150, 200)
  put(t, ...links(minority, late, { maxEntries: 1, delayMs: slowMs }))
  // A resends within two heartbeats; its first old-term entry reaches C one slow trip
  // later and is acknowledged. A crashes before its next entry arrives (two
  // heartbeats and a slow trip after that).
  t += Math.round(slowMs + probability(rng, 120, 200))
  put(t, ...each(minority, 'crash'))
  // (d) E returns to a healed network and overwrites.
  t += randomInt(rng, 10, 100)
  put(
    t,
    { action: 'heal' },
    ...links(minority, late, { maxEntries: undefined, delayMs: 0 }),
    ...links(others, ['*'], { maxEntries: undefined }),
    { action: 'restart', node: e }
  )
  for (const ms of [randomInt(rng, 5, 30), randomInt(rng, 40, 70), randomInt(rng, 80, 110)])
    put(t + ms, { action: 'campaign', node: e })
  put(t + randomInt(rng, 600, 1200), ...each(minority, 'restart'))
  return out
}

/** Each node of `group` not in `except`, alone. */
function rest(group: readonly string[], except: readonly string[]): string[][] {
  return group.filter((n) => !except.includes(n)).map((n) => [n])
}

function shuffle<T>(rng: Rng, items: readonly T[]): T[] {
  const shuffled = [...items]
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = randomInt(rng, 0, i)
    ;[shuffled[i], shuffled[j]] = [shuffled[j] as T, shuffled[i] as T]
  }
  return shuffled
}
