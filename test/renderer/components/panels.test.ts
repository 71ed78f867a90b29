import { afterEach, describe, expect, it, vi } from 'vitest'
import ClientPanel from '@renderer/components/ClientPanel.vue'
import ScenarioPanel from '@renderer/components/ScenarioPanel.vue'
import ChecksPanel from '@renderer/components/ChecksPanel.vue'
import TheToolbar from '@renderer/components/TheToolbar.vue'
import TheReplaySlider from '@renderer/components/TheReplaySlider.vue'
import TheChartsPanel from '@renderer/components/TheChartsPanel.vue'
import { useReplayStore } from '@renderer/stores/replay'
import { useClusterStore } from '@renderer/stores/cluster'
import type { CheckReport } from '@shared/lab-api'
import { eventBuilder, put } from '../events'
import { flush, mountIn, setup } from '../mount'

afterEach(() => {
  document.body.innerHTML = ''
})

const GOOD_SCENARIO = `name: Leader crash
description: crash the leader
duration: 5s
cluster:
  nodes: 3
steps:
  - at: 1s
    crash: leader
`

describe('ClientPanel', () => {
  it('sends a cas with an empty "from" as "key must be missing" and shows the answer', async () => {
    const fake = setup({
      results: { clientOp: { status: 'ok', output: { swapped: true }, ms: 3.2 } }
    })
    const w = mountIn(ClientPanel)
    await w.get('[data-testid="client-op"]').setValue('cas')
    await w.get('[data-testid="client-key"]').setValue('x')
    await w.get('[data-testid="client-value"]').setValue('7')
    await w.get('[data-testid="client-send"]').trigger('submit')
    await flush()
    expect(fake.calls.at(-1)).toEqual({
      name: 'clientOp',
      request: { input: { op: 'cas', key: 'x', from: null, to: '7' } }
    })
    expect(w.get('[data-testid="client-result"]').text()).toBe('ok · swapped · 3.2 ms')
  })

  it('starts a workload and lists recent operations', async () => {
    const ev = eventBuilder()
    const fake = setup({
      events: [
        ev(1, { kind: 'invoke', client: 'c1', opId: 1, input: { op: 'get', key: 'a' } }),
        ev(2, { kind: 'complete', client: 'c1', opId: 1, status: 'ok', output: { value: '5' } })
      ]
    })
    const w = mountIn(ClientPanel)
    await w.get('[data-testid="workload-rate"]').setValue('250')
    await w.get('[data-testid="workload-start"]').trigger('click')
    await flush()
    expect(fake.calls.at(-1)).toEqual({ name: 'startWorkload', request: { rate: 250, clients: 4 } })
    expect(w.get('[data-testid="client-recent"]').text()).toContain('get(a) → ok 5')
  })
})

describe('ScenarioPanel', () => {
  it('validates as the student types, with line numbers', async () => {
    setup({ results: { listScenarios: [] } })
    const w = mountIn(ScenarioPanel)
    await w.get('[data-testid="scenario-editor"]').setValue(GOOD_SCENARIO)
    expect(w.get('[data-testid="scenario-valid"]').text()).toContain('Leader crash')
    await w
      .get('[data-testid="scenario-editor"]')
      .setValue(GOOD_SCENARIO.replace('crash:', 'crahs:'))
    const errors = w.get('[data-testid="scenario-errors"]').text()
    expect(errors).toMatch(/scenario\.yaml:8/)
    expect(errors).toContain('crash')
    expect(w.get('[data-testid="scenario-run-editor"]').attributes('disabled')).toBeDefined()
  })

  it('loads a built-in lab, runs it and shows progress and expectations', async () => {
    const ev = eventBuilder()
    const fake = setup({
      results: {
        listScenarios: [
          { id: 'leader-crash', name: 'Leader crash', description: 'Crash it.', path: '/s/lc.yaml' }
        ],
        readScenario: { path: '/s/lc.yaml', text: GOOD_SCENARIO }
      },
      status: { scenario: { name: 'Leader crash', step: 1, steps: 2, running: true } },
      events: [
        ev(1, { kind: 'scenario', action: 'start', text: 'Leader crash' }),
        ev(2, { kind: 'scenario', action: 'expect', index: 0, text: 'a new leader', ok: true })
      ]
    })
    const w = mountIn(ScenarioPanel)
    await flush()
    await w.get('[data-testid="scenario-list"]').setValue('leader-crash')
    await flush()
    expect((w.get('[data-testid="scenario-editor"]').element as HTMLTextAreaElement).value).toBe(
      GOOD_SCENARIO
    )
    expect(w.text()).toContain('Crash it.')
    expect(w.get('[data-testid="scenario-progress"]').attributes('value')).toBe('1')
    expect(w.get('[data-testid="scenario-expectations"]').text()).toContain('✓ a new leader')
    expect(fake.calls.map((c) => c.name)).toContain('readScenario')
  })
})

describe('ChecksPanel', () => {
  it('shows each safety property, linearizability and the report in a sandboxed frame', async () => {
    const report: CheckReport = {
      safety: [
        { property: 'election-safety', ok: true, violations: [] },
        {
          property: 'state-machine-safety',
          ok: false,
          violations: [
            { message: 'n2 applied a different entry at 4', nodes: ['n1', 'n2'], index: 4 }
          ]
        }
      ],
      linearizable: false,
      operations: 1204,
      failingKeys: ['a'],
      summary: {}
    }
    const fake = setup({
      results: { check: report, exportExperiment: { path: null, text: '<p>violation</p>' } }
    })
    const w = mountIn(ChecksPanel)
    await w.get('[data-testid="check-source"]').setValue('opened')
    await w.get('[data-testid="check-run"]').trigger('click')
    await flush()
    expect(fake.calls.at(-1)).toEqual({ name: 'check', request: { source: 'opened' } })
    expect(w.get('[data-testid="check-safety-election-safety"]').attributes('data-ok')).toBe('true')
    const bad = w.get('[data-testid="check-safety-state-machine-safety"]')
    expect(bad.text()).toContain('n2 applied a different entry at 4')
    expect(bad.text()).toContain('index 4')
    expect(w.get('[data-testid="check-linearizable"]').text()).toContain(
      'NOT linearizable (1,204 ops)'
    )
    await w.get('[data-testid="check-open-report"]').trigger('click')
    await flush()
    const frame = w.get('[data-testid="check-violation-view"]')
    expect(frame.attributes('sandbox')).toBe('')
    expect(frame.attributes('srcdoc')).toBe('<p>violation</p>')
  })
})

describe('TheToolbar', () => {
  it('starts N nodes in the chosen mode and stops', async () => {
    const fake = setup({ status: { running: false }, results: { listScenarios: [] } })
    const w = mountIn(TheToolbar)
    await w.get('[data-testid="start-nodes"]').setValue('3')
    await w.get('[data-testid="start-button"]').trigger('click')
    await flush()
    expect(fake.calls.find((c) => c.name === 'startCluster')?.request).toEqual({
      mode: 'real',
      config: { nodes: 3 },
      seed: undefined
    })
    expect(w.get('[data-testid="elapsed"]').text()).toContain('00:00.0')
  })

  it('shows simulation controls in simulated mode', async () => {
    setup({ status: { running: false }, results: { listScenarios: [] } })
    const w = mountIn(TheToolbar)
    expect(w.find('[data-testid="sim-controls"]').exists()).toBe(false)
    useClusterStore().mode = 'sim'
    await flush()
    expect(w.find('[data-testid="sim-step"]').exists()).toBe(true)
  })
})

describe('TheReplaySlider', () => {
  it('moves every view to the chosen instant and back to live', async () => {
    const ev = eventBuilder()
    setup({
      events: [1, 2, 3].map((i) =>
        ev(i * 1000, { kind: 'append', node: 'n1', entries: [put(i, 1, 'a', `${i}`)] })
      )
    })
    const w = mountIn(TheReplaySlider)
    const replay = useReplayStore()
    await w.get('[data-testid="replay-slider"]').setValue('1500')
    expect(replay.frame.live).toBe(false)
    expect(replay.frame.state.nodes.n1!.log).toHaveLength(1)
    expect(w.get('[data-testid="replay-time"]').text()).toBe('00:01.5 / 00:03.0')
    await w.get('[data-testid="replay-live"]').trigger('click')
    expect(replay.frame.live).toBe(true)
  })
})

describe('TheChartsPanel', () => {
  it('feeds ops/s, latency, commit index and terms to the charts', () => {
    const ev = eventBuilder()
    setup({
      events: [
        ev(0, { kind: 'role', node: 'n1', role: 'leader', term: 1, leader: 'n1' }),
        ev(100, { kind: 'invoke', client: 'c', opId: 1, input: { op: 'get', key: 'a' } }),
        ev(140, { kind: 'complete', client: 'c', opId: 1, status: 'ok', output: { value: null } }),
        ev(150, { kind: 'commit', node: 'n1', commitIndex: 3, term: 1 })
      ]
    })
    const w = mountIn(TheChartsPanel, { global: { stubs: { LineChart: true } } })
    const charts = w.findAllComponents({ name: 'LineChart' })
    expect(charts).toHaveLength(4)
    const series = charts.map((c) => c.props('series') as { label: string; points: unknown[] }[])
    expect(series[0]![0]!.points).toEqual([{ x: 0, y: 1 }])
    expect(series[1]!.map((s) => s.points)).toEqual([[{ x: 0, y: 40 }], [{ x: 0, y: 40 }]])
    expect(series[2]!.find((s) => s.label === 'n1')!.points).toEqual([{ x: 0.15, y: 3 }])
    // The term line runs on to the end of the axis (1 s at least).
    expect(series[3]![0]!.points).toEqual([
      { x: 0, y: 1 },
      { x: 1, y: 1 }
    ])
  })
})

describe('TheChartsPanel while live', () => {
  it('picks up new events after its refresh interval, though the live state is the same object', async () => {
    vi.useFakeTimers()
    try {
      const ev = eventBuilder()
      const fake = setup({
        events: [ev(0, { kind: 'commit', node: 'n1', commitIndex: 1, term: 1 })]
      })
      const w = mountIn(TheChartsPanel, { global: { stubs: { LineChart: true } } })
      const commitPoints = () =>
        (
          w.findAllComponents({ name: 'LineChart' })[2]!.props('series') as {
            label: string
            points: unknown[]
          }[]
        ).find((s) => s.label === 'n1')!.points.length
      expect(commitPoints()).toBe(1)
      fake.emit({
        type: 'events',
        replay: false,
        events: [ev(500, { kind: 'commit', node: 'n1', commitIndex: 2, term: 1 })]
      })
      await vi.advanceTimersByTimeAsync(1000)
      expect(commitPoints()).toBe(2)
    } finally {
      vi.useRealTimers()
    }
  })
})
