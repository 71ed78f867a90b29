import { describe, expect, it } from 'vitest'
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parse } from 'yaml'
import { appPaths } from '../../../src/main/electron/app-paths'

const root = resolve(__dirname, '..', '..', '..')
const config = parse(readFileSync(join(root, 'electron-builder.yml'), 'utf8')) as {
  files: string[]
  asarUnpack: string[]
  extraResources: { from: string; to: string }[]
  linux: { target: string[] }
  mac: { target: string }
  win: { target: string }
}

describe('electron-builder.yml and where the app looks', () => {
  it('builds AppImage and deb, dmg, and an NSIS installer', () => {
    expect(config.linux.target).toEqual(['AppImage', 'deb'])
    expect(config.mac.target).toBe('dmg')
    expect(config.win.target).toBe('nsis')
  })

  it('in development, everything is in the checkout', () => {
    const paths = appPaths({
      isPackaged: false,
      mainDir: join(root, 'out/main'),
      resourcesPath: '/x'
    })
    expect(paths.nodeEntry).toBe(join(root, 'out/main/node.js'))
    expect(paths.rendererPage).toBe(join(root, 'out/renderer/index.html'))
    expect(paths.preload).toBe(join(root, 'out/preload/index.js'))
    expect(existsSync(paths.scenarios)).toBe(true)
    expect(existsSync(join(root, 'docs'))).toBe(true)
  })

  it('packaged, the node entry is unpacked and resources come from extraResources', () => {
    const res = '/opt/Raft Lab/resources'
    const paths = appPaths({
      isPackaged: true,
      mainDir: `${res}/app.asar/out/main`,
      resourcesPath: res
    })
    expect(paths.nodeEntry).toBe(`${res}/app.asar.unpacked/out/main/node.js`)
    // What node.js needs is unpacked beside it.
    expect(config.files).toContain('out/**/*')
    expect(config.asarUnpack).toEqual(
      expect.arrayContaining(['out/main/node.js', 'out/main/chunks/**', 'node_modules/zod/**'])
    )
    const copied = (to: string) => config.extraResources.find((r) => r.to === to)
    expect(paths.scenarios).toBe(join(res, copied('scenarios')?.to ?? 'missing'))
    expect(copied('scenarios')?.from).toBe('resources/scenarios')
    expect(paths.labGuide).toBe(join(res, copied('docs')?.to ?? 'missing', 'lab-guide.md'))
    expect(copied('docs')?.from).toBe('docs')
    for (const { from } of config.extraResources)
      expect(existsSync(join(root, from)), from).toBe(true)
  })
})
