import type { CliCommand } from './command'
import { NODE_HELP } from '../../node/args'
import { runNodeCommand } from '../../node/run'

export const nodeCommand: CliCommand = {
  name: 'node',
  summary: 'run one Raft node process (log on disk, TCP for peers and clients)',
  help: NODE_HELP,
  run: runNodeCommand
}
