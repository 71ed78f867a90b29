import { afterEach, describe, expect, it } from 'vitest'
import App from '@renderer/App.vue'
import { useSettingsStore } from '@renderer/stores/settings'
import { eventBuilder } from '../events'
import { flush, mountIn, setup } from '../mount'

afterEach(() => {
  document.body.innerHTML = ''
})

function leaderScene() {
  const ev = eventBuilder()
  return [
    ...['n1', 'n2', 'n3'].map((id) => ev(0, { kind: 'proc', node: id, action: 'start' })),
    ev(5, { kind: 'role', node: 'n2', role: 'leader', term: 1, leader: 'n2' })
  ]
}

function press(key: string): void {
  window.dispatchEvent(new KeyboardEvent('keydown', { key }))
}

describe('App', () => {
  it('lays out every view', () => {
    setup({ events: leaderScene(), results: { listScenarios: [] } })
    const w = mountIn(App, { global: { stubs: { LineChart: true } } })
    for (const id of [
      'toolbar',
      'cluster-ring',
      'log-grid',
      'network-panel',
      'state-table',
      'message-timeline',
      'replay-slider',
      'client-panel'
    ])
      expect(w.find(`[data-testid="${id}"]`).exists(), id).toBe(true)
  })

  it('keyboard: K crashes the leader, 1–9 and X act on a node, ? opens the help', async () => {
    const fake = setup({ events: leaderScene(), results: { listScenarios: [] } })
    const w = mountIn(App, { global: { stubs: { LineChart: true } } })
    press('k')
    await flush()
    expect(fake.calls.at(-1)).toEqual({
      name: 'nodeAction',
      request: { node: 'n2', action: 'crash' }
    })
    press('3')
    await flush()
    expect(w.find('[data-testid="node-inspector"]').text()).toContain('n3')
    press('x')
    await flush()
    expect(fake.calls.at(-1)).toEqual({
      name: 'nodeAction',
      request: { node: 'n3', action: 'crash' }
    })
    press('?')
    await flush()
    const help = w.get('[data-testid="help-overlay"]').text()
    expect(help).toContain('crash the leader')
    expect(help).toContain('align timers')
    press('Escape')
    await flush()
    expect(w.find('[data-testid="help-overlay"]').exists()).toBe(false)
  })

  it('A times out every running node at once; keys typed in a field are not shortcuts', async () => {
    const fake = setup({ events: leaderScene(), results: { listScenarios: [] } })
    const w = mountIn(App, { global: { stubs: { LineChart: true } } })
    press('a')
    await flush()
    expect(fake.calls.filter((c) => c.name === 'nodeAction').map((c) => c.request)).toEqual([
      { node: 'n1', action: 'timeout' },
      { node: 'n2', action: 'timeout' },
      { node: 'n3', action: 'timeout' }
    ])
    const input = w.get('[data-testid="client-key"]').element as HTMLInputElement
    input.dispatchEvent(new KeyboardEvent('keydown', { key: 'k', bubbles: true }))
    await flush()
    expect(fake.calls.filter((c) => c.name === 'nodeAction')).toHaveLength(3)
  })

  it('switches theme on the document', async () => {
    setup({ results: { listScenarios: [] } })
    const w = mountIn(App, { global: { stubs: { LineChart: true } } })
    const settings = useSettingsStore()
    const before = settings.theme
    await w.get('[data-testid="theme-toggle"]').trigger('click')
    await flush()
    expect(document.documentElement.dataset.theme).toBe(before === 'dark' ? 'light' : 'dark')
  })
})
