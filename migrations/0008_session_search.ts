import { sql, type Kysely } from 'kysely';

// Frozen in time: this file never imports the application's current types.
export async function up(db: Kysely<any>): Promise<void> {
  // Set once a session's transcript is stored. Ended and interrupted sessions without one
  // are the gateways' work queue, kept small by a partial index.
  await db.schema.alterTable('sessions').addColumn('transcribed_at', 'timestamptz').execute();
  await db.schema
    .createIndex('sessions_untranscribed_idx')
    .on('sessions')
    .column('ended_at')
    .where(sql<boolean>`transcribed_at is null and status <> 'live'`)
    .execute();
  // People see their own sessions; the sessions page filters by login.
  await db.schema.createIndex('sessions_user_id_idx').on('sessions').columns(['user_id', 'started_at']).execute();
  await db.schema.createIndex('sessions_login_idx').on('sessions').columns(['login', 'started_at']).execute();

  // What is indexed and what is searched for both go through this: the parser keeps a path,
  // host name or address (/var/log/nginx/access.log, web-1.example.com, bob@example.com) as
  // one lexeme, so a search for "nginx" would miss it. Made of its parts, it is found.
  await sql`create function session_search_text(body text) returns text
    language sql immutable strict parallel safe
    as $$ select translate(body, '/.:@=', '     ') $$`.execute(db);

  // A session's recording as plain text (the command, then what the terminal showed),
  // bounded, and a 'simple' tsvector over session_search_text(text) for
  // websearch_to_tsquery. A tsvector holds at most 1 MB of lexemes and positions, so
  // `searchable_chars` says how much of the text is indexed.
  await db.schema
    .createTable('session_transcripts')
    .addColumn('session_id', 'text', (c) => c.primaryKey().references('sessions.id').onDelete('cascade'))
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('search', sql`tsvector`, (c) => c.notNull().defaultTo(sql`''::tsvector`))
    .addColumn('searchable_chars', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('truncated', 'boolean', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('session_transcripts_search_idx').on('session_transcripts').using('gin').column('search').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('session_transcripts').execute();
  await sql`drop function session_search_text(text)`.execute(db);
  await db.schema.dropIndex('sessions_login_idx').execute();
  await db.schema.dropIndex('sessions_user_id_idx').execute();
  await db.schema.dropIndex('sessions_untranscribed_idx').execute();
  await db.schema.alterTable('sessions').dropColumn('transcribed_at').execute();
}
