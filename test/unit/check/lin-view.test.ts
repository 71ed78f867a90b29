// The HTML view of a result: self-contained, marks the first operation that
// cannot be placed, shows the linearization and the model's state on hover.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseHistory } from '../../../src/shared/check/history-formats'
import { checkLinearizability } from '../../../src/shared/check/linearizability'
import {
  LIN_VIEW_CSS,
  renderLinViewDocument,
  renderLinViewFragment
} from '../../../src/shared/check/lin-view'
import type { History } from '../../../src/shared/history'

const fixture = resolve(import.meta.dirname, '../../fixtures/porcupine/kv/c01-bad.txt')

/** Decoded data-info attributes, in document order. */
function hoverTexts(html: string): string[] {
  return [...html.matchAll(/data-info="([^"]*)"/g)].map((m) =>
    m[1]!
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&')
  )
}

describe('linearizability view', () => {
  const parsed = parseHistory(readFileSync(fixture, 'utf8'), 'porcupine-kv', 'c01-bad.txt')
  const result = checkLinearizability(parsed.history, { missing: parsed.missing })
  const html = renderLinViewDocument(result, parsed.history, { title: 'c01-bad.txt' })

  it('is one self-contained document: inline CSS and script, nothing fetched', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true)
    expect(html).toContain(LIN_VIEW_CSS)
    expect(html).not.toMatch(/\s(src|href)="(?!data:)/)
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/)
  })

  it('marks the first operation of the failing key that cannot be placed', () => {
    const key = result.keys.find((k) => k.linearizable === false)!
    const first = parsed.history.find((op) => op.id === key.firstUnplaced)!
    const marked = hoverTexts(html).filter((t) =>
      t.includes('FIRST OPERATION THAT CANNOT BE PLACED')
    )
    expect(marked).toHaveLength(1)
    expect(marked[0]).toContain(`get(${first.input.key}) → "x 0 0 y"`)
    expect(marked[0]).toContain(first.source)
    // The failing key comes first and is open; linearizable keys are folded away.
    expect(html.indexOf(`key ${key.key}:`)).toBeLessThan(html.indexOf('<details>'))
  })

  it("shows each linearization point with the model's state after it", () => {
    const key = result.keys.find((k) => k.linearizable === false)!
    const points = hoverTexts(
      renderLinViewFragment({ ...result, keys: [key] }, parsed.history)
    ).filter((t) => /^#\d+: /.test(t))
    expect(points).toHaveLength(key.linearization.length)
    // c01-bad's key 7: an empty read, then two appends that accumulate.
    expect(points).toEqual([
      '#1: get(7) → ""\nstate after: ""',
      '#2: append(7, "x 0 0 y")\nstate after: "x 0 0 y"',
      '#3: append(7, "x 0 3 y")\nstate after: "x 0 0 yx 0 3 y"'
    ])
  })

  it('escapes what the history says', () => {
    const hostile: History = [
      {
        id: 0,
        client: '<b>c</b>',
        input: { op: 'put', key: '<script>alert(1)</script>', value: '"&' },
        call: 0,
        ret: 1,
        output: {}
      }
    ]
    const page = renderLinViewDocument(checkLinearizability(hostile), hostile, { title: '<x>' })
    expect(page).not.toContain('<script>alert')
    expect(page).not.toContain('<b>c</b>')
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(page.match(/<script>/g)).toHaveLength(1)
  })
})
