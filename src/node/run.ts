// `raftlab node ARGS`: shared by the CLI and the node entry the lab spawns.
import { NODE_HELP, NodeArgsError, parseNodeArgs } from './args'
import { startNode } from './node'

/** Runs a node with the process's stdio and signals; resolves with the exit code. */
export async function runNodeCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(NODE_HELP + '\n')
    return 0
  }
  let options
  try {
    options = parseNodeArgs(argv)
  } catch (err) {
    if (!(err instanceof NodeArgsError)) throw err
    process.stderr.write(`raftlab node: ${err.message} (see \`raftlab node --help\`)\n`)
    return 2
  }
  const node = startNode(options, {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr
  })
  const onSignal = (signal: NodeJS.Signals) => node.stop(`received ${signal}`)
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
  // Without --exit-with-parent stdin is still read for control commands; a closed stdin is fine.
  const code = await node.done
  process.off('SIGTERM', onSignal)
  process.off('SIGINT', onSignal)
  // Sockets, timers and stdin would keep the process alive after a stop.
  process.exit(code)
}
