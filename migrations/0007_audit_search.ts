import { sql, type Kysely } from 'kysely';

// Frozen in time: this file never imports the application's current types.
//
// Indexes for searching the audit log newest first (`order by seq desc limit n`): each one
// ends in seq, so a filter on its first column is one ordered index range, however old the
// matching events are. Time and type are indexed since 0001 ((time, seq) and (type, seq)).
export async function up(db: Kysely<any>): Promise<void> {
  // Who did it: an actor is searched by id (usr_…, a token id) or by name (an email).
  await db.schema.createIndex('audit_events_actor_id_idx').on('audit_events').expression(sql`(actor->>'id'), seq`).execute();
  await db.schema
    .createIndex('audit_events_actor_name_idx')
    .on('audit_events')
    .expression(sql`(actor->>'name'), seq`)
    .where(sql.raw(`(actor->>'name')`), 'is not', null)
    .execute();
  // Everything the gateway recorded about one session: start, exec, transfers, end, reads.
  await db.schema
    .createIndex('audit_events_session_idx')
    .on('audit_events')
    .expression(sql`(details->>'sessionId'), seq`)
    .where(sql.raw(`(details->>'sessionId')`), 'is not', null)
    .execute();
  // Everything from one client address.
  await db.schema.createIndex('audit_events_remote_idx').on('audit_events').columns(['remote', 'seq']).where('remote', 'is not', null).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const index of ['audit_events_remote_idx', 'audit_events_session_idx', 'audit_events_actor_name_idx', 'audit_events_actor_id_idx']) {
    await db.schema.dropIndex(index).execute();
  }
}
