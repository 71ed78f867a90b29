import { describe, expect, it } from 'vitest'
import { parseTestFile } from './datadriven'

const text = `# A comment.
start 3
elect n1
----
old output
of two lines

# Another.
status
----
x
`

describe('parseTestFile', () => {
  it('reads commands and expected outputs with the line of each case', () => {
    const f = parseTestFile(text, 't.txt')
    expect(f.cases).toEqual([
      { line: 2, commands: ['start 3', 'elect n1'], expected: 'old output\nof two lines' },
      { line: 9, commands: ['status'], expected: 'x' }
    ])
  })

  it('rewrites only the outputs, keeping comments and commands', () => {
    const f = parseTestFile(text, 't.txt')
    expect(f.rewrite(['new', 'y\nz'])).toBe(
      `# A comment.\nstart 3\nelect n1\n----\nnew\n\n# Another.\nstatus\n----\ny\nz\n`
    )
  })

  it.each([
    { bad: 'start 3\n', error: /t.txt:1: commands without "----"/ },
    { bad: 'start 3\n\nstatus\n----\n', error: /t.txt:2: blank line among commands/ }
  ])('names the line of a malformed case', ({ bad, error }) => {
    expect(() => parseTestFile(bad, 't.txt')).toThrow(error)
  })
})
