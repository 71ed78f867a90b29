import type { CliCommand } from './command'
import { benchCommand } from './bench'

// Every command, in the order `raftlab --help` lists them. Add one line per command.
export const commands: CliCommand[] = [benchCommand]
