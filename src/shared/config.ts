import { z } from 'zod'
import { TEACHING_BUGS } from './raft/types'

/** One millisecond of lab time is this many core ticks' worth: the node process ticks every TICK_MS. */
export const TICK_MS = 10

export const teachingBugSchema = z.enum(TEACHING_BUGS)
export const fsyncModeSchema = z.enum(['always', 'batch', 'never'])
export type FsyncMode = z.infer<typeof fsyncModeSchema>

/** A cluster's settings: shared by the lab engine, scenarios, the simulator and the node command line. */
export const clusterConfigSchema = z
  .object({
    nodes: z.number().int().min(1).max(9).default(5),
    electionTimeoutMs: z
      .tuple([z.number().int().positive(), z.number().int().positive()])
      .default([150, 300])
      .refine(([lo, hi]) => lo <= hi, 'electionTimeoutMs: the minimum must not exceed the maximum'),
    heartbeatMs: z.number().int().positive().default(50),
    fsync: fsyncModeSchema.default('always'),
    readMode: z.enum(['readindex', 'log']).default('readindex'),
    prevote: z.boolean().default(true),
    bug: teachingBugSchema.nullable().default(null),
    /** A student's own node program (argv), speaking docs/node-protocol.md; null = the built-in node. */
    nodeCommand: z.array(z.string()).min(1).nullable().default(null)
  })
  .strict()
export type ClusterConfig = z.infer<typeof clusterConfigSchema>

export function defaultClusterConfig(overrides: Partial<ClusterConfig> = {}): ClusterConfig {
  return clusterConfigSchema.parse(overrides)
}
