// Small helpers for reading traces, shared by the checkers.
import type { Command } from '../raft/types'
import type { KvInput } from '../history'

/**
 * A canonical text for a command, so two entries can be compared whatever the
 * key order of the JSON they were parsed from.
 */
export function commandKey(command: Command): string {
  let key = keys.get(command)
  if (key === undefined) {
    key = computeKey(command)
    keys.set(command, key)
  }
  return key
}

// Entries travel between nodes by reference in the simulator: compute each command's key once.
const keys = new WeakMap<Command, string>()

function computeKey(command: Command): string {
  switch (command.op) {
    case 'noop':
      return 'noop'
    case 'put':
      return JSON.stringify(['put', command.key, command.value, command.client, command.seq])
    case 'cas':
      return JSON.stringify([
        'cas',
        command.key,
        command.from,
        command.to,
        command.client,
        command.seq
      ])
    case 'get':
      return JSON.stringify(['get', command.key, command.client, command.seq])
  }
}

/** How a command reads in a violation message: `put x=1 (c1#4)`. */
export function describeCommand(command: Command): string {
  switch (command.op) {
    case 'noop':
      return 'noop'
    case 'put':
      return `put ${command.key}=${command.value} (${command.client}#${command.seq})`
    case 'cas':
      return `cas ${command.key} ${command.from ?? 'nil'}->${command.to} (${command.client}#${command.seq})`
    case 'get':
      return `get ${command.key} (${command.client}#${command.seq})`
  }
}

/** The client operation a command came from, or null for a noop. */
export function clientOpKey(client: string, seq: number): string {
  return `${client}#${seq}`
}

export function isWrite(input: KvInput): boolean {
  return input.op !== 'get'
}
