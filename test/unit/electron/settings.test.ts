import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SettingsStore } from '../../../src/main/electron/settings'

let cwd: string
beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'raftlab-settings-'))
})
afterEach(() => rmSync(cwd, { recursive: true, force: true }))

describe('settings (electron-store)', () => {
  it('starts from defaults and writes settings.json in the given folder', () => {
    const settings = new SettingsStore({ cwd })
    expect(settings.read()).toEqual({
      recentExperiments: [],
      lastClusterConfig: null,
      windowBounds: null
    })
    settings.setWindowBounds({ x: 10, y: 20, width: 1280, height: 800 })
    expect(settings.path).toBe(join(cwd, 'settings.json'))
    expect(JSON.parse(readFileSync(settings.path, 'utf8'))).toMatchObject({
      windowBounds: { width: 1280 }
    })
    expect(new SettingsStore({ cwd }).read().windowBounds).toEqual({
      x: 10,
      y: 20,
      width: 1280,
      height: 800
    })
  })

  it('keeps recent experiments newest first, without duplicates, at most ten', () => {
    const settings = new SettingsStore({ cwd })
    for (let i = 0; i < 12; i++) settings.addRecentExperiment(`/exp/${i}`)
    settings.addRecentExperiment('/exp/5')
    const recent = settings.read().recentExperiments
    expect(recent).toHaveLength(10)
    expect(recent.slice(0, 3)).toEqual(['/exp/5', '/exp/11', '/exp/10'])
    expect(new Set(recent).size).toBe(10)
  })

  it('falls back to defaults for values edited into nonsense by hand', () => {
    writeFileSync(
      join(cwd, 'settings.json'),
      JSON.stringify({
        recentExperiments: 'not a list',
        lastClusterConfig: { nodes: 400 },
        windowBounds: { width: 'wide' }
      })
    )
    expect(new SettingsStore({ cwd }).read()).toEqual({
      recentExperiments: [],
      lastClusterConfig: null,
      windowBounds: null
    })
  })
})
