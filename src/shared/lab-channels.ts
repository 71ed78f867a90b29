// The LabApi's command names and IPC channels without zod: the sandboxed preload may require
// only `electron`, so it cannot load the schemas in lab-api.ts. The type checks below and a unit
// test keep this list equal to `labCommands`.
import type { LabCommandName } from './lab-api'

export const LAB_COMMAND_NAMES = [
  'getStatus',
  'startCluster',
  'stopCluster',
  'nodeAction',
  'network',
  'clientOp',
  'startWorkload',
  'stopWorkload',
  'listScenarios',
  'validateScenario',
  'readScenario',
  'saveScenario',
  'runScenario',
  'stopScenario',
  'exportExperiment',
  'openTrace',
  'check',
  'simControl'
] as const satisfies readonly LabCommandName[]

// Fails to compile when labCommands gains a command this list lacks.
type Missing = Exclude<LabCommandName, (typeof LAB_COMMAND_NAMES)[number]>
const _everyCommandListed: [Missing] extends [never] ? true : Missing = true

export const labChannel = <K extends LabCommandName>(name: K): `lab:${K}` => `lab:${name}`
export const LAB_EVENT_CHANNEL = 'lab:event'
