import type { PGlite } from '@electric-sql/pglite';
import type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';

/**
 * Presents one embedded PGlite database as the small part of `pg.Pool` that kysely's
 * PostgresDialect uses, so both backends share one dialect and one query path.
 *
 * PGlite is a single connection: a transaction must own it until it ends, so `connect()`
 * hands the connection out to one caller at a time and queues the rest.
 */
export function pglitePool(database: PGlite): PostgresPool {
  let busy = false;
  const waiting: Array<() => void> = [];

  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else busy = false;
  };

  const client: PostgresPoolClient = {
    query: (async (sql: string, parameters: ReadonlyArray<unknown>) => {
      const result = await database.query<Record<string, unknown>>(sql, [...parameters]);
      const command = sql.trimStart().slice(0, 6).toUpperCase() as PostgresQueryResult<unknown>['command'];
      return { command, rowCount: result.affectedRows ?? result.rows.length, rows: result.rows };
    }) as PostgresPoolClient['query'],
    release,
  };

  return {
    connect: () =>
      new Promise<PostgresPoolClient>((resolve) => {
        if (!busy) {
          busy = true;
          resolve(client);
        } else {
          waiting.push(() => resolve(client));
        }
      }),
    end: () => database.close(),
  };
}
