// The simulated network between nodes: one directed link per ordered pair, each
// with the proxy's fault settings (trace.ts's LinkFault). Partitions cut links;
// loss, delay with jitter, duplication and reordering act per message.
import type { RaftMessage, Rng } from '../raft/types'
import { HEALTHY_LINK, type LinkFault } from '../trace'

/** A message's fate: dropped (with why), or delivered once per delay (two delays = duplicated). */
export type Route = { drop: string } | { delays: number[] }

export class SimNetwork {
  /** from → to → the link (nested, so a lookup builds no key string). */
  private readonly links = new Map<string, Map<string, LinkFault>>()

  /**
   * @param baseDelayMs one-way latency of a healthy link, drawn uniformly from [min, max] per message
   */
  constructor(
    readonly nodes: readonly string[],
    private readonly rng: Rng,
    private readonly baseDelayMs: readonly [number, number]
  ) {
    for (const from of nodes) {
      const out = new Map<string, LinkFault>()
      for (const to of nodes) if (from !== to) out.set(to, { ...HEALTHY_LINK })
      this.links.set(from, out)
    }
  }

  link(from: string, to: string): LinkFault {
    const link = this.links.get(from)?.get(to)
    if (!link) throw new Error(`no link ${from} → ${to}: unknown node`)
    return link
  }

  /** Change the links from → to; `*` stands for every node. */
  setLink(from: string, to: string, patch: Partial<LinkFault>): void {
    for (const a of from === '*' ? this.nodes : [from]) {
      for (const b of to === '*' ? this.nodes : [to]) {
        if (a !== b) Object.assign(this.link(a, b), patch)
      }
    }
  }

  /** Cut every link between nodes that share no group; a node in no group is cut off from all. */
  partition(groups: readonly (readonly string[])[]): void {
    for (const a of this.nodes) {
      for (const b of this.nodes) {
        if (a === b) continue
        const together = groups.some((g) => g.includes(a) && g.includes(b))
        this.link(a, b).up = together
      }
    }
  }

  /** Cut every link to and from `node`; the other links stay as they are (the lab proxy's isolate). */
  isolate(node: string): void {
    for (const other of this.nodes) {
      if (other === node) continue
      this.link(node, other).up = false
      this.link(other, node).up = false
    }
  }

  /** Every link up and healthy again (the lab proxy's heal): loss, delay and the rest cleared too. */
  heal(): void {
    for (const out of this.links.values())
      for (const to of out.keys()) out.set(to, { ...HEALTHY_LINK })
  }

  route(from: string, to: string): Route {
    const link = this.link(from, to)
    if (!link.up) return { drop: 'link down' }
    if (link.loss > 0 && this.rng() < link.loss) return { drop: 'loss' }
    const delays = [this.delay(link)]
    if (link.duplicate > 0 && this.rng() < link.duplicate) delays.push(this.delay(link))
    return { delays }
  }

  /**
   * An AppendEntries passes with at most the link's maxEntries entries, as if the
   * sender had batched fewer (the lab proxy's max-entries); other messages pass whole.
   */
  cut(message: RaftMessage): RaftMessage {
    if (message.type !== 'AppendEntries') return message
    const max = this.link(message.from, message.to).maxEntries
    if (max === undefined || message.entries.length <= max) return message
    return { ...message, entries: message.entries.slice(0, max) }
  }

  private delay(link: LinkFault): number {
    const [lo, hi] = this.baseDelayMs
    let ms = lo + this.rng() * (hi - lo) + link.delayMs + this.rng() * link.jitterMs
    // Held back long enough that the link's next message is likely to overtake it.
    if (link.reorder > 0 && this.rng() < link.reorder)
      ms += (hi + link.delayMs + link.jitterMs) * (1 + this.rng())
    return ms
  }
}
