import { sql, type Kysely } from 'kysely';

// Frozen in time: this file never imports the application's current types.
export async function up(db: Kysely<any>): Promise<void> {
  // Single-use join tokens for `access hosts token`: only their SHA-256 is stored. A token is
  // claimed by setting used_at in the same transaction that registers the host.
  await db.schema
    .createTable('host_join_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey().check(sql`id ~ '^hjt_[0-9a-f]{16}$'`))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('labels', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('host_name', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .addColumn('used_by', 'text')
    .execute();
  // What an enrolled host proved at enrollment: its host public keys (renewal is signed by
  // one of them) and the addresses it reported. Goes away with the host.
  await db.schema
    .createTable('host_enrollments')
    .addColumn('host_name', 'text', (c) => c.primaryKey().references('hosts.name').onDelete('cascade'))
    .addColumn('host_keys', 'jsonb', (c) => c.notNull())
    .addColumn('addresses', 'jsonb', (c) => c.notNull())
    .addColumn('token_id', 'text', (c) => c.notNull())
    .addColumn('enrolled_at', 'timestamptz', (c) => c.notNull())
    .addColumn('renewed_at', 'timestamptz')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('host_enrollments').execute();
  await db.schema.dropTable('host_join_tokens').execute();
}
