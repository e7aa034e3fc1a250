import { sql, type Kysely } from 'kysely';

// Frozen in time: this file never imports the application's current types.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('ca_keys')
    .addColumn('fingerprint', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('user', 'host', 'upstream')`))
    .addColumn('public_key', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('active', 'retired')`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('retired_at', 'timestamptz')
    .execute();

  // Serials come from a sequence: unique across CA instances and never 0.
  await sql`create sequence cert_serial_seq as bigint minvalue 1 start with 1`.execute(db);

  await db.schema
    .createTable('certificates')
    .addColumn('serial', 'bigint', (c) => c.primaryKey())
    .addColumn('cert_type', 'text', (c) => c.notNull().check(sql`cert_type in ('user', 'host')`))
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('principals', 'jsonb', (c) => c.notNull())
    .addColumn('ca_fingerprint', 'text', (c) => c.notNull().references('ca_keys.fingerprint'))
    .addColumn('subject_fingerprint', 'text', (c) => c.notNull())
    .addColumn('subject_key_type', 'text', (c) => c.notNull())
    .addColumn('valid_after', 'timestamptz', (c) => c.notNull())
    .addColumn('valid_before', 'timestamptz', (c) => c.notNull())
    .addColumn('critical_options', 'jsonb', (c) => c.notNull())
    .addColumn('extensions', 'jsonb', (c) => c.notNull())
    .addColumn('requested_by', 'text', (c) => c.notNull())
    .addColumn('requested_from', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('certificates_key_id_idx').on('certificates').column('key_id').execute();
  await db.schema.createIndex('certificates_created_at_idx').on('certificates').column('created_at').execute();

  await db.schema
    .createTable('revocations')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('serial', 'serial_range', 'key_id', 'key')`))
    .addColumn('ca_fingerprint', 'text', (c) => c.references('ca_keys.fingerprint'))
    .addColumn('serial_from', 'bigint')
    .addColumn('serial_to', 'bigint')
    .addColumn('key_id', 'text')
    .addColumn('public_key', 'text')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('machine_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('last_used_at', 'timestamptz')
    .execute();

  await db.schema
    .createTable('audit_events')
    .addColumn('seq', 'bigint', (c) => c.primaryKey())
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('time', 'timestamptz', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('actor', 'jsonb', (c) => c.notNull())
    .addColumn('remote', 'text')
    .addColumn('details', 'jsonb', (c) => c.notNull())
    .addColumn('prev_hash', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_events_time_idx').on('audit_events').columns(['time', 'seq']).execute();
  await db.schema.createIndex('audit_events_type_idx').on('audit_events').columns(['type', 'seq']).execute();

  // One row holds the head of the hash chain; appenders lock it, so the chain stays a line
  // even with several CA instances writing.
  await db.schema
    .createTable('audit_head')
    .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();
  await sql`insert into audit_head (id, seq, hash) values (1, 0, ${'0'.repeat(64)})`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['audit_head', 'audit_events', 'machine_tokens', 'revocations', 'certificates', 'ca_keys']) {
    await db.schema.dropTable(table).execute();
  }
  await sql`drop sequence cert_serial_seq`.execute(db);
}
