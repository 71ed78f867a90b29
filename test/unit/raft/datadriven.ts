// A reader and writer for etcd-io/raft's testdata format: prose comments (#),
// one or more command lines, `----`, the expected output, a blank line.

export interface Case {
  /** 1-based line of the first command, for failure messages. */
  line: number
  commands: string[]
  expected: string
}

interface Segment {
  text: string[]
  testCase?: Case
}

export interface TestFile {
  cases: Case[]
  /** The file with each case's expected output replaced by `outputs` (same order). */
  rewrite(outputs: string[]): string
}

export function parseTestFile(text: string, name: string): TestFile {
  const lines = text.split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  const segments: Segment[] = []
  let i = 0
  while (i < lines.length) {
    const line = lines[i] as string
    if (line.trim() === '' || line.startsWith('#')) {
      segments.push({ text: [line] })
      i++
      continue
    }
    const start = i
    const commands: string[] = []
    while (i < lines.length && lines[i] !== '----') {
      const l = lines[i] as string
      if (l.trim() === '')
        throw new Error(`${name}:${i + 1}: blank line among commands: add "----" after them`)
      commands.push(l)
      i++
    }
    if (i === lines.length)
      throw new Error(`${name}:${start + 1}: commands without "----" and an expected output`)
    i++
    const expected: string[] = []
    while (i < lines.length && (lines[i] as string).trim() !== '')
      expected.push(lines[i++] as string)
    const testCase = { line: start + 1, commands, expected: expected.join('\n') }
    segments.push({ text: [...commands, '----'], testCase })
  }
  return {
    cases: segments.flatMap((s) => (s.testCase ? [s.testCase] : [])),
    rewrite(outputs) {
      let k = 0
      const out: string[] = []
      for (const s of segments) {
        out.push(...s.text)
        if (s.testCase) out.push(outputs[k++] ?? '')
      }
      return out.join('\n') + '\n'
    }
  }
}
