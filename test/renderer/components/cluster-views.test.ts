import { afterEach, describe, expect, it } from 'vitest'
import TheClusterRing from '@renderer/components/TheClusterRing.vue'
import NodeInspector from '@renderer/components/NodeInspector.vue'
import TheLogGrid from '@renderer/components/TheLogGrid.vue'
import StateMachineTable from '@renderer/components/StateMachineTable.vue'
import { termColor } from '@renderer/model/term-colors'
import type { TraceEvent } from '@shared/trace'
import { eventBuilder, put } from '../events'
import { flush, mountIn, setup } from '../mount'

/** n1 leads term 2 with 3 entries; n2 has them committed up to 2; n3 crashed with a stale entry. */
function scene(): TraceEvent[] {
  const ev = eventBuilder()
  const events: TraceEvent[] = []
  for (const id of ['n1', 'n2', 'n3'])
    events.push(ev(0, { kind: 'proc', node: id, action: 'start' }))
  events.push(
    ev(1, { kind: 'append', node: 'n3', entries: [put(1, 1, 'a', '1'), put(2, 1, 'z', '9')] }),
    ev(2, { kind: 'proc', node: 'n3', action: 'crash', signal: 'SIGKILL' }),
    ev(3, { kind: 'role', node: 'n1', role: 'leader', term: 2, leader: 'n1' }),
    ev(3, { kind: 'role', node: 'n2', role: 'follower', term: 2, leader: 'n1' }),
    ev(3, { kind: 'vote', node: 'n2', candidate: 'n1', term: 2, granted: true, preVote: false }),
    ev(4, { kind: 'timer', node: 'n2', ms: 300 })
  )
  const entries = [put(1, 1, 'a', '1'), put(2, 2, 'b', '2'), put(3, 2, 'a', '3')]
  for (const id of ['n1', 'n2']) events.push(ev(5, { kind: 'append', node: id, entries }))
  for (const id of ['n1', 'n2']) {
    events.push(ev(6, { kind: 'commit', node: id, commitIndex: id === 'n1' ? 3 : 2, term: 2 }))
    for (const e of entries.slice(0, id === 'n1' ? 3 : 2))
      events.push(ev(7, { kind: 'apply', node: id, ...e, result: {} }))
  }
  events.push(
    ev(8, {
      kind: 'status',
      node: 'n1',
      role: 'leader',
      currentTerm: 2,
      votedFor: 'n1',
      leader: 'n1',
      commitIndex: 3,
      lastApplied: 3,
      lastLogIndex: 3,
      lastLogTerm: 2,
      nextIndex: { n2: 4, n3: 2 },
      matchIndex: { n2: 3, n3: 1 }
    })
  )
  return events
}

afterEach(() => {
  document.body.innerHTML = ''
})

describe('TheClusterRing', () => {
  it('shows role, status and term of each node, coloured by term', async () => {
    setup({ events: scene() })
    const w = mountIn(TheClusterRing, { props: { selected: null } })
    const n1 = w.get('[data-testid="node-n1"]')
    expect(n1.attributes('data-role')).toBe('leader')
    expect(n1.attributes('data-term')).toBe('2')
    expect(n1.text()).toContain('★')
    expect(n1.get('circle').attributes('fill')).toBe(termColor(2))
    const n3 = w.get('[data-testid="node-n3"]')
    expect(n3.attributes('data-status')).toBe('crashed')
    // Status shown by an icon, not only by colour.
    expect(n3.text()).toContain('✕')
    expect(w.find('[data-testid="node-timer-n2"]').exists()).toBe(true)
    expect(w.find('[data-testid="node-timer-n1"]').exists()).toBe(false)
    await n3.trigger('click')
    expect(w.emitted('select')).toEqual([['n3']])
  })
})

describe('NodeInspector', () => {
  it("shows Figure 2's state and the leader's nextIndex/matchIndex", () => {
    setup({ events: scene() })
    const w = mountIn(NodeInspector, { props: { node: 'n1' } })
    expect(w.get('[data-testid="inspector-term"]').text()).toBe('2')
    expect(w.get('[data-testid="inspector-commit"]').text()).toBe('3')
    expect(w.get('[data-testid="inspector-indexes"]').text()).toMatch(/n2\s*4\s*3/)
    const f = mountIn(NodeInspector, { props: { node: 'n2' } })
    expect(f.get('[data-testid="inspector-voted-for"]').text()).toBe('n1')
    expect(f.get('[data-testid="inspector-leader-view"]').text()).toBe('nextIndex 4, matchIndex 3')
  })

  it('follows the live node as events arrive', async () => {
    const fake = setup({ events: scene() })
    const w = mountIn(NodeInspector, { props: { node: 'n2' } })
    expect(w.get('[data-testid="inspector-commit"]').text()).toBe('2')
    fake.emit({
      type: 'events',
      replay: false,
      events: [{ seq: 999, t: 20, kind: 'commit', node: 'n2', commitIndex: 3, term: 2 }]
    })
    await flush()
    expect(w.get('[data-testid="inspector-commit"]').text()).toBe('3')
  })

  it('offers the actions that make sense and sends them', async () => {
    const fake = setup({ events: scene() })
    const w = mountIn(NodeInspector, { props: { node: 'n3' } })
    expect(w.get('[data-testid="node-action-crash"]').attributes('disabled')).toBeDefined()
    await w.get('[data-testid="node-action-restart"]').trigger('click')
    await flush()
    expect(fake.calls.at(-1)).toEqual({
      name: 'nodeAction',
      request: { node: 'n3', action: 'restart' }
    })
  })
})

describe('TheLogGrid', () => {
  it("is the lecture's log table: terms, commits, applies and conflicts", async () => {
    setup({ events: scene() })
    const w = mountIn(TheLogGrid)
    const cell = (id: string, i: number) => w.get(`[data-testid="log-cell-${id}-${i}"]`)
    expect(cell('n1', 2).text()).toBe('2')
    expect(cell('n1', 3).attributes('data-committed')).toBe('true')
    expect(cell('n2', 3).attributes('data-committed')).toBe('false')
    expect(cell('n2', 3).classes()).not.toContain('committed')
    expect(cell('n2', 2).classes()).toContain('applied')
    // n3 kept a term-1 entry at index 2 where the others have term 2.
    expect(cell('n3', 2).classes()).toContain('conflict')
    expect(cell('n1', 1).classes()).not.toContain('conflict')
    expect(cell('n3', 3).classes()).toContain('empty')
    // The leader's matchIndex for n2 is 3.
    expect(cell('n2', 3).classes()).toContain('match')
    await cell('n2', 3).trigger('click')
    const detail = w.get('[data-testid="log-entry-detail"]').text()
    expect(detail).toContain('n2 #3')
    expect(detail).toContain('put(a, 3)')
    expect(detail).toContain('not committed')
    expect(detail).toContain('held by n1, n2')
  })

  it('renders only a window of columns for long logs, following the tail until scrolled back', async () => {
    const ev = eventBuilder()
    const entries = Array.from({ length: 5000 }, (_, i) => put(i + 1, 1, 'k', `${i}`))
    const fake = setup({ events: [ev(1, { kind: 'append', node: 'n1', entries })] })
    const w = mountIn(TheLogGrid)
    const shown = () =>
      w
        .findAll('[data-testid^="log-cell-n1-"]')
        .map((c) => Number(c.attributes('data-testid')!.split('-').pop()))
    expect(shown().length).toBeLessThan(200)
    expect(shown().at(-1)).toBe(5000)
    await w.get('[data-testid="log-scroll"]').setValue('100')
    expect(shown()[0]).toBe(100)
    expect((w.get('[data-testid="log-follow"]').element as HTMLInputElement).checked).toBe(false)
    // New entries do not move a view the student scrolled back.
    fake.emit({
      type: 'events',
      replay: false,
      events: [ev(2, { kind: 'append', node: 'n1', entries: [put(5001, 1, 'k', 'x')] })]
    })
    await flush()
    expect(shown()[0]).toBe(100)
    await w.get('[data-testid="log-follow"]').setValue(true)
    expect(shown().at(-1)).toBe(5001)
  })
})

describe('StateMachineTable', () => {
  it("shows each node's key/value state and one node's history over time", async () => {
    setup({ events: scene() })
    const w = mountIn(StateMachineTable)
    expect(w.get('[data-testid="state-cell-n1-a"]').text()).toBe('3')
    expect(w.get('[data-testid="state-cell-n2-a"]').text()).toBe('1')
    expect(w.get('[data-testid="state-cell-n3-b"]').text()).toBe('-')
    expect(w.get('[data-testid="state-applied-n2"]').text()).toBe('2')
    const rows = w
      .findAll('[data-testid^="state-history-"]')
      .filter((r) => r.element.tagName === 'TR')
    // Newest first: index 3 then 2 then 1 for n1.
    expect(rows.map((r) => r.findAll('td').map((td) => td.text()))).toEqual([
      ['3', 'put(a, 3)', '3', '2'],
      ['2', 'put(b, 2)', '1', '2'],
      ['1', 'put(a, 1)', '1', '-']
    ])
    await w.get('[data-testid="state-history-node"]').setValue('n2')
    expect(w.findAll('tr[data-testid^="state-history-"]')).toHaveLength(2)
  })
})
