import { describe, expect, it } from 'vitest'
import { clusterConfigSchema, defaultClusterConfig } from '@shared/config'
import { IPC_CHANNELS, isLabCommandName, labCommands, parseLabRequest } from '@shared/lab-api'
import { clientRequestSchema, inboundFrameSchema } from '@shared/protocol'
import { traceEventSchema } from '@shared/trace'
import { parseDuration, UsageError } from '../../../src/main/cli/command'

describe('cluster config', () => {
  it('fills the documented defaults', () => {
    expect(defaultClusterConfig()).toEqual({
      nodes: 5,
      electionTimeoutMs: [150, 300],
      heartbeatMs: 50,
      fsync: 'always',
      readMode: 'readindex',
      prevote: true,
      bug: null,
      nodeCommand: null
    })
  })

  it('rejects an inverted timeout range and unknown keys', () => {
    expect(clusterConfigSchema.safeParse({ electionTimeoutMs: [300, 150] }).success).toBe(false)
    expect(clusterConfigSchema.safeParse({ nodez: 3 }).success).toBe(false)
    expect(clusterConfigSchema.safeParse({ bug: 'no-such-bug' }).success).toBe(false)
  })
})

describe('LabApi requests', () => {
  it('has one IPC channel per command', () => {
    expect(Object.keys(IPC_CHANNELS).sort()).toEqual(Object.keys(labCommands).sort())
    expect(IPC_CHANNELS.startCluster).toBe('lab:startCluster')
    expect(isLabCommandName('startCluster')).toBe(true)
    expect(isLabCommandName('__proto__')).toBe(false)
  })

  it('names the command and the field of a bad request', () => {
    expect(() => parseLabRequest('nodeAction', { node: 'n1', action: 'explode' })).toThrow(
      /^nodeAction: action: /
    )
    expect(parseLabRequest('startCluster', undefined)).toEqual({ mode: 'real', config: {} })
  })
})

describe('wire frames and trace events', () => {
  it('accepts a well-formed client request and rejects an unknown op', () => {
    const put = {
      type: 'ClientRequest',
      id: 1,
      client: 'c1',
      seq: 1,
      op: 'put',
      key: 'a',
      value: '1'
    }
    expect(clientRequestSchema.parse(put)).toEqual(put)
    expect(inboundFrameSchema.safeParse({ ...put, op: 'delete' }).success).toBe(false)
  })

  it('validates trace events by kind', () => {
    const role = {
      seq: 1,
      t: 12.5,
      kind: 'role',
      node: 'n1',
      role: 'leader',
      term: 2,
      leader: 'n1'
    }
    expect(traceEventSchema.parse(role)).toEqual(role)
    expect(traceEventSchema.safeParse({ ...role, role: 'king' }).success).toBe(false)
    expect(traceEventSchema.safeParse({ ...role, kind: 'rumour' }).success).toBe(false)
  })
})

describe('durations', () => {
  it('reads ms, s and m', () => {
    expect(parseDuration('250ms')).toBe(250)
    expect(parseDuration('10s')).toBe(10_000)
    expect(parseDuration('2m')).toBe(120_000)
    expect(parseDuration('75')).toBe(75)
    expect(() => parseDuration('ten seconds')).toThrow(UsageError)
  })
})
