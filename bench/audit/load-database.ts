import { migrateToLatest, openDatabase } from '@access/db';
import pg from 'pg';
import { insertSessionsSql, loadEvents, type BenchShape } from './event-rows.ts';

export interface LoadReport {
  seconds: number;
  /** Table and index sizes after the load, for the notes. */
  sizes: { table: string; indexes: string };
}

const BENCH_GATEWAY = 'gw_be00c0ffee000001';

/**
 * Migrates the fresh database at `url`, then loads the sessions and the audit events. The
 * audit indexes (all but the primary key and the unique id) are dropped for the load and
 * built again after it from their own definitions, which is several times faster than
 * keeping them up to date row by row; then VACUUM ANALYZE, as autovacuum would in time.
 */
export async function loadBenchDatabase(url: string, shape: BenchShape, progress: (line: string) => void): Promise<LoadReport> {
  const started = performance.now();
  const handle = await openDatabase({ url, poolSize: 1 });
  try {
    await migrateToLatest(handle.db);
  } finally {
    await handle.close();
  }
  const client = new pg.Client({ connectionString: url, application_name: 'access-bench-load' });
  await client.connect();
  try {
    await client.query(`set maintenance_work_mem = '256MB'`);
    const now = new Date();
    await client.query('insert into gateways (id, address, started_at, heartbeat_at) values ($1, $2, $3, $3)', [BENCH_GATEWAY, '127.0.0.1:2022', now]);
    const sessions = insertSessionsSql(shape, BENCH_GATEWAY);
    await client.query(sessions.text, sessions.values);
    progress(`${shape.sessions.toLocaleString('en-US')} sessions`);

    const { rows: indexes } = await client.query<{ name: string; definition: string }>(
      `select i.indexname as name, i.indexdef as definition from pg_indexes i
       where i.tablename = 'audit_events' and not exists (select 1 from pg_constraint c where c.conname = i.indexname)`,
    );
    for (const index of indexes) await client.query(`drop index ${index.name}`);
    await loadEvents(client, shape, 200_000, progress);
    for (const index of indexes) {
      await client.query(index.definition);
      progress(`index ${index.name} built again`);
    }
    await client.query('vacuum analyze audit_events');
    await client.query('vacuum analyze sessions');
    const { rows } = await client.query<{ table: string; indexes: string }>(
      `select pg_size_pretty(pg_table_size('audit_events')) as table, pg_size_pretty(pg_indexes_size('audit_events')) as indexes`,
    );
    return { seconds: (performance.now() - started) / 1000, sizes: rows[0]! };
  } finally {
    await client.end();
  }
}
