// The event rate the live view sustains, apart from how fast a real cluster produces events:
// a recorded 5-node trace is streamed again, re-stamped, through the browser-mode server at
// rising rates, and the page's event count and animation frames are watched. Prints the
// figures; asserts only that the view ends up showing every event and logs no error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import type { LabEvent, LabStatus } from '../../src/shared/lab-api'
import type { TraceEvent, TraceHeader } from '../../src/shared/trace'
import { loadTrace } from '../../src/main/lab/trace-file'
import { startLabServer, type LabServer } from '../../src/main/server/lab-server'
import { createFakeLabBackend, idleStatus } from '../stubs/fake-lab-backend'
import { assertBuilt, CLI, launchBrowser, openApp, ROOT, screenshot } from './harness'

const RATES = [2_000, 5_000, 10_000, 20_000]
const STAGE_MS = 5_000
const poll = { timeout: 60_000, interval: 250 }

let dir: string
let header: TraceHeader
let recorded: TraceEvent[]
let server: LabServer | undefined
let browser: Browser | undefined
let page: Page
let errors: string[]
const backend = createFakeLabBackend()
let emitted = 0
let start = Date.now()

beforeAll(async () => {
  assertBuilt()
  dir = mkdtempSync(join(tmpdir(), 'raftlab-e2e-capacity-'))
  const run = spawnSync(
    process.execPath,
    [
      CLI,
      'run',
      join(ROOT, 'resources/scenarios/05-majority-partition.yaml'),
      '--out',
      join(dir, 'run')
    ],
    { encoding: 'utf8', timeout: 120_000 }
  )
  const trace = await loadTrace(join(dir, 'run'))
  if (!trace.header || trace.events.length === 0)
    throw new Error(`no trace recorded:\n${run.stderr}`)
  header = trace.header
  recorded = trace.events
  const status = (): LabStatus => ({
    ...idleStatus(),
    running: true,
    mode: 'real',
    config: header.config,
    elapsedMs: Date.now() - start
  })
  backend.getStatus = async () => status()
  backend.listScenarios = async () => []
  server = await startLabServer({ backend, rendererDir: join(ROOT, 'out/renderer') })
  browser = await launchBrowser()
  ;({ page, errors } = await openApp(browser, server.url))
  await page.getByTestId('toolbar').waitFor()
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
  rmSync(dir, { recursive: true, force: true })
})

/** Stream the recorded events, re-stamped to now, at `rate` per second for `ms`. */
async function stream(rate: number, ms: number): Promise<void> {
  const tickMs = 10
  const perTick = Math.max(1, Math.round((rate * tickMs) / 1000))
  const until = Date.now() + ms
  while (Date.now() < until) {
    const events: TraceEvent[] = []
    for (let i = 0; i < perTick; i++) {
      const e = recorded[emitted % recorded.length] as TraceEvent
      events.push({ ...e, seq: emitted + 1, t: Date.now() - start } as TraceEvent)
      emitted++
    }
    backend.emit({ type: 'events', events, replay: false } satisfies LabEvent)
    await new Promise((r) => setTimeout(r, tickMs))
  }
}

const shownEvents = async (): Promise<number> =>
  Number(((await page.getByTestId('event-count').textContent()) ?? '').replace(/[^0-9]/g, ''))

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN
}

describe('live view capacity', () => {
  it('shows every streamed event, and reports what rate it keeps up with', async () => {
    start = Date.now()
    backend.emit({
      type: 'reset',
      header: { ...header, started: new Date(start).toISOString() },
      replay: false
    })
    const figures: Record<string, unknown>[] = []
    for (const rate of RATES) {
      await page.evaluate(() => {
        const w = window as unknown as { __frames: number[]; __stop: boolean }
        w.__frames = []
        w.__stop = false
        let last = performance.now()
        const tick = (now: number): void => {
          w.__frames.push(now - last)
          last = now
          if (!w.__stop) requestAnimationFrame(tick)
        }
        requestAnimationFrame(tick)
      })
      const [t0, shown0, sent0] = [Date.now(), await shownEvents(), emitted]
      await stream(rate, STAGE_MS)
      const seconds = (Date.now() - t0) / 1000
      const shown1 = await shownEvents()
      const frames = await page.evaluate(() => {
        const w = window as unknown as { __frames: number[]; __stop: boolean }
        w.__stop = true
        return w.__frames
      })
      figures.push({
        targetPerSec: rate,
        sentPerSec: Math.round((emitted - sent0) / seconds),
        shownPerSec: Math.round((shown1 - shown0) / seconds),
        backlogAtEnd: emitted - shown1,
        fps: Math.round(frames.length / seconds),
        frameGapMs: {
          p50: Math.round(percentile(frames, 50)),
          p99: Math.round(percentile(frames, 99))
        }
      })
      await screenshot(page, `live-capacity-${rate}`)
    }
    process.stdout.write(`live view capacity: ${JSON.stringify(figures)}\n`)
    await expect.poll(shownEvents, poll).toBe(emitted)
    expect(errors, errors.join('\n')).toEqual([])
  })
})
