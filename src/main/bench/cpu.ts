// CPU time of processes, read from /proc (Linux): what a write costs in CPU is a
// figure the machine's load does not move much, unlike writes per second.
import { readFileSync } from 'node:fs'

/** USER_HZ, the unit of /proc/<pid>/stat times: 100 on every Linux architecture's ABI. */
const TICKS_PER_SECOND = 100

/** User + system CPU seconds a process has used, or null when it is gone or /proc is missing. */
export function processCpuSeconds(pid: number): number | null {
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return null
  }
  // The command name (field 2) may hold spaces: fields are counted after its closing paren.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
  const ticks = Number(fields[11]) + Number(fields[12])
  return Number.isFinite(ticks) ? ticks / TICKS_PER_SECOND : null
}

/** CPU seconds of this process so far. */
export function ownCpuSeconds(): number {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1e6
}

/** CPU seconds of every listed process that is still running (the gone count as 0). */
export function totalCpuSeconds(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + (processCpuSeconds(pid) ?? 0), 0)
}
