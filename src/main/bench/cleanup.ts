// Benches start processes (nodes, etcd members in their own sessions) that must not
// outlive the bench: not on success, not on a thrown error, not on Ctrl-C.

type Task = () => Promise<void> | void

export class Cleanup {
  private readonly tasks: Task[] = []
  /** PIDs to SIGKILL synchronously if the process exits before the tasks ran. */
  private readonly pids = new Set<number>()

  /** Registers a task; tasks run newest first. */
  add(task: Task): void {
    this.tasks.push(task)
  }

  trackPid(pid: number): void {
    this.pids.add(pid)
  }

  untrackPid(pid: number): void {
    this.pids.delete(pid)
  }

  async run(): Promise<void> {
    while (this.tasks.length > 0) {
      const task = this.tasks.pop()!
      try {
        await task()
      } catch (err) {
        process.stderr.write(`raftlab bench: cleanup step failed: ${(err as Error).message}\n`)
      }
    }
  }

  /** Last resort from the 'exit' handler, where nothing asynchronous runs. */
  killTrackedNow(): void {
    for (const pid of this.pids) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
    this.pids.clear()
  }
}

/**
 * Runs `body` with a Cleanup that is run when the body ends (either way), and on
 * SIGINT/SIGTERM, after which the process exits 130/143.
 */
export async function withCleanup<T>(body: (cleanup: Cleanup) => Promise<T>): Promise<T> {
  const cleanup = new Cleanup()
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`\nraftlab bench: ${signal}, stopping every process started...\n`)
    void cleanup.run().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143))
  }
  const onExit = () => cleanup.killTrackedNow()
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  process.once('exit', onExit)
  try {
    return await body(cleanup)
  } finally {
    await cleanup.run()
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    process.off('exit', onExit)
  }
}
