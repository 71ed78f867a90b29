// Shared by the lab's integration tests: built entries, temp folders, and a
// check that no process a test started is still alive.
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { spawn, spawnSync } from 'node:child_process'
import { afterAll } from 'vitest'

export const ROOT = resolve(import.meta.dirname, '../../..')
export const SCENARIOS = join(ROOT, 'resources/scenarios')

/**
 * A private copy of the built entries (out/main), so a rebuild of the shared
 * checkout while these tests run cannot pull node.js from under a running
 * cluster. It lives under node_modules/.cache so the entries still resolve
 * their dependencies from the project's node_modules.
 */
function builtCopy(): string {
  const out = join(ROOT, 'out/main')
  const copy = join(ROOT, 'node_modules/.cache/raftlab-lab-tests', String(process.pid), 'main')
  for (let tries = 0; ; tries++) {
    try {
      if (!existsSync(join(out, 'cli.js')) || !existsSync(join(out, 'node.js'))) {
        throw new Error('out/main is not built (run `npm run build`)')
      }
      rmSync(copy, { recursive: true, force: true })
      cpSync(out, copy, { recursive: true })
      break
    } catch (err) {
      if (tries >= 30) throw err
      spawnSync('sleep', ['1'])
    }
  }
  // Registered while the importing test file is collected: removed when that file is done.
  afterAll(() => rmSync(join(copy, '..'), { recursive: true, force: true }))
  return copy
}

const BUILT = builtCopy()
export const NODE_ENTRY = join(BUILT, 'node.js')
export const CLI = join(BUILT, 'cli.js')

const made: string[] = []

export function tempDir(prefix = 'raftlab-lab-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix))
  made.push(d)
  return d
}

export function removeTempDirs(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true })
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Pids of processes whose command line mentions `text` (e.g. a test's temp folder). */
export function pidsMentioning(text: string): number[] {
  const r = spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
  return r.stdout
    .split('\n')
    .filter((l) => l.includes(text) && !l.includes('ps -eo'))
    .map((l) => Number(l.trim().split(/\s+/)[0]))
    .filter((p) => p !== process.pid)
}

/** SIGKILL whatever is left (a failed test must not leave nodes behind). */
export function killMentioning(text: string): void {
  for (const pid of pidsMentioning(text)) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // gone already
    }
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Wait until `cond` holds, polling; false if it did not within `ms`. */
export async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (cond()) return true
    await sleep(20)
  }
  return cond()
}

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Run the built CLI as a child; killed (with everything it names in `cleanup`) if it overstays. */
export function runCli(args: string[], timeoutMs = 90_000): Promise<CliResult> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolvePromise({ code, stdout, stderr })
    })
  })
}

/** The last line of a `--json` run (the CLI's stderr in the error if there is none). */
export function lastJson(r: CliResult): Record<string, unknown> {
  const lines = r.stdout.trim().split('\n')
  try {
    return JSON.parse(lines[lines.length - 1] ?? '') as Record<string, unknown>
  } catch {
    throw new Error(`no JSON line (exit ${r.code}); stderr: ${r.stderr.slice(-2000)}`)
  }
}
