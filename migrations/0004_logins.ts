import { sql, type Kysely } from 'kysely';

// Frozen in time: this file never imports the application's current types.
export async function up(db: Kysely<any>): Promise<void> {
  // One `access login` from start to the CLI collecting its certificate. Secrets are stored
  // only as SHA-256 hashes: the CLI's one-time secret, the loopback callback code and the
  // device page's CSRF token.
  await db.schema
    .createTable('logins')
    .addColumn('id', 'text', (c) => c.primaryKey().check(sql`id ~ '^lgn_[0-9a-f]{32}$'`))
    .addColumn('mode', 'text', (c) => c.notNull().check(sql`mode in ('browser', 'headless')`))
    .addColumn('public_key', 'text', (c) => c.notNull())
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('callback_port', 'integer', (c) => c.check(sql`callback_port between 1024 and 65535`))
    .addColumn('user_code', 'text')
    .addColumn('oidc_state', 'text', (c) => c.unique())
    .addColumn('oidc_nonce', 'text')
    .addColumn('oidc_code_verifier', 'text')
    .addColumn('requester_ip', 'text')
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('pending', 'signed_in', 'approved', 'completed', 'failed', 'expired')`),
    )
    .addColumn('user_id', 'text', (c) => c.references('users.id').onDelete('cascade'))
    .addColumn('result', 'jsonb')
    .addColumn('callback_code_hash', 'text')
    .addColumn('callback_code_expires_at', 'timestamptz')
    .addColumn('csrf_hash', 'text')
    .addColumn('error_code', 'text')
    .addColumn('error_message', 'text')
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('completed_at', 'timestamptz')
    .addColumn('last_poll_at', 'timestamptz')
    .execute();
  // A user code names one login while a person may still type it; finished logins free it.
  await db.schema
    .createIndex('logins_user_code_pending_idx')
    .on('logins')
    .column('user_code')
    .unique()
    .where(sql.ref('status'), 'in', ['pending', 'signed_in', 'approved'])
    .execute();
  await db.schema.createIndex('logins_expires_idx').on('logins').column('expires_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('logins').execute();
}
