// A damaged log on disk: a torn tail is repaired and reported; a flipped byte
// or a segment cut in the middle stops the node with the file and offset.
import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { RaftClient } from '../../../src/node/client'
import { encodeRecord, segmentName } from '../../../src/node/wal'
import { Cluster, cleanupAll, waitUntil } from './helpers'

afterEach(cleanupAll)

async function singleNodeWith(keys: number, args: string[] = []): Promise<Cluster> {
  const cluster = await Cluster.create(1, { args })
  await cluster.startAll()
  await cluster.waitForLeader()
  const client = new RaftClient({ addresses: cluster.addresses })
  try {
    for (let i = 0; i < keys; i++) {
      expect(await client.put(`k${i}`, `value-${i}`)).toMatchObject({ status: 'ok' })
    }
  } finally {
    client.close()
  }
  expect(await cluster.nodes[0]!.stop()).toEqual({ code: 0, signal: null })
  return cluster
}

async function expectRefusesToStart(cluster: Cluster, message: RegExp): Promise<void> {
  const node = cluster.nodes[0]!
  node.start()
  const exit = await node.exit!
  expect(exit.code).toBe(1)
  const error = node.events.find((e) => e.kind === 'node-error')
  expect(error && error.kind === 'node-error' ? error.message : '').toMatch(message)
  expect(node.stderr).toMatch(message)
  expect(node.events.some((e) => e.kind === 'listening')).toBe(false)
}

describe('a damaged write-ahead log', () => {
  it('stops with file and offset when a byte of a committed record is flipped', async () => {
    const cluster = await singleNodeWith(20)
    const file = path.join(cluster.nodes[0]!.spec.dir, segmentName(1))
    const data = fs.readFileSync(file)
    const at = Math.floor(data.length / 2)
    data[at]! ^= 0x20
    fs.writeFileSync(file, data)
    await expectRefusesToStart(
      cluster,
      new RegExp(
        `corrupt write-ahead log: ${file.replace(/[.]/g, '\\.')} at offset \\d+: .*checksum mismatch`
      )
    )
    const offset = Number(/at offset (\d+)/.exec(cluster.nodes[0]!.stderr)![1])
    // The offset is where the damaged record starts: at or before the flipped byte, within one record.
    expect(offset).toBeLessThanOrEqual(at)
    expect(at - offset).toBeLessThan(200)
  })

  it('stops when a segment other than the last is cut in the middle', async () => {
    const cluster = await singleNodeWith(40, ['--wal-segment-bytes', '1024'])
    const dir = cluster.nodes[0]!.spec.dir
    expect(fs.existsSync(path.join(dir, segmentName(3)))).toBe(true)
    const file = path.join(dir, segmentName(2))
    fs.truncateSync(file, Math.floor(fs.statSync(file).size / 2))
    // Cut inside a record, or (if the cut falls on a record boundary) the next segment does not follow on.
    await expectRefusesToStart(
      cluster,
      /(0000000000000002\.wal at offset \d+: segment ends inside a record but later segments exist|0000000000000003\.wal at offset \d+: entry \d+ does not follow entry \d+)/
    )
  })

  it('repairs and reports a torn record at the tail, and keeps every complete one', async () => {
    const cluster = await singleNodeWith(20)
    const node = cluster.nodes[0]!
    const file = path.join(node.spec.dir, segmentName(1))
    const sizeBefore = fs.statSync(file).size
    // A crash in the middle of an append leaves the first part of a record.
    const record = encodeRecord({
      type: 'entry',
      entry: { index: 999, term: 9, command: { op: 'noop' } }
    })
    fs.appendFileSync(file, record.subarray(0, record.length - 7))
    node.start()
    const recover = await waitUntil('recover event', () =>
      node.events.find((e) => e.kind === 'recover')
    )
    expect(recover).toMatchObject({
      kind: 'recover',
      repaired: expect.stringMatching(/torn record .*offset \d+/)
    })
    expect(fs.statSync(file).size).toBe(sizeBefore)
    await cluster.waitForLeader()
    const client = new RaftClient({ addresses: cluster.addresses })
    try {
      for (let i = 0; i < 20; i++) {
        expect(await client.get(`k${i}`)).toMatchObject({
          status: 'ok',
          output: { value: `value-${i}` }
        })
      }
      expect(await client.put('after', 'repair')).toMatchObject({ status: 'ok' })
    } finally {
      client.close()
    }
  })
})
