import { spawnSync } from 'node:child_process'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { commands } from '../../../src/main/cli/registry'

const bin = resolve(import.meta.dirname, '../../../bin/raftlab.js')
const raftlab = (...args: string[]) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' })

describe('raftlab CLI', () => {
  it('lists every command in --help', () => {
    const r = raftlab('--help')
    expect(r.status).toBe(0)
    for (const c of commands) expect(r.stdout).toContain(c.name)
  })

  it('prints each command its own help', () => {
    for (const c of commands) {
      const r = raftlab(c.name, '--help')
      expect(r.status, c.name).toBe(0)
      expect(r.stdout, c.name).toMatch(/Usage: raftlab /)
    }
  })

  it('exits 2 on an unknown command', () => {
    const r = raftlab('frobnicate')
    expect(r.status).toBe(2)
    expect(r.stderr).toContain('unknown command "frobnicate"')
  })
})
