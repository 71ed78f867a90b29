// The Raft core's public surface: drivers (the node process, the simulator)
// import from here. See ./types for the contract.

export { createRaftCore } from './raft'
export { KvStore } from './kv'
export { MemoryStorage } from './storage'
export { RaftLog } from './log'
export { majority, quorumIndex, voteResult } from './quorum'
export type { VoteResult } from './quorum'
export * from './types'
