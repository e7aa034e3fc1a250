/**
 * Group commit: items that arrive while a batch is being committed wait and go together in
 * the next one. Under load, one transaction (and one disk flush, one audit-chain lock)
 * carries many items; with a single caller each item goes alone, with no added delay.
 *
 * If a batch fails, each of its items is retried alone, so one bad item fails only itself.
 */
export function groupCommit<T, R>(run: (items: T[]) => Promise<R[]>, maxBatch: number): (item: T) => Promise<R> {
  interface Pending {
    item: T;
    resolve: (value: R) => void;
    reject: (reason: unknown) => void;
  }
  const queue: Pending[] = [];
  let draining = false;

  async function runOne(p: Pending): Promise<void> {
    try {
      const [result] = await run([p.item]);
      p.resolve(result as R);
    } catch (error) {
      p.reject(error);
    }
  }

  async function drain(): Promise<void> {
    draining = true;
    try {
      while (queue.length > 0) {
        const batch = queue.splice(0, maxBatch);
        if (batch.length === 1) {
          await runOne(batch[0]!);
          continue;
        }
        let results: R[];
        try {
          results = await run(batch.map((p) => p.item));
        } catch {
          for (const p of batch) await runOne(p);
          continue;
        }
        batch.forEach((p, i) => p.resolve(results[i] as R));
      }
    } finally {
      draining = false;
    }
  }

  return (item) =>
    new Promise<R>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      if (!draining) void drain();
    });
}
