// The step planner both scenario runners carry out: selectors resolved by the
// runner, partitions, links and operations decided here.
import { describe, expect, it } from 'vitest'
import { parseScenario, type Selector } from '../../../src/shared/scenario'
import {
  describeStep,
  disruptsLeader,
  planStep,
  rangeNodesAt
} from '../../../src/shared/scenario-plan'

const NODES = ['n1', 'n2', 'n3', 'n4', 'n5']

function scenario(yaml: string, expect = '') {
  const r = parseScenario(`name: t\nduration: 10s\nsteps:\n${yaml}${expect}`)
  if (!r.ok) throw new Error(JSON.stringify(r.errors))
  return r.scenario
}

const steps = (yaml: string) => scenario(yaml).steps

/** Node ids stand for themselves; `leader` is n1; `follower` the first free one that is not. */
function resolve(sel: Selector, among: string[] = NODES): string[] {
  if (sel === 'leader') return among.includes('n1') ? ['n1'] : []
  if (sel === 'follower') return among.filter((n) => n !== 'n1').slice(0, 1)
  return typeof sel === 'string' && among.includes(sel) ? [sel] : []
}

describe('planStep', () => {
  it('puts the rest of the nodes in the last group and names the first', () => {
    const [step] = steps('  - partition: [[leader, n2], rest]\n')
    expect(planStep(step!, NODES, resolve)).toEqual({
      kind: 'network',
      commands: [
        {
          action: 'partition',
          groups: [
            ['n1', 'n2'],
            ['n3', 'n4', 'n5']
          ]
        }
      ],
      nodes: ['n1', 'n2'],
      groups: [
        ['n1', 'n2'],
        ['n3', 'n4', 'n5']
      ]
    })
  })

  it('refuses a node in two groups, and heal clears the partition', () => {
    const [twice, heal] = steps('  - partition: [[n1], [n1, n2]]\n  - heal: true\n')
    // A node already placed is not free for the next group: resolving it there finds nobody.
    expect(planStep(twice!, NODES, resolve)).toMatchObject({ groups: [['n1'], ['n2']] })
    const dup = (sel: Selector, among: string[] = NODES): string[] =>
      sel === 'n2' ? ['n1'] : resolve(sel, among)
    expect(() => planStep(twice!, NODES, dup)).toThrow('node n1 is in two partition groups')
    expect(planStep(heal!, NODES, resolve)).toEqual({
      kind: 'network',
      commands: [{ action: 'heal' }],
      nodes: [],
      groups: []
    })
  })

  it('expands links to every pair but a node and itself', () => {
    const [loss, delay] = steps(
      "  - loss: { p: 0.5, from: n1, to: '*' }\n  - delay: { ms: 5ms, from: n2, to: n2 }\n"
    )
    expect(planStep(loss!, NODES, resolve)).toEqual({
      kind: 'network',
      commands: [{ action: 'link', from: 'n1', to: '*', fault: { loss: 0.5 } }],
      nodes: ['n1']
    })
    expect(planStep(delay!, NODES, resolve)).toMatchObject({ commands: [], nodes: ['n2', 'n2'] })
  })

  it('plans node actions, operations through a node, waits and the workload', () => {
    const [crash, put, wait, stop] = steps(
      '  - crash: follower\n  - put: { key: x, value: a, via: leader }\n  - wait: 1s\n  - workload: stop\n'
    )
    expect(planStep(crash!, NODES, resolve)).toEqual({
      kind: 'nodes',
      action: 'crash',
      nodes: ['n2']
    })
    expect(planStep(put!, NODES, resolve)).toEqual({
      kind: 'op',
      input: { op: 'put', key: 'x', value: 'a' },
      via: 'n1'
    })
    expect(planStep(wait!, NODES, resolve)).toEqual({ kind: 'wait', ms: 1000 })
    expect(planStep(stop!, NODES, resolve)).toEqual({ kind: 'workload', start: false })
  })
})

describe('disruptsLeader', () => {
  it('is true when the step removes the leader or leaves it in a minority', () => {
    expect(disruptsLeader({ action: 'crash', nodes: ['n1'] }, 'n1', [], 5)).toBe(true)
    expect(disruptsLeader({ action: 'crash', nodes: ['n2'] }, 'n1', [], 5)).toBe(false)
    const groups = [
      ['n1', 'n2'],
      ['n3', 'n4', 'n5']
    ]
    expect(disruptsLeader({ action: 'partition', nodes: ['n1', 'n2'] }, 'n1', groups, 5)).toBe(true)
    expect(disruptsLeader({ action: 'partition', nodes: ['n1', 'n2'] }, 'n3', groups, 5)).toBe(
      false
    )
    expect(disruptsLeader({ action: 'restart-all', nodes: [] }, 'n3', [], 5)).toBe(true)
  })
})

describe('describeStep', () => {
  it('names the action, with its argument unless that is true', () => {
    const [crash, heal] = steps('  - crash: leader\n  - heal: true\n')
    expect(describeStep(crash!)).toBe('crash "leader"')
    expect(describeStep(heal!)).toBe('heal')
  })
})

describe('rangeNodesAt', () => {
  const s = scenario(
    '  - crash: leader\n  - wait: 1s\n  - heal: true\n',
    'expect:\n  unavailable: { steps: [1, 2], nodes: leader }\n  available: [3, 3]\n  no-commit-during: { steps: [1, 1], nodes: n9 }\n'
  )
  const failing = (sel: Selector, among?: string[]) => {
    if (sel === 'n9') throw new Error('no node n9')
    return resolve(sel, among)
  }

  it('names the nodes of the ranges that begin at the step, every node when none are given', () => {
    expect(rangeNodesAt(s.expect, 1, failing, NODES)).toEqual({
      unavailable: ['n1'],
      'no-commit-during': []
    })
    expect(rangeNodesAt(s.expect, 2, failing, NODES)).toEqual({})
    expect(rangeNodesAt(s.expect, 3, failing, NODES)).toEqual({ available: NODES })
  })
})
