import { migrations } from '@access/migrations';
import { Migrator } from 'kysely';
import type { Db } from './schema.ts';

export class MigrationError extends Error {
  readonly code = 'ERR_MIGRATION_FAILED';
}

/**
 * Applies every pending migration and returns the names applied now (empty when up to
 * date). Safe when several instances start together: kysely's PostgreSQL adapter holds a
 * transaction-scoped advisory lock while it migrates.
 */
export async function migrateToLatest(db: Db): Promise<string[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const result = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new MigrationError(`migration ${failed} failed: ${String(result.error)}`, { cause: result.error });
  }
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
