import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import {
  assertBuilt,
  launchBrowser,
  openApp,
  ROOT,
  screenshot,
  startServe,
  type Served
} from './harness'

let served: Served | undefined
let browser: Browser | undefined

beforeAll(async () => {
  assertBuilt()
  served = await startServe()
  browser = await launchBrowser()
})

afterAll(async () => {
  await browser?.close()
  await served?.stop()
})

describe('browser mode smoke', () => {
  it('the sandboxed preload requires nothing but electron', () => {
    const preload = readFileSync(join(ROOT, 'out/preload/index.js'), 'utf8')
    const required = [...preload.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1])
    expect(required).toEqual(['electron'])
  })

  it('loads the app without console errors and talks to the lab', async () => {
    const { page, errors } = await openApp(browser!, served!.url)
    await page.getByTestId('toolbar').waitFor()
    // listScenarios went over the WebSocket: the built-in labs are listed.
    await expect
      .poll(() => page.getByTestId('scenario-select').locator('option').count())
      .toBeGreaterThan(5)
    await screenshot(page, 'smoke-loaded')
    expect(errors, errors.join('\n')).toEqual([])
  })

  it('refuses the API to a page opened without the token', async () => {
    const { page } = await openApp(browser!, served!.url.replace(/\?token=.*/, ''))
    const status = await page.evaluate(async () => {
      const ws = new WebSocket(`ws://${location.host}/api?token=guess`)
      return new Promise<string>((done) => {
        ws.onopen = () => done('open')
        ws.onerror = () => done('refused')
      })
    })
    expect(status).toBe('refused')
  })
})
