// Issue 6's cluster flows in Chromium against `raftlab serve` with real node processes: a leader
// appears; crashing it elects another; a partitioned minority stops advancing and catches up
// after heal; puts reach every node's log and state table.
import { describe, expect, it } from 'vitest'
import { screenshot, servedApp } from './harness'

const NODES = ['n1', 'n2', 'n3', 'n4', 'n5']
const poll = { timeout: 20_000, interval: 100 }

const app = servedApp()

const node = (id: string) => app.page.getByTestId(`node-${id}`)
const attr = async (id: string, name: string) => (await node(id).getAttribute(name)) ?? ''

/** Running leaders, as the ring shows them. */
async function leaders(): Promise<string[]> {
  const found: string[] = []
  for (const id of NODES) {
    if ((await attr(id, 'data-role')) === 'leader' && (await attr(id, 'data-status')) === 'running')
      found.push(id)
  }
  return found
}

async function stateCell(id: string, key: string): Promise<string> {
  return ((await app.page.getByTestId(`state-cell-${id}-${key}`).textContent()) ?? '').trim()
}

/** Select a node in the ring: its inspector opens. */
async function inspect(id: string): Promise<void> {
  if ((await app.page.getByTestId('node-inspector').count()) > 0) {
    await app.page.getByTestId('inspector-close').click()
  }
  await node(id).click()
}

/** A node's commitIndex, as its inspector shows it. */
async function commitIndex(id: string): Promise<number> {
  await inspect(id)
  return Number(await app.page.getByTestId('inspector-commit').textContent())
}

/** Select a node in the ring and press one of the inspector's action buttons. */
async function nodeAction(id: string, action: string): Promise<void> {
  await inspect(id)
  await app.page.getByTestId(`node-action-${action}`).click()
}

async function commitIndexes(ids: string[]): Promise<number[]> {
  const out: number[] = []
  // One inspector at a time: read the nodes in turn.
  for (const id of ids) out.push(await commitIndex(id))
  return out
}

async function put(key: string, value: string): Promise<string> {
  await app.page.getByTestId('tab-client').click()
  await app.page.getByTestId('client-op').selectOption('put')
  await app.page.getByTestId('client-key').fill(key)
  await app.page.getByTestId('client-value').fill(value)
  const result = app.page.getByTestId('client-result')
  const before = (await result.count()) > 0 ? await result.textContent() : null
  await app.page.getByTestId('client-send').click()
  await expect
    .poll(async () => (await result.count()) > 0 && (await result.textContent()) !== before, poll)
    .toBe(true)
  return (await result.textContent()) ?? ''
}

describe('a 5-node cluster in the browser', () => {
  let leader = ''

  it('starts 5 nodes and a leader appears', async () => {
    await app.page.getByTestId('start-nodes').selectOption('5')
    await app.page.getByTestId('start-button').click()
    await expect.poll(async () => (await leaders()).length, poll).toBe(1)
    leader = (await leaders())[0] as string
    for (const id of NODES) expect(await attr(id, 'data-status')).toBe('running')
    await screenshot(app.page, 'cluster-1-leader')
  })

  it('crashing the leader elects a new one in a higher term', async () => {
    const oldTerm = Number(await attr(leader, 'data-term'))
    await nodeAction(leader, 'crash')
    await expect.poll(() => attr(leader, 'data-status'), poll).toMatch(/^(crashed|exited)$/)
    await expect
      .poll(async () => (await leaders()).filter((id) => id !== leader).length, poll)
      .toBe(1)
    const next = (await leaders())[0] as string
    expect(next).not.toBe(leader)
    expect(Number(await attr(next, 'data-term'))).toBeGreaterThan(oldTerm)
    await screenshot(app.page, 'cluster-2-new-leader')
    await nodeAction(leader, 'restart')
    await expect.poll(() => attr(leader, 'data-status'), poll).toBe('running')
    leader = next
  })

  it('a partitioned minority stops advancing while the majority commits; heal catches it up', async () => {
    const minority = NODES.filter((id) => id !== leader).slice(0, 2)
    const majority = NODES.filter((id) => !minority.includes(id))
    for (const id of minority)
      await app.page.getByTestId(`partition-select-${id}`).selectOption('1')
    await app.page.getByTestId('partition-apply').click()
    // Events reach the view in trace order: once a majority node shows p0, whatever the
    // minority committed before the cut has been shown too.
    await put('p0', 'before')
    await expect.poll(() => stateCell(majority[0] as string, 'p0'), poll).toBe('before')
    const frozen = await commitIndexes(minority)
    for (let i = 1; i <= 3; i++) expect(await put(`p${i}`, `v${i}`)).toMatch(/^ok/)
    for (const id of majority) await expect.poll(() => stateCell(id, 'p3'), poll).toBe('v3')
    const majorityCommit = Math.min(...(await commitIndexes(majority)))
    expect(majorityCommit).toBeGreaterThan(Math.max(...frozen))
    expect(await commitIndexes(minority)).toEqual(frozen)
    await screenshot(app.page, 'cluster-3-partitioned')
    for (const id of minority) {
      expect(await stateCell(id, 'p3')).toBe('-')
    }

    await app.page.getByTestId('heal-button').click()
    for (const id of minority) {
      await expect.poll(() => commitIndex(id), poll).toBeGreaterThanOrEqual(majorityCommit)
      await expect.poll(() => stateCell(id, 'p3'), poll).toBe('v3')
    }
    await screenshot(app.page, 'cluster-4-healed')
  })

  it("puts show up in every node's log and state table", async () => {
    expect(await put('e2e', 'first')).toMatch(/^ok/)
    expect(await put('e2e', 'second')).toMatch(/^ok/)
    for (const id of NODES) {
      await expect.poll(() => stateCell(id, 'e2e'), poll).toBe('second')
    }
    // The put's entry, found by its command in the first node's log row.
    const entry = app.page.locator('[data-testid^="log-cell-n1-"][title*="put(e2e, second)"]')
    await expect.poll(() => entry.count(), poll).toBe(1)
    const index = Number((await entry.getAttribute('data-testid'))?.split('-').at(-1))
    for (const id of NODES) {
      const cell = app.page.getByTestId(`log-cell-${id}-${index}`)
      await expect
        .poll(() => cell.getAttribute('title'), poll)
        .toMatch(/put\(e2e, second\) \(committed/)
      await cell.click()
      await expect
        .poll(() => app.page.getByTestId('log-entry-detail').textContent(), poll)
        .toContain('put(e2e, second)')
    }
    await screenshot(app.page, 'cluster-5-puts')
    expect(app.errors, app.errors.join('\n')).toEqual([])
  })
})
