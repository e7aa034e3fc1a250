import type { Kysely } from 'kysely';

// Frozen in time: this file never imports the application's current types.
export async function up(db: Kysely<any>): Promise<void> {
  // When the grant last contributed to a certificate (or API token) issued by `access login`:
  // what an access review reads to find grants nobody uses. Null: never used.
  await db.schema.alterTable('grants').addColumn('last_used_at', 'timestamptz').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('grants').dropColumn('last_used_at').execute();
}
