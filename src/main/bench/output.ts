// A bench's output folder: raw samples (CSV and JSON), charts (PNG), and the figures printed.
import { mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'

export class BenchOutput {
  /** Paths of every file written, in order: reported in the JSON summary. */
  readonly files: string[] = []

  private constructor(readonly dir: string) {}

  /** `dir`, or `bench-out/<bench>-<timestamp>/` under the working directory (gitignored). */
  static async create(bench: string, dir?: string): Promise<BenchOutput> {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-')
    const path = resolve(dir ?? join('bench-out', `${bench}-${stamp}`))
    try {
      await mkdir(path, { recursive: true })
    } catch (err) {
      throw new Error(`cannot create the output folder ${path}: ${(err as Error).message}`)
    }
    return new BenchOutput(path)
  }

  async csv(
    name: string,
    columns: readonly string[],
    rows: readonly (readonly unknown[])[]
  ): Promise<string> {
    const lines = [columns.join(','), ...rows.map((r) => r.map(csvCell).join(','))]
    return this.write(name, lines.join('\n') + '\n')
  }

  async json(name: string, value: unknown): Promise<string> {
    return this.write(name, JSON.stringify(value, null, 2) + '\n')
  }

  async png(name: string, data: Uint8Array): Promise<string> {
    return this.write(name, data)
  }

  private async write(name: string, data: string | Uint8Array): Promise<string> {
    const path = join(this.dir, name)
    await writeFile(path, data)
    this.files.push(path)
    return path
  }
}

function csvCell(v: unknown): string {
  if (typeof v === 'number') return Number.isFinite(v) ? String(Math.round(v * 1000) / 1000) : ''
  const s = v === null || v === undefined ? '' : String(v)
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

/** Prints a fixed-width table: the figures a person reads. */
export function printTable(
  title: string,
  columns: readonly string[],
  rows: readonly (readonly unknown[])[]
): void {
  const cells = rows.map((r) => r.map(formatCell))
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => (r[i] ?? '').length)))
  const line = (r: readonly string[]) =>
    r.map((s, i) => (i === 0 ? s.padEnd(widths[i] ?? 0) : s.padStart(widths[i] ?? 0))).join('  ')
  process.stdout.write(`\n${title}\n${line(columns)}\n${cells.map(line).join('\n')}\n`)
}

function formatCell(v: unknown): string {
  if (typeof v !== 'number') return String(v ?? '')
  if (!Number.isFinite(v)) return '-'
  if (Number.isInteger(v)) return String(v)
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2)
}

/** `--json`: one JSON object as the last line of stdout, for scripts. */
export function printJsonSummary(summary: unknown): void {
  process.stdout.write(JSON.stringify(summary) + '\n')
}
