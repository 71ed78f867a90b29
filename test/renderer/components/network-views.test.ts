import { afterEach, describe, expect, it } from 'vitest'
import PartitionEditor from '@renderer/components/PartitionEditor.vue'
import LinkFaultEditor from '@renderer/components/LinkFaultEditor.vue'
import NetworkDrawing from '@renderer/components/NetworkDrawing.vue'
import MessageTimeline from '@renderer/components/MessageTimeline.vue'
import { useSettingsStore } from '@renderer/stores/settings'
import { eventBuilder } from '../events'
import { flush, mountIn, setup } from '../mount'

afterEach(() => {
  document.body.innerHTML = ''
})

const starts = () => {
  const ev = eventBuilder()
  return ['n1', 'n2', 'n3'].map((id) => ev(0, { kind: 'proc', node: id, action: 'start' }))
}

describe('PartitionEditor', () => {
  it('puts nodes into groups and partitions the cluster; Heal clears it', async () => {
    const fake = setup({ events: starts() })
    const w = mountIn(PartitionEditor)
    expect(w.get('[data-testid="partition-apply"]').attributes('disabled')).toBeDefined()
    await w.get('[data-testid="partition-select-n3"]').setValue('1')
    expect(w.get('[data-testid="partition-group-B"]').text()).toContain('n3')
    await w.get('[data-testid="partition-apply"]').trigger('click')
    await flush()
    expect(fake.calls.at(-1)).toEqual({
      name: 'network',
      request: { action: 'partition', groups: [['n1', 'n2'], ['n3']] }
    })
    await w.get('[data-testid="heal-button"]').trigger('click')
    await flush()
    expect(fake.calls.at(-1)).toEqual({ name: 'network', request: { action: 'heal' } })
    expect(w.get('[data-testid="partition-group-A"]').text()).toContain('n3')
  })

  it('shows a partition set elsewhere (e.g. by a scenario)', () => {
    const ev = eventBuilder()
    setup({
      events: [
        ...starts(),
        ev(1, { kind: 'fault', action: 'partition', groups: [['n1'], ['n2', 'n3']] })
      ]
    })
    const w = mountIn(PartitionEditor)
    expect(w.get('[data-testid="partition-group-A"]').text()).toContain('n1')
    expect(w.get('[data-testid="partition-group-B"]').text()).toContain('n2')
  })
})

describe('LinkFaultEditor', () => {
  it('sends a directed link fault with percentages as probabilities', async () => {
    const fake = setup({ events: starts() })
    const w = mountIn(LinkFaultEditor)
    await w.get('[data-testid="link-from"]').setValue('n1')
    await w.get('[data-testid="link-to"]').setValue('n2')
    await w.get('[data-testid="link-loss"]').setValue('30')
    await w.get('[data-testid="link-delay"]').setValue('120')
    await w.get('[data-testid="link-up"]').setValue(false)
    await w.get('[data-testid="link-editor"]').trigger('submit')
    await flush()
    expect(fake.calls.at(-1)).toEqual({
      name: 'network',
      request: {
        action: 'link',
        from: 'n1',
        to: 'n2',
        fault: { up: false, loss: 0.3, delayMs: 120, jitterMs: 0, duplicate: 0, reorder: 0 }
      }
    })
  })
})

describe('NetworkDrawing', () => {
  it('draws who reaches whom: both ways, one way, or not at all', () => {
    const ev = eventBuilder()
    setup({
      events: [
        ...starts(),
        ev(1, { kind: 'fault', action: 'link', from: 'n1', to: 'n2', link: { up: false } }),
        ev(2, { kind: 'fault', action: 'isolate', target: 'n3' })
      ]
    })
    const w = mountIn(NetworkDrawing)
    const link = (k: string) => w.get(`[data-testid="network-link-${k}"]`).attributes('data-state')
    expect(link('n1-n2')).toBe('one-way')
    expect(link('n1-n3')).toBe('none')
    expect(link('n2-n3')).toBe('none')
  })
})

describe('MessageTimeline', () => {
  it('draws recent messages as delivered, dropped or in flight, and shows one on click', async () => {
    const ev = eventBuilder()
    const m = { from: 'n1', to: 'n2', type: 'RequestVote', term: 2, size: 100 } as const
    setup({
      events: [
        ...starts(),
        ev(10, { kind: 'net', action: 'send', msgId: 1, ...m, msg: { lastLogIndex: 4 } }),
        ev(12, { kind: 'net', action: 'deliver', msgId: 1, ...m }),
        ev(20, { kind: 'net', action: 'send', msgId: 2, ...m }),
        ev(21, { kind: 'net', action: 'drop', msgId: 2, ...m, reason: 'loss' }),
        ev(30, { kind: 'net', action: 'send', msgId: 3, ...m }),
        ev(40, { kind: 'net', action: 'send', msgId: 4, ...m }),
        ev(140, { kind: 'net', action: 'deliver', msgId: 4, ...m, delayMs: 100 })
      ]
    })
    useSettingsStore().timelineWindowMs = 2000
    const w = mountIn(MessageTimeline)
    const state = (id: number) =>
      w.get(`[data-testid="message-n1-n2-${id}"]`).attributes('data-state')
    expect(state(1)).toBe('delivered')
    expect(state(2)).toBe('dropped')
    expect(state(3)).toBe('in-flight')
    expect(w.get('[data-testid="message-n1-n2-2"]').text()).toContain('✕')
    // Slow deliveries stand out: a delayed link shows.
    expect(w.get('[data-testid="message-n1-n2-4"]').attributes('data-delayed')).toBe('true')
    expect(w.get('[data-testid="message-n1-n2-1"]').attributes('data-delayed')).toBe('false')
    await w.get('[data-testid="message-n1-n2-1"]').trigger('click')
    const detail = w.get('[data-testid="message-detail"]').text()
    expect(detail).toContain('RequestVote')
    expect(detail).toContain('delivered 12.0 ms')
    expect(detail).toContain('"lastLogIndex": 4')
    await w.get('[data-testid="timeline-filter"]').setValue('AppendEntries')
    expect(w.find('[data-testid="message-n1-n2-1"]').exists()).toBe(false)
  })
})
