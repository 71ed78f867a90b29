import { EXIT, UsageError, parseCommandArgs, parseDuration, type CliCommand } from './command'
import { RaftClient, splitAddress, type OpResult } from '../../node/client'

const HELP = `Usage: raftlab client --cluster HOST:PORT,... [--json] [--timeout 5s] COMMAND

Sends one operation to a Raft Lab cluster: finds the leader by following hints and
retries with the same sequence number (a write applies once).

Commands:
  put KEY VALUE        set KEY to VALUE
  get KEY              read KEY (prints null when absent)
  cas KEY FROM TO      set KEY to TO if its value is FROM (FROM "-" = absent)

Options:
  --cluster LIST       host:port of the nodes, comma-separated
  --timeout DURATION   give up after this long, retries included (default 5s)
  --json               print the result as JSON

Exit codes: 0 success, 1 definite failure (cas mismatch, or never accepted by a
leader), 2 bad usage, 3 unknown outcome (timed out: the write may or may not apply).`

function describe(op: string, result: OpResult): string {
  if (result.status !== 'ok') return `${result.status}: ${result.error}`
  const out = result.output
  if (op === 'get') return out.value === null || out.value === undefined ? 'null' : out.value
  if (op === 'cas')
    return out.swapped ? 'ok' : `mismatch: current value ${JSON.stringify(out.value ?? null)}`
  return 'ok'
}

export const clientCommand: CliCommand = {
  name: 'client',
  summary: 'send put/get/cas to a running cluster',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('client', argv, {
      cluster: { type: 'string' },
      timeout: { type: 'string', default: '5s' },
      json: { type: 'boolean', default: false }
    })
    if (!values.cluster) throw new UsageError('--cluster HOST:PORT,... is required')
    const addresses = values.cluster
      .split(',')
      .map((a) => a.trim())
      .filter((a) => a !== '')
    for (const a of addresses) {
      try {
        splitAddress(a)
      } catch (err) {
        throw new UsageError(`--cluster: ${(err as Error).message}`)
      }
    }
    const timeoutMs = parseDuration(values.timeout, '--timeout')
    const [op, ...args] = positionals
    const arity: Record<string, number> = { put: 2, get: 1, cas: 3 }
    if (op === undefined || !(op in arity)) {
      throw new UsageError(`expected put, get or cas (see \`raftlab client --help\`)`)
    }
    if (args.length !== arity[op]) {
      throw new UsageError(`${op} takes ${arity[op]} argument(s), got ${args.length}`)
    }
    const client = new RaftClient({ addresses, timeoutMs })
    let result: OpResult
    try {
      result =
        op === 'put'
          ? await client.put(args[0]!, args[1]!)
          : op === 'get'
            ? await client.get(args[0]!)
            : await client.cas(args[0]!, args[1] === '-' ? null : args[1]!, args[2]!)
    } finally {
      client.close()
    }
    const text = values.json ? JSON.stringify({ op, ...result }) : describe(op, result)
    process.stdout.write(text + '\n')
    if (result.status === 'unknown') return EXIT.unknown
    if (result.status === 'fail') return EXIT.violation
    return op === 'cas' && result.output.swapped === false ? EXIT.violation : EXIT.ok
  }
}
