import type { CliCommand } from './command'
import { benchCommand } from './bench'
import { nodeCommand } from './node'
import { clientCommand } from './client'
import { runCommand } from './run'
import { checkCommand } from './check'
import { gradeCommand } from './grade'
import { lincheckCommand } from './lincheck'
import { serveCommand } from './serve'
import { simCommand } from './sim'

// Every command, in the order `raftlab --help` lists them. Add one line per command.
export const commands: CliCommand[] = [
  benchCommand,
  nodeCommand,
  clientCommand,
  runCommand,
  checkCommand,
  gradeCommand,
  lincheckCommand,
  serveCommand,
  simCommand
]
