import { sql, type Kysely } from 'kysely';

// Frozen in time: this file never imports the application's current types.
export async function up(db: Kysely<any>): Promise<void> {
  // A gateway writes each batch of recording rows and audit events with the batch's id in
  // the same transaction. A batch replayed from its local spool after a database outage (or
  // after a commit whose answer was lost) finds its id here and is skipped: written once.
  await db.schema
    .createTable('record_batches_applied')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('applied_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('record_batches_applied_at').on('record_batches_applied').column('applied_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('record_batches_applied').execute();
}
