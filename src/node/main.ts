// The node entry point (out/main/node.js), spawned by the lab as its own process:
// `node out/main/node.js ARGS` runs the same code as `raftlab node ARGS`.
import { runNodeCommand } from './run'

runNodeCommand(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(
      `raftlab node: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`
    )
    process.exit(1)
  }
)
