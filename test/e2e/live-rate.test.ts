// How many events per second the live view takes in: 5 real nodes under a 2,000 ops/s workload
// in browser mode. Prints the figures (events/s delivered and shown, frame gaps); asserts only
// that the view keeps up (its event count reaches what the server sent) and stays error-free.
import { describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { screenshot, servedApp } from './harness'

const RATE = Number(process.env.RAFTLAB_E2E_RATE ?? 2000)
const CLIENTS = 32
const MEASURE_MS = 10_000
const poll = { timeout: 30_000, interval: 200 }

const app = servedApp()

/** Record the gap between animation frames in the page: long gaps are a stuck UI. */
async function recordFrameGaps(p: Page): Promise<void> {
  await p.evaluate(() => {
    const w = window as unknown as { __frames: number[] }
    w.__frames = []
    let last = performance.now()
    const tick = (now: number): void => {
      w.__frames.push(now - last)
      last = now
      requestAnimationFrame(tick)
    }
    requestAnimationFrame(tick)
  })
}

const shownEvents = async (): Promise<number> =>
  Number(((await app.page.getByTestId('event-count').textContent()) ?? '').replace(/[^0-9]/g, ''))

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN
}

describe('live view under load', () => {
  it(`keeps up with 5 nodes under a ${RATE} ops/s workload`, async () => {
    let delivered = 0
    app.page.on('websocket', (ws) =>
      ws.on('framereceived', (frame) => {
        const text = String(frame.payload)
        if (!text.startsWith('{"type":"events"')) return
        const message = JSON.parse(text) as {
          batch: { type: string; events?: unknown[]; replay?: boolean }[]
        }
        for (const e of message.batch)
          if (e.type === 'events' && !e.replay) delivered += e.events?.length ?? 0
      })
    )
    // Reconnect so the counter above sees the socket from its first frame.
    await app.page.reload()
    await app.page.getByTestId('toolbar').waitFor()
    await app.page.getByTestId('start-nodes').selectOption('5')
    await app.page.getByTestId('start-button').click()
    await expect
      .poll(
        () => app.page.getByTestId('cluster-ring').locator('[data-role="leader"]').count(),
        poll
      )
      .toBe(1)
    await app.page.getByTestId('tab-client').click()
    await app.page.getByTestId('workload-rate').fill(String(RATE))
    await app.page.getByTestId('workload-clients').fill(String(CLIENTS))
    await app.page.getByTestId('workload-start').click()
    await app.page.getByTestId('workload-rate-now').waitFor()
    await recordFrameGaps(app.page)
    await app.page.waitForTimeout(2000)

    const t0 = Date.now()
    const [shown0, delivered0] = [await shownEvents(), delivered]
    await app.page.waitForTimeout(MEASURE_MS)
    const seconds = (Date.now() - t0) / 1000
    const [shown1, delivered1] = [await shownEvents(), delivered]
    const opsNow = await app.page.getByTestId('workload-rate-now').textContent()
    const frames = await app.page.evaluate(
      () => (window as unknown as { __frames: number[] }).__frames
    )
    // A click while loaded: the tab switches (responsiveness, not timed).
    await app.page.getByTestId('tab-charts').click()
    await app.page.getByTestId('tab-client').click()
    await screenshot(app.page, 'live-rate-under-load')
    await app.page.getByTestId('workload-stop').click()

    const figures = {
      workload: opsNow?.trim(),
      deliveredPerSec: Math.round((delivered1 - delivered0) / seconds),
      shownPerSec: Math.round((shown1 - shown0) / seconds),
      frameGapMs: {
        p50: Math.round(percentile(frames, 50)),
        p99: Math.round(percentile(frames, 99)),
        max: Math.round(Math.max(...frames))
      },
      frames: frames.length
    }
    process.stdout.write(`live view figures: ${JSON.stringify(figures)}\n`)

    // The view keeps up: once the workload stops, it has shown every event it was sent.
    await expect.poll(async () => (await shownEvents()) >= delivered, poll).toBe(true)
    expect(figures.deliveredPerSec).toBeGreaterThan(0)
    expect(app.errors, app.errors.join('\n')).toEqual([])
  })
})
