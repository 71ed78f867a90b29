import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { WebSocket } from 'ws'
import type { LabEvent } from '../../../src/shared/lab-api'
import { startLabServer, type LabServer } from '../../../src/main/server/lab-server'
import {
  createWsLabApi,
  labSocketUrl,
  type WsLabApi
} from '../../../src/renderer/src/api/ws-lab-client'
import { createFakeLabBackend, idleStatus, type FakeLabBackend } from '../../stubs/fake-lab-backend'

let root: string
let backend: FakeLabBackend
let server: LabServer
const sockets: { close(): void }[] = []

beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), 'raftlab-serve-'))
  mkdirSync(join(root, 'renderer', 'assets'), { recursive: true })
  writeFileSync(join(root, 'renderer', 'index.html'), '<!doctype html><title>lab</title>')
  writeFileSync(join(root, 'renderer', 'assets', 'app.js'), 'console.log(1)')
  writeFileSync(join(root, 'secret.txt'), 'do not serve')
  backend = createFakeLabBackend()
  server = await startLabServer({ backend, rendererDir: join(root, 'renderer') })
})

afterEach(async () => {
  for (const s of sockets.splice(0)) s.close()
  await server.close()
  rmSync(root, { recursive: true, force: true })
})

/** A raw GET, so paths and headers reach the server exactly as written. */
function get(
  path: string,
  headers: Record<string, string> = {}
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: server.port, path, headers }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

/** Try a WebSocket upgrade; resolves with the HTTP status it was refused with, or 101. */
function upgrade(url: string, origin?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, origin === undefined ? {} : { origin })
    sockets.push(ws)
    ws.on('open', () => resolve(101))
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
    ws.on('error', (err) => reject(err))
  })
}

function client(): WsLabApi {
  const url = labSocketUrl(new URL(server.url))
  if (url === null) throw new Error('the printed URL has no token')
  const api = createWsLabApi(
    url,
    (u) => new WebSocket(u, { origin: `http://127.0.0.1:${server.port}` })
  )
  sockets.push(api)
  return api
}

describe('browser-mode server: static files', () => {
  it('prints a loopback URL with a long random token', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{40,}$/)
  })

  it('serves the renderer with a CSP and without leaking the token as a Referer', async () => {
    const page = await get('/?token=' + server.token, { host: `127.0.0.1:${server.port}` })
    expect(page.status).toBe(200)
    expect(page.body).toContain('<title>lab</title>')
    expect(page.headers['content-security-policy']).toContain(`ws://127.0.0.1:${server.port}`)
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'")
    expect(page.headers['referrer-policy']).toBe('no-referrer')
    const script = await get('/assets/app.js', { host: `localhost:${server.port}` })
    expect(script).toMatchObject({ status: 200, body: 'console.log(1)' })
    expect(script.headers['content-type']).toMatch(/^text\/javascript/)
  })

  it('serves nothing outside the renderer folder, and nothing to a foreign Host', async () => {
    const host = { host: `127.0.0.1:${server.port}` }
    for (const path of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
      '/assets/../../secret.txt'
    ]) {
      const res = await get(path, host)
      expect(res.status, path).toBe(404)
      expect(res.body).not.toContain('do not serve')
    }
    expect((await get('/nothing.js', host)).status).toBe(404)
    expect((await get('/assets', host)).status).toBe(404)
    // A DNS-rebinding page reaches 127.0.0.1 under its own name.
    expect((await get('/', { host: `evil.example:${server.port}` })).status).toBe(421)
  })
})

describe('browser-mode server: the WebSocket LabApi', () => {
  const own = () => `http://127.0.0.1:${server.port}`
  const api = (query: string) => `ws://127.0.0.1:${server.port}/api${query}`

  it('accepts only the right path, the token and its own origin', async () => {
    expect(await upgrade(api(`?token=${server.token}`), own())).toBe(101)
    expect(await upgrade(api(`?token=${server.token}`))).toBe(101)
    expect(await upgrade(api(''), own())).toBe(403)
    expect(await upgrade(api(`?token=${server.token.slice(0, -1)}x`), own())).toBe(403)
    expect(await upgrade(api(`?token=${server.token}`), 'http://evil.example')).toBe(403)
    expect(
      await upgrade(api(`?token=${server.token}`), `http://127.0.0.1:${server.port + 1}`)
    ).toBe(403)
    expect(await upgrade(`ws://127.0.0.1:${server.port}/other?token=${server.token}`, own())).toBe(
      403
    )
    expect(backend.calls).toEqual([])
  })

  it('runs commands validated by the LabApi schemas', async () => {
    const lab = client()
    await expect(lab.startCluster({ config: { nodes: 3 } })).resolves.toMatchObject({
      running: true,
      mode: 'real'
    })
    expect(backend.calls).toMatchObject([
      { name: 'startCluster', request: { config: { nodes: 3 } } }
    ])
    await expect(lab.nodeAction({ node: 'n1', action: 'fly' as never })).rejects.toThrow(
      /^nodeAction: action: /
    )
    backend.failures.set('clientOp', 'no leader')
    await expect(lab.clientOp({ input: { op: 'get', key: 'k' } })).rejects.toThrow(
      'clientOp: no leader'
    )
    expect(backend.calls.map((c) => c.name)).toEqual(['startCluster', 'clientOp'])
  })

  it('answers a malformed message or an unknown command with a clear error', async () => {
    const ws = new WebSocket(api(`?token=${server.token}`))
    sockets.push(ws)
    const messages: unknown[] = []
    ws.on('message', (data) => messages.push(JSON.parse(String(data))))
    await new Promise((resolve) => ws.on('open', resolve))
    ws.send('{not json')
    ws.send(JSON.stringify({ id: 'x', method: 'getStatus' }))
    ws.send(JSON.stringify({ id: 7, method: 'format', request: {} }))
    await expect.poll(() => messages.length).toBe(3)
    expect(messages[0]).toMatchObject({
      type: 'error',
      error: expect.stringMatching(/^not a JSON request/)
    })
    expect(messages[1]).toMatchObject({
      type: 'error',
      error: expect.stringMatching(/^bad request envelope: id: /)
    })
    expect(messages[2]).toEqual({
      type: 'reply',
      id: 7,
      ok: false,
      error: 'unknown command "format"'
    })
    expect(backend.calls).toEqual([])
  })

  it('delivers events in order, batched', async () => {
    const lab = client()
    const seen: LabEvent[] = []
    lab.onEvent((e) => seen.push(e))
    await lab.getStatus({})
    for (let i = 0; i < 50; i++) backend.emit({ type: 'log', level: 'info', message: `m${i}` })
    backend.emit({ type: 'status', status: idleStatus({ eventCount: 1 }) })
    backend.emit({ type: 'status', status: idleStatus({ eventCount: 2 }) })
    await expect.poll(() => seen.length).toBe(51)
    expect(seen.slice(0, 50).map((e) => (e.type === 'log' ? e.message : ''))).toEqual(
      Array.from({ length: 50 }, (_, i) => `m${i}`)
    )
    expect(seen[50]).toMatchObject({ type: 'status', status: { eventCount: 2 } })
  })

  it('fails pending and later calls with a clear message when the server goes away', async () => {
    const lab = client()
    await lab.getStatus({})
    const errors: string[] = []
    lab.onEvent((e) => {
      if (e.type === 'log' && e.level === 'error') errors.push(e.message)
    })
    const gate: { release?: () => void } = {}
    backend.getStatus = () => new Promise((resolve) => (gate.release = () => resolve(idleStatus())))
    const pending = lab.getStatus({})
    await expect.poll(() => gate.release !== undefined).toBe(true)
    await server.close()
    await expect(pending).rejects.toThrow(/connection to the lab was lost/)
    await expect(lab.stopCluster({})).rejects.toThrow(/raftlab serve/)
    expect(errors).toHaveLength(1)
    gate.release?.()
  })

  it('listens on loopback only', async () => {
    await expect(
      startLabServer({ backend, rendererDir: root, host: '0.0.0.0' as never })
    ).rejects.toThrow(/loopback/)
  })
})
