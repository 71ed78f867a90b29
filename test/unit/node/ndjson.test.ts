import net from 'node:net'
import { describe, expect, it, vi } from 'vitest'
import { LineSplitter, coalesceWrites } from '../../../src/node/ndjson'

function collect(max: number) {
  const lines: string[] = []
  let oversize = 0
  const splitter = new LineSplitter(
    max,
    (l) => lines.push(l),
    () => oversize++
  )
  return { splitter, lines, oversized: () => oversize }
}

describe('LineSplitter', () => {
  it('splits lines across chunk boundaries, including multi-byte characters', () => {
    const { splitter, lines } = collect(100)
    const text = Buffer.from('{"a":1}\n{"b":"é€"}\n\n{"c"')
    for (let i = 0; i < text.length; i++) splitter.push(text.subarray(i, i + 1))
    splitter.push(Buffer.from(':3}\n'))
    expect(lines).toEqual(['{"a":1}', '{"b":"é€"}', '{"c":3}'])
  })

  it('reports a line over the limit once and stops', () => {
    const { splitter, lines, oversized } = collect(10)
    splitter.push(Buffer.from('short\n0123456789A'))
    splitter.push(Buffer.from('more\nnext\n'))
    expect(lines).toEqual(['short'])
    expect(oversized()).toBe(1)
  })

  it('accepts a line of exactly the limit', () => {
    const { splitter, lines, oversized } = collect(10)
    splitter.push(Buffer.from('0123456789\n'))
    expect(lines).toEqual(['0123456789'])
    expect(oversized()).toBe(0)
  })
})

describe('coalesceWrites', () => {
  it('holds the frames written in this turn and sends them together at its end', async () => {
    const server = net.createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve))
    const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1')
    try {
      await new Promise((resolve) => socket.once('connect', resolve))
      const peer = await accepted
      let received = ''
      peer.setEncoding('utf8')
      peer.on('data', (chunk: string) => (received += chunk))

      coalesceWrites(socket)
      socket.write('{"a":1}\n')
      coalesceWrites(socket)
      socket.write('{"b":2}\n')
      // Nothing has left yet: both frames wait in the socket's buffer.
      expect(socket.writableCorked).toBe(1)
      expect(socket.writableLength).toBe(16)
      await new Promise((resolve) => process.nextTick(resolve))
      expect(socket.writableCorked).toBe(0)
      await vi.waitFor(() => expect(received).toBe('{"a":1}\n{"b":2}\n'))
      peer.destroy()
    } finally {
      socket.destroy()
      server.close()
    }
  })
})
