import { describe, expect, it } from 'vitest'
import { LineSplitter } from '../../../src/node/ndjson'

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
