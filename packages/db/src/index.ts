export { openDatabase } from './open-database.ts';
export type { DatabaseHandle, DatabaseKind, DatabaseOptions } from './open-database.ts';
export { migrateToLatest, MigrationError } from './migrate.ts';
export { createTestDatabase, testDatabaseKinds } from './test-databases.ts';
export type { TestDatabase } from './test-databases.ts';
export type * from './schema.ts';
