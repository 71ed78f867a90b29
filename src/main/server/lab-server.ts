// Browser mode: one HTTP server on a loopback address serves the built renderer and, on the same
// port, the LabApi over a WebSocket. Only a page that knows the session token (printed in the
// URL) and comes from this server's own origin can drive the lab: another local web page can
// neither open the socket (Origin check) nor guess the token, and a DNS-rebinding page fails
// the Host check.
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { extname, resolve, sep } from 'node:path'
import { WebSocketServer, type WebSocket } from 'ws'
import {
  TOKEN_PARAM,
  WS_PATH,
  wsRequestSchema,
  type WsServerMessage
} from '../../shared/lab-transport'
import { dispatchLabCommand, type LabBackend } from '../api/backend'
import { rendererCsp } from '../api/csp'
import { EventBatcher } from '../api/event-batcher'

export const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '::1'] as const
export type LoopbackHost = (typeof LOOPBACK_HOSTS)[number]

export interface LabServerOptions {
  backend: LabBackend
  /** The built renderer (out/renderer). */
  rendererDir: string
  host?: LoopbackHost
  /** 0 picks a free port. */
  port?: number
  /** Tests may fix it; otherwise 32 random bytes. */
  token?: string
  /** Largest request message; openTrace may carry a whole trace. */
  maxMessageBytes?: number
  /** A browser that falls this far behind on events is disconnected rather than buffered for. */
  maxBufferedBytes?: number
}

export interface LabServer {
  /** The URL to open, token included. */
  url: string
  port: number
  token: string
  /** Close every socket and stop listening; the backend is left to the caller. */
  close(): Promise<void>
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.yaml': 'text/yaml; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8'
}

export async function startLabServer(options: LabServerOptions): Promise<LabServer> {
  const host = options.host ?? '127.0.0.1'
  if (!LOOPBACK_HOSTS.includes(host)) {
    throw new Error(`host ${String(host)}: browser mode listens on a loopback address only`)
  }
  const token = options.token ?? randomBytes(32).toString('base64url')
  const rendererDir = resolve(options.rendererDir)
  const maxBufferedBytes = options.maxBufferedBytes ?? 64 * 1024 * 1024
  const { backend } = options
  let port = 0
  // Names this server answers to: the loopback host it listens on, with its port.
  const allowedHosts = (): string[] => [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]
  const allowedOrigins = (): string[] => allowedHosts().map((h) => `http://${h}`)

  const server = createServer((req, res) => {
    if (!allowedHosts().includes(req.headers.host ?? '')) {
      return refuse(res, 421, 'unknown host')
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'method not allowed')
    void serveStatic(req, res, rendererDir, port)
  })

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxMessageBytes ?? 64 * 1024 * 1024
  })
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const problem = upgradeProblem(req, token, allowedHosts(), allowedOrigins())
    if (problem) {
      socket.end(
        `HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${problem}\n`
      )
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req))
  })

  const send = (ws: WebSocket, message: WsServerMessage): void => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message))
  }
  const batcher = new EventBatcher((batch) => {
    const data = JSON.stringify({ type: 'events', batch } satisfies WsServerMessage)
    for (const ws of wss.clients) {
      if (ws.readyState !== ws.OPEN) continue
      if (ws.bufferedAmount > maxBufferedBytes) {
        ws.close(1013, 'too far behind on events; reload the page')
        continue
      }
      ws.send(data)
    }
  })
  const unsubscribe = backend.onEvent((event) => batcher.push(event))

  wss.on('connection', (ws: WebSocket) => {
    ws.on('message', (data, isBinary) => {
      void handleMessage(ws, isBinary ? null : data.toString())
    })
  })

  async function handleMessage(ws: WebSocket, text: string | null): Promise<void> {
    let raw: unknown
    try {
      if (text === null) throw new Error('binary frames are not accepted')
      raw = JSON.parse(text)
    } catch (err) {
      return send(ws, { type: 'error', error: `not a JSON request: ${(err as Error).message}` })
    }
    const parsed = wsRequestSchema.safeParse(raw)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      const where = issue && issue.path.length > 0 ? issue.path.join('.') : 'message'
      return send(ws, {
        type: 'error',
        error: `bad request envelope: ${where}: ${issue?.message ?? 'invalid'} (expected {id, method, request})`
      })
    }
    const { id, method, request } = parsed.data
    const reply = await dispatchLabCommand(backend, method, request)
    send(ws, { type: 'reply', id, ...reply })
  }

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject)
      resolveListen()
    })
  })
  port = (server.address() as AddressInfo).port
  const urlHost = host === '::1' ? '[::1]' : host

  let closing: Promise<void> | null = null
  return {
    url: `http://${urlHost}:${port}/?${TOKEN_PARAM}=${token}`,
    port,
    token,
    close: () =>
      (closing ??= new Promise<void>((resolveClose) => {
        unsubscribe()
        batcher.flush()
        for (const ws of wss.clients) ws.terminate()
        wss.close()
        server.closeAllConnections()
        server.close(() => resolveClose())
      }))
  }
}

/** Why a WebSocket upgrade is refused, or null when it may proceed. */
function upgradeProblem(
  req: IncomingMessage,
  token: string,
  hosts: string[],
  origins: string[]
): string | null {
  if (!hosts.includes(req.headers.host ?? '')) return 'unknown host'
  const url = new URL(req.url ?? '/', 'http://localhost')
  if (url.pathname !== WS_PATH) return 'not the LabApi endpoint'
  const given = Buffer.from(url.searchParams.get(TOKEN_PARAM) ?? '')
  const expected = Buffer.from(token)
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'bad token'
  // Browsers always send Origin on a WebSocket; a page from another origin is refused.
  const origin = req.headers.origin
  if (origin !== undefined && !origins.includes(origin)) return 'foreign origin'
  return null
}

async function serveStatic(
  req: IncomingMessage,
  res: ServerResponse,
  root: string,
  port: number
): Promise<void> {
  let pathname: string
  try {
    pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname)
  } catch {
    return refuse(res, 400, 'bad path')
  }
  if (pathname.includes('\0')) return refuse(res, 400, 'bad path')
  const file = resolve(root, '.' + (pathname.endsWith('/') ? pathname + 'index.html' : pathname))
  if (!file.startsWith(root + sep)) return refuse(res, 404, 'not found')
  try {
    const info = await stat(file)
    if (!info.isFile()) return refuse(res, 404, 'not found')
    const isPage = extname(file) === '.html'
    res.writeHead(200, {
      'Content-Type': contentTypes[extname(file)] ?? 'application/octet-stream',
      'Content-Length': info.size,
      'X-Content-Type-Options': 'nosniff',
      // The page's URL carries the token: never send it on as a Referer.
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': isPage ? 'no-store' : 'max-age=3600',
      ...(isPage
        ? {
            // Chromium rejects IPv6 literals in CSP sources; for [::1], 'self' covers the socket.
            'Content-Security-Policy': rendererCsp([
              `ws://127.0.0.1:${port}`,
              `ws://localhost:${port}`
            ]),
            'X-Frame-Options': 'DENY'
          }
        : {})
    })
    if (req.method === 'HEAD') return void res.end()
    createReadStream(file).pipe(res)
  } catch {
    refuse(res, 404, 'not found')
  }
}

function refuse(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' })
  res.end(message + '\n')
}
