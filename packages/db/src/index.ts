export { openDatabase } from './open-database.ts';
export type { DatabaseHandle, DatabaseKind, DatabaseOptions } from './open-database.ts';
export { checkChannel, ChannelNameError, LOCKS_CHANNEL, notify } from './channels.ts';
export type { LockNotice, RevokeNotice, TerminateNotice } from './channels.ts';
export type { Listen, ListenerEvent, ListenerLog, ListenOptions, Unsubscribe } from './listener.ts';
export { migrateToLatest, MigrationError } from './migrate.ts';
export { createTestDatabase, testDatabaseKinds } from './test-databases.ts';
export type { TestDatabase } from './test-databases.ts';
export type * from './schema.ts';
