import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrateToLatest } from './migrate.ts';
import { openDatabase, type DatabaseHandle, type DatabaseKind } from './open-database.ts';

/**
 * The backends every database test runs against: embedded PGlite always, and the real
 * PostgreSQL server named by ACCESS_TEST_PG_URL (the test command sets it; set it to an
 * empty string to skip PostgreSQL on a machine without one).
 */
export function testDatabaseKinds(env: NodeJS.ProcessEnv = process.env): DatabaseKind[] {
  return env['ACCESS_TEST_PG_URL'] ? ['pglite', 'postgres'] : ['pglite'];
}

export interface TestDatabase extends DatabaseHandle {
  /** Set for PostgreSQL: a URL to the fresh database, for child processes. */
  url?: string;
}

/**
 * A fresh, migrated, empty database. On PostgreSQL each call creates its own database
 * (dropped again by `close()`), so test files can run in parallel.
 */
export async function createTestDatabase(kind: DatabaseKind, env: NodeJS.ProcessEnv = process.env): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const handle = await openDatabase({ dataDir: 'memory://' });
    await migrateToLatest(handle.db);
    return handle;
  }
  const adminUrl = env['ACCESS_TEST_PG_URL'];
  if (!adminUrl) throw new Error('ACCESS_TEST_PG_URL is not set');
  const name = `access_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const handle = await openDatabase({ url: url.toString(), poolSize: 5 });
  await migrateToLatest(handle.db);
  return {
    ...handle,
    url: url.toString(),
    close: async () => {
      await handle.close();
      const cleanup = new pg.Client({ connectionString: adminUrl });
      await cleanup.connect();
      try {
        // pg.Pool#end resolves while its sockets are still closing; dropping the database
        // then kills those backends, and their FATAL surfaces as an unhandled error. Wait.
        for (let attempt = 0; attempt < 100; attempt++) {
          const { rows } = await cleanup.query<{ n: string }>('select count(*) as n from pg_stat_activity where datname = $1', [name]);
          if (rows[0]?.n === '0') break;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        await cleanup.query(`drop database if exists ${name} with (force)`);
      } finally {
        await cleanup.end();
      }
    },
  };
}
