// `raftlab`: the command-line entry (built to out/main/cli.js, started by bin/raftlab.js).
import { commands } from './cli/registry'
import { EXIT, UsageError } from './cli/command'

function mainHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length), 4)
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`)
  return [
    'Raft Lab: a lab for state machine replication with Raft.',
    '',
    'Usage: raftlab <command> [options]   (raftlab <command> --help for its options)',
    '',
    'Commands:',
    ...lines,
    '',
    'Exit codes: 0 success, 1 a check found a violation, 2 bad usage or bad input, 3 unknown.'
  ].join('\n')
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(mainHelp() + '\n')
    return name === undefined ? EXIT.usage : EXIT.ok
  }
  const command = commands.find((c) => c.name === name)
  if (!command) {
    process.stderr.write(`raftlab: unknown command "${name}"\n\n${mainHelp()}\n`)
    return EXIT.usage
  }
  const asksHelp = command.hasSubcommands
    ? rest[0] === '--help' || rest[0] === '-h' || rest.length === 0
    : rest.includes('--help') || rest.includes('-h')
  if (asksHelp) {
    process.stdout.write(command.help.trimEnd() + '\n')
    return EXIT.ok
  }
  try {
    return await command.run(rest)
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`raftlab ${name}: ${err.message}\n`)
      return EXIT.usage
    }
    throw err
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    process.stderr.write(
      `raftlab: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`
    )
    process.exitCode = EXIT.usage
  }
)
