import { sql, type Kysely } from 'kysely';

// Frozen in time: this file never imports the application's current types.
export async function up(db: Kysely<any>): Promise<void> {
  // A gateway process: it heartbeats while it runs, so another one can tell its live
  // sessions were interrupted when it stops heartbeating.
  await db.schema
    .createTable('gateways')
    .addColumn('id', 'text', (c) => c.primaryKey().check(sql`id ~ '^gw_[0-9a-f]{16}$'`))
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('heartbeat_at', 'timestamptz', (c) => c.notNull())
    .addColumn('stopped_at', 'timestamptz')
    .execute();

  // One session channel an engineer opened through the gateway: a shell, an exec or a
  // subsystem (sftp). Channels of one ssh connection share `connection_id`.
  await db.schema
    .createTable('sessions')
    .addColumn('id', 'text', (c) => c.primaryKey().check(sql`id ~ '^ses_[0-9a-f]{20}$'`))
    .addColumn('connection_id', 'text', (c) => c.notNull())
    .addColumn('gateway_id', 'text', (c) => c.notNull().references('gateways.id'))
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('user_email', 'text', (c) => c.notNull())
    .addColumn('login', 'text', (c) => c.notNull())
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('host_address', 'text', (c) => c.notNull())
    .addColumn('client_address', 'text')
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('shell', 'exec', 'subsystem')`))
    .addColumn('command', 'text')
    .addColumn('term', 'text')
    .addColumn('cols', 'integer')
    .addColumn('rows', 'integer')
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('live', 'ended', 'interrupted')`))
    .addColumn('started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('ended_at', 'timestamptz')
    .addColumn('exit_status', 'integer')
    .addColumn('exit_signal', 'text')
    .addColumn('end_reason', 'text')
    .addColumn('bytes_in', 'int8', (c) => c.notNull().defaultTo(0))
    .addColumn('bytes_out', 'int8', (c) => c.notNull().defaultTo(0))
    .addColumn('recorded_until', 'timestamptz')
    .addColumn('recording_truncated', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
  await db.schema.createIndex('sessions_started_idx').on('sessions').column('started_at').execute();
  await db.schema.createIndex('sessions_user_idx').on('sessions').columns(['user_email', 'started_at']).execute();
  await db.schema.createIndex('sessions_host_idx').on('sessions').columns(['host', 'started_at']).execute();
  await db.schema.createIndex('sessions_live_idx').on('sessions').column('gateway_id').where(sql.ref('status'), '=', 'live').execute();

  // The recording, in the order it was flushed: each chunk holds asciicast v2 event lines
  // (`[seconds, code, data]`, one per line) whose times count from the session's start.
  await db.schema
    .createTable('session_chunks')
    .addColumn('session_id', 'text', (c) => c.notNull().references('sessions.id').onDelete('cascade'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('events', 'text', (c) => c.notNull())
    .addColumn('event_count', 'integer', (c) => c.notNull())
    .addColumn('last_time', 'double precision', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('session_chunks_pk', ['session_id', 'seq'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('session_chunks').execute();
  await db.schema.dropTable('sessions').execute();
  await db.schema.dropTable('gateways').execute();
}
