import pg from 'pg';

export interface WaitSummary {
  /** Share of busy-backend samples per state, largest first. */
  states: Array<{ state: string; share: number }>;
  /** Backends inside a query or a transaction, on average. */
  meanBusy: number;
}

export interface WaitSampler {
  stop(): Promise<WaitSummary>;
}

/**
 * Samples pg_stat_activity for one database every `everyMs` and counts what its backends
 * are doing while inside a query or a transaction: running (CPU), waiting on a lock (and
 * which), on WAL I/O, or on the client (idle in transaction: the app holds the transaction
 * open between statements). This shows whether requests queue on a lock.
 */
export async function sampleWaits(url: string, database: string, everyMs = 20): Promise<WaitSampler> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const counts = new Map<string, number>();
  let total = 0;
  let rounds = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const { rows } = await client.query<{ state: string | null; wait_event_type: string | null; wait_event: string | null }>(
        `select state, wait_event_type, wait_event from pg_stat_activity
          where datname = $1 and pid <> pg_backend_pid() and backend_type = 'client backend' and state <> 'idle'`,
        [database],
      );
      rounds += 1;
      for (const row of rows) {
        const key = row.wait_event_type ? `${row.state}: ${row.wait_event_type}/${row.wait_event}` : `${row.state}: on CPU`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
        total += 1;
      }
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop.catch(() => undefined);
      await client.end();
      const states = [...counts].map(([state, n]) => ({ state, share: n / Math.max(1, total) })).sort((a, b) => b.share - a.share);
      return { states, meanBusy: total / Math.max(1, rounds) };
    },
  };
}
