import { parseArgs, type ParseArgsConfig } from 'node:util'

/** Exit codes shared by every command. */
export const EXIT = { ok: 0, violation: 1, usage: 2, unknown: 3 } as const

/** A CLI command: `raftlab <name> ...`. Helptext is printed by `--help`. */
export interface CliCommand {
  name: string
  summary: string
  /** Full help: usage line, then every option. */
  help: string
  /** Set when the command has subcommands that print their own `--help`. */
  hasSubcommands?: boolean
  run(argv: string[]): Promise<number>
}

/** Bad usage or bad input: printed as `raftlab <cmd>: <message>`, exit 2. */
export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>

/** node:util parseArgs, with errors turned into UsageErrors that name the command. */
export function parseCommandArgs<O extends Options>(command: string, argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true })
  } catch (err) {
    throw new UsageError(`${(err as Error).message} (see \`raftlab ${command} --help\`)`)
  }
}

/** "10s", "500ms", "2m", or a bare number of milliseconds. */
export function parseDuration(text: string, what = 'duration'): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim())
  if (!m) throw new UsageError(`${what}: "${text}" is not a duration (e.g. 500ms, 10s, 2m)`)
  const n = Number(m[1])
  const unit = m[2] ?? 'ms'
  return unit === 'ms' ? n : unit === 's' ? n * 1000 : n * 60_000
}

export function parseInteger(text: string, what: string, min: number, max: number): number {
  const n = Number(text)
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`${what}: "${text}" must be a whole number from ${min} to ${max}`)
  }
  return n
}
