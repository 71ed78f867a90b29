// The one-gesture actions shared by buttons and keyboard shortcuts.
import { useClusterStore } from '@renderer/stores/cluster'
import { useReplayStore } from '@renderer/stores/replay'
import { currentLeader } from '@renderer/model/cluster-state'
import type { NodeAction } from '@shared/lab-api'

export function useLabActions() {
  const cluster = useClusterStore()
  const replay = useReplayStore()
  let clientCounter = 0

  function leader(): string | null {
    return currentLeader(cluster.liveTimeline.live)
  }

  async function nodeAction(node: string, action: NodeAction): Promise<void> {
    await cluster.call('nodeAction', { node, action })
  }

  /** Crash a running node, restart a crashed one. */
  async function toggleCrash(node: string): Promise<void> {
    const n = cluster.liveTimeline.live.nodes[node]
    const down = n && ['crashed', 'stopped', 'exited'].includes(n.status)
    await nodeAction(node, down ? 'restart' : 'crash')
  }

  async function togglePause(node: string): Promise<void> {
    const n = cluster.liveTimeline.live.nodes[node]
    await nodeAction(node, n?.status === 'paused' ? 'resume' : 'pause')
  }

  async function crashLeader(): Promise<void> {
    const l = leader()
    if (l) await nodeAction(l, 'crash')
    else cluster.error = 'There is no leader to crash.'
  }

  /** RaftScope's R: the leader goes down and comes back as a follower. */
  async function restartLeader(): Promise<void> {
    const l = leader()
    if (!l) {
      cluster.error = 'There is no leader to restart.'
      return
    }
    await nodeAction(l, 'crash')
    await nodeAction(l, 'restart')
  }

  /** Every running node's timer fires at once: the way to provoke split votes. */
  async function alignTimers(): Promise<void> {
    const live = cluster.liveTimeline.live
    const ids = live.nodeIds.filter((id) => live.nodes[id]!.status === 'running')
    await Promise.all(ids.map((id) => nodeAction(id, 'timeout')))
  }

  /** One follower times out alone, so it wins the election without competition. */
  async function spreadTimers(): Promise<void> {
    const live = cluster.liveTimeline.live
    const id = live.nodeIds.find(
      (n) => live.nodes[n]!.status === 'running' && live.nodes[n]!.role !== 'leader'
    )
    if (id) await nodeAction(id, 'timeout')
  }

  async function clientRequest(): Promise<void> {
    clientCounter += 1
    await cluster.call('clientOp', {
      input: { op: 'put', key: `k${clientCounter % 5}`, value: String(clientCounter) }
    })
  }

  async function heal(): Promise<void> {
    await cluster.call('network', { action: 'heal' })
  }

  /** Space: pause or resume the simulation; with real processes, freeze or unfreeze the view. */
  async function togglePauseTime(): Promise<void> {
    if (cluster.mode === 'sim') {
      cluster.sim.paused = !cluster.sim.paused
      await cluster.call('simControl', { action: cluster.sim.paused ? 'pause' : 'resume' })
    } else if (replay.position === null) replay.seek(replay.end)
    else replay.follow()
  }

  async function simStep(): Promise<void> {
    cluster.sim.paused = true
    await cluster.call('simControl', { action: 'step' })
  }

  return {
    leader,
    nodeAction,
    toggleCrash,
    togglePause,
    crashLeader,
    restartLeader,
    alignTimers,
    spreadTimers,
    clientRequest,
    heal,
    togglePauseTime,
    simStep
  }
}
