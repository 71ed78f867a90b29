// Issue 6's scenario and replay flows in Chromium against `raftlab serve`: run a built-in
// scenario to its end, export its trace (a download in browser mode), check it with
// `raftlab check`, open it and scrub through it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CLI, screenshot, servedApp } from './harness'

const SCENARIO = '02-leader-crash'
const poll = { timeout: 30_000, interval: 200 }

const app = servedApp()
let downloads: string

beforeAll(() => {
  downloads = mkdtempSync(join(tmpdir(), 'raftlab-e2e-downloads-'))
})

afterAll(() => {
  rmSync(downloads, { recursive: true, force: true })
})

async function roles(): Promise<string[]> {
  const ring = app.page.getByTestId('cluster-ring').locator('[data-role]')
  const out: string[] = []
  for (let i = 0; i < (await ring.count()); i++)
    out.push((await ring.nth(i).getAttribute('data-role')) ?? '')
  return out
}

/** Move the replay slider to `t` ms, as a drag would. */
async function scrubTo(t: number): Promise<void> {
  await app.page.getByTestId('replay-slider').evaluate((el, value) => {
    const input = el as HTMLInputElement
    input.value = String(value)
    input.dispatchEvent(new Event('input', { bubbles: true }))
  }, t)
}

describe('scenarios, export, check and replay in the browser', () => {
  let tracePath = ''

  it(`runs the built-in scenario ${SCENARIO} to its end`, async () => {
    await app.page.getByTestId('scenario-select').selectOption(SCENARIO)
    await app.page.getByTestId('scenario-run').click()
    await app.page.getByTestId('tab-scenarios').click()
    const progress = app.page.getByTestId('scenario-progress')
    await expect.poll(() => progress.count(), poll).toBe(1)
    await expect.poll(() => app.page.getByTestId('scenario-stop').isEnabled(), poll).toBe(true)
    await screenshot(app.page, 'scenario-1-running')
    // Finished: nothing is running any more, every step was taken, every expectation decided.
    await expect.poll(() => app.page.getByTestId('scenario-stop').isEnabled(), poll).toBe(false)
    await expect.poll(() => app.page.getByTestId('start-button').isEnabled(), poll).toBe(true)
    const [step, steps] = [await progress.getAttribute('value'), await progress.getAttribute('max')]
    expect(Number(step)).toBe(Number(steps))
    const expectations = app.page.getByTestId('scenario-expectations').locator('li')
    expect(await expectations.count()).toBeGreaterThan(0)
    await expect
      .poll(() => expectations.allTextContents(), poll)
      .not.toContainEqual(expect.stringMatching(/^\s*…/))
    await screenshot(app.page, 'scenario-2-finished')
  })

  it('exports the trace as a download, and `raftlab check` accepts it', async () => {
    await app.page.getByTestId('export-button').click()
    const [download] = await Promise.all([
      app.page.waitForEvent('download'),
      app.page.getByTestId('export-trace').click()
    ])
    tracePath = join(downloads, 'trace.jsonl')
    await download.saveAs(tracePath)
    const check = spawnSync(process.execPath, [CLI, 'check', tracePath, '--json'], {
      encoding: 'utf8'
    })
    expect(check.status, check.stderr + check.stdout).toBe(0)
    const report = JSON.parse(check.stdout.trim().split('\n').at(-1) ?? '{}') as { ok?: boolean }
    expect(report.ok).toBe(true)
  })

  it('opens the exported trace and scrubs through it', async () => {
    await app.page.getByTestId('trace-file').setInputFiles(tracePath)
    await expect.poll(() => app.page.getByTestId('replay-opened').count(), poll).toBe(1)
    const slider = app.page.getByTestId('replay-slider')
    const start = Number(await slider.getAttribute('min'))
    const end = Number(await slider.getAttribute('max'))
    expect(end - start).toBeGreaterThan(3000)

    await scrubTo(start)
    await expect
      .poll(() => app.page.getByTestId('replay-time').textContent(), poll)
      .toMatch(/^\s*00:00\.\d \//)
    expect(await roles()).not.toContain('leader')
    await screenshot(app.page, 'replay-1-start')

    await scrubTo(Math.floor(start + (end - start) * 0.6))
    await expect
      .poll(async () => (await roles()).filter((r) => r === 'leader').length, poll)
      .toBe(1)
    await screenshot(app.page, 'replay-2-middle')
    expect(app.errors, app.errors.join('\n')).toEqual([])
  })
})
