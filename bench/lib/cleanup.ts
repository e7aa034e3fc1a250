/**
 * Undo steps (stop a child process, drop a database, remove a directory) run last-in,
 * first-out: on success, on a thrown error, on Ctrl-C and when the time budget runs out.
 */
export class Cleanup {
  private readonly steps: Array<{ label: string; run: () => Promise<void> | void }> = [];
  private running: Promise<void> | undefined;

  /** Registers an undo step; the returned function runs it early (once) and forgets it. */
  defer(label: string, run: () => Promise<void> | void): () => Promise<void> {
    const step = { label, run };
    this.steps.push(step);
    return async () => {
      const index = this.steps.indexOf(step);
      if (index < 0) return;
      this.steps.splice(index, 1);
      await step.run();
    };
  }

  /** Runs every registered step, newest first; a failing step is reported and the rest still run. */
  runAll(): Promise<void> {
    this.running ??= (async () => {
      for (let step = this.steps.pop(); step; step = this.steps.pop()) {
        try {
          await step.run();
        } catch (error) {
          console.error(`cleanup: ${step.label} failed: ${(error as Error).message}`);
        }
      }
    })();
    return this.running;
  }
}

/**
 * Runs `body` with a Cleanup that is always emptied, and exits non-zero on failure, on
 * SIGINT/SIGTERM, or when `budgetMs` passes (a bench must stay bounded).
 */
export async function runBench(name: string, budgetMs: number, body: (cleanup: Cleanup) => Promise<void>): Promise<void> {
  const cleanup = new Cleanup();
  const abort = (reason: string, code: number) => {
    console.error(`${name}: ${reason}; cleaning up`);
    void cleanup.runAll().finally(() => process.exit(code));
  };
  const onSignal = (signal: NodeJS.Signals) => abort(`received ${signal}`, 130);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const watchdog = setTimeout(() => abort(`exceeded its ${Math.round(budgetMs / 1000)} s budget`, 1), budgetMs);
  try {
    await body(cleanup);
  } catch (error) {
    console.error(`${name}: failed: ${(error as Error).stack ?? String(error)}`);
    process.exitCode = 1;
  } finally {
    await cleanup.runAll();
    clearTimeout(watchdog);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
