// End-to-end harness: `raftlab serve` as a child process on a free port, Debian's Chromium via
// playwright-core, and cleanup that always runs. Needs `npm run build` first (it runs the built
// CLI, as users do).
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll } from 'vitest'

export const ROOT = resolve(__dirname, '..', '..')
export const CLI = join(ROOT, 'bin', 'raftlab.js')
export const ARTIFACTS = join(ROOT, 'test-results', 'e2e')
const CHROMIUM = '/usr/bin/chromium'

export function assertBuilt(): void {
  for (const file of ['out/main/cli.js', 'out/main/node.js', 'out/renderer/index.html']) {
    if (!existsSync(join(ROOT, file))) throw new Error(`${file} is missing: run \`npm run build\``)
  }
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`)
}

export interface Served {
  url: string
  /** Where the server creates experiment folders. */
  dir: string
  child: ChildProcess
  output(): string
  stop(): Promise<void>
}

/** Start `raftlab serve --port 0` and wait for the URL it prints. */
export async function startServe(): Promise<Served> {
  const dir = mkdtempSync(join(tmpdir(), 'raftlab-e2e-'))
  // Its own process group, so a failed stop can still kill the server and every node it spawned.
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--dir', join(dir, 'exp')], {
    cwd: dir,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()))
  const exited = new Promise<void>((done) => child.once('exit', () => done()))
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      const timer = setTimeout(() => killGroup(child), 20_000)
      await exited
      clearTimeout(timer)
    }
    killGroup(child)
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    const url = await new Promise<string>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`serve printed no URL:\n${out}`)), 30_000)
      const look = (): void => {
        const match = /serving at (http:\/\/\S+)/.exec(out)
        if (match?.[1]) {
          clearTimeout(timer)
          done(match[1])
        }
      }
      child.stdout?.on('data', look)
      child.once('exit', (code) => fail(new Error(`serve exited with ${code}:\n${out}`)))
    })
    return { url, dir, child, output: () => out, stop }
  } catch (err) {
    await stop()
    throw err
  }
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return
  try {
    process.kill(-child.pid, 'SIGKILL')
  } catch {
    // The group is already gone.
  }
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync'
    ]
  })
}

export interface AppPage {
  page: Page
  /** Console errors and uncaught page errors seen so far. */
  errors: string[]
}

export async function openApp(browser: Browser, url: string): Promise<AppPage> {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 800 },
    acceptDownloads: true
  })
  const page = await context.newPage()
  const errors: string[] = []
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text())
  })
  page.on('pageerror', (e) => errors.push(e.message))
  await page.goto(url)
  return { page, errors }
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true })
  const path = join(ARTIFACTS, `${name}.png`)
  await page.screenshot({ path, fullPage: true })
  return path
}

export interface ServedApp extends AppPage {
  served: Served
}

/**
 * `raftlab serve` with Chromium on its app, for the calling file's tests: started
 * before them and stopped after them. Its fields are set once the tests run.
 */
export function servedApp(): ServedApp {
  const app = {} as ServedApp
  let browser: Browser | undefined
  beforeAll(async () => {
    assertBuilt()
    app.served = await startServe()
    browser = await launchBrowser()
    Object.assign(app, await openApp(browser, app.served.url))
  })
  afterAll(async () => {
    await browser?.close()
    await app.served?.stop()
  })
  return app
}
