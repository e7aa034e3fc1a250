import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { pgliteListen, type Listen, type ListenerLog } from './listener.ts';
import { pgListener } from './pg-listener.ts';
import type { Database, Db } from './schema.ts';
import { pglitePool } from './pglite-pool.ts';

export type DatabaseKind = 'postgres' | 'pglite';

export interface DatabaseOptions {
  /** A `postgres://` URL; without one the embedded PGlite database is used. */
  url?: string | undefined;
  /** Where PGlite keeps its files (`<dataDir>/pglite`); `memory://` keeps them in memory. */
  dataDir?: string | undefined;
  /** Largest number of pooled PostgreSQL connections. */
  poolSize?: number | undefined;
  /** Hears what the notification listener goes through (lost connection, reconnects), for the log. */
  onListenerEvent?: ListenerLog | undefined;
  /**
   * Hears errors of idle pooled connections (the server restarted or went away). The pool
   * drops such a connection and opens a new one for the next query; without a listener the
   * error would end the process.
   */
  onPoolError?: ((error: Error) => void) | undefined;
}

/** How long a query waits for a pooled connection to the server before it fails (ms): a database that went away fails fast instead of hanging. */
export const CONNECT_TIMEOUT_MS = 5000;

export interface DatabaseHandle {
  db: Db;
  kind: DatabaseKind;
  /** A short description without credentials, for logs and `/readyz`. */
  describe: string;
  /**
   * Calls `onPayload` with each notice on `channel` (`^[a-z_][a-z0-9_]{0,62}$`) committed after
   * this resolves; the result unsubscribes. Send with `notify()` in the changing transaction.
   * On PostgreSQL one dedicated connection listens, reconnecting with backoff when it breaks.
   */
  listen: Listen;
  close(): Promise<void>;
}

const INT8_OID = 20;

/** int8 columns (serials, sequence numbers) are bigint on both backends. */
function parseInt8(value: string): bigint {
  return BigInt(value);
}

export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  if (options.url) {
    const url = new URL(options.url);
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === INT8_OID ? parseInt8 : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
      },
    });
    // A connection that breaks while a query holds it (the server restarted) emits 'error' on
    // its client, where nothing listens once the pool handed it out: it would end the
    // process. Its queries fail instead, and the pool drops it when it is given back. An idle
    // one's error the pool passes on as its own: told once, here.
    pool.on('connect', (client) => client.on('error', (error) => options.onPoolError?.(error)));
    pool.on('error', () => undefined);
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    const listener = pgListener({
      newClient: () => new pg.Client({ connectionString: options.url, application_name: 'access-listener' }),
      log: options.onListenerEvent,
    });
    return {
      db,
      kind: 'postgres',
      describe: `postgres://${url.hostname}:${url.port || '5432'}${url.pathname}`,
      listen: listener.listen,
      close: async () => {
        await listener.close();
        await db.destroy();
      },
    };
  }

  const dataDir = options.dataDir ?? '.access-data';
  let location = 'memory://';
  if (dataDir !== 'memory://') {
    location = join(dataDir, 'pglite');
    mkdirSync(location, { recursive: true, mode: 0o700 });
  }
  const database = await PGlite.create(location, { parsers: { [INT8_OID]: parseInt8 } });
  const pool = pglitePool(database);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const listen = pgliteListen(database, pool, options.onListenerEvent);
  return { db, kind: 'pglite', describe: `pglite ${location}`, listen, close: () => db.destroy() };
}
