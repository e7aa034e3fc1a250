import type { AuditEventInput, AuditLog } from '@access/audit';
import type { Database, SessionKind } from '@access/db';
import { sql, type Kysely, type Transaction } from 'kysely';

/**
 * Everything the gateway stores comes as batches: plain JSON (times as ISO strings), so a
 * batch can wait in the local spool while the database is away and be written later, as is.
 */
export interface RecordBatch {
  /** `<spool id>:<n>`; stored with the batch, so a batch written twice is written once. */
  id: string;
  /** When the gateway made it (ISO); audit events written from the spool carry it as `occurredAt`. */
  at: string;
  sessions?: SessionStartRow[];
  chunks?: ChunkRow[];
  counts?: SessionCounts[];
  ends?: SessionEndRow[];
  /** Appended last, in order. */
  events?: AuditEventInput[];
}

export type RecordBatchParts = Omit<RecordBatch, 'id' | 'at'>;

export interface SessionStartRow {
  id: string;
  connectionId: string;
  gatewayId: string;
  userId: string;
  userEmail: string;
  login: string;
  host: string;
  hostAddress: string;
  clientAddress: string | null;
  kind: SessionKind;
  command: string | null;
  term: string | null;
  cols: number | null;
  rows: number | null;
  startedAt: string;
}

export interface ChunkRow {
  sessionId: string;
  seq: number;
  /** asciicast lines, newline-separated. */
  events: string;
  eventCount: number;
  lastTime: number;
  createdAt: string;
}

/** A live session's byte counts so far (absolute, so writing them again changes nothing). */
export interface SessionCounts {
  id: string;
  bytesIn: number;
  bytesOut: number;
  recordedUntil: string;
  truncated: boolean;
}

export interface SessionEndRow extends SessionCounts {
  endedAt: string;
  exitStatus: number | null;
  exitSignal: string | null;
  reason: string | null;
}

export interface ApplyOptions {
  /** The batch comes from the spool: its audit events say when they happened (`occurredAt`). */
  fromSpool: boolean;
}

/**
 * Writes one batch in `trx`; false when a batch with its id was written before (nothing is
 * written again). Audit events go last: the audit head stays locked only until the commit.
 */
export async function applyBatch(trx: Transaction<Database>, audit: AuditLog, batch: RecordBatch, options: ApplyOptions): Promise<boolean> {
  const marked = await trx.insertInto('record_batches_applied').values({ id: batch.id }).onConflict((oc) => oc.column('id').doNothing()).returning('id').executeTakeFirst();
  if (!marked) return false;

  if (batch.sessions?.length) {
    await trx
      .insertInto('sessions')
      .values(
        batch.sessions.map((s) => ({
          id: s.id,
          connection_id: s.connectionId,
          gateway_id: s.gatewayId,
          user_id: s.userId,
          user_email: s.userEmail,
          login: s.login,
          host: s.host,
          host_address: s.hostAddress,
          client_address: s.clientAddress,
          kind: s.kind,
          command: s.command,
          term: s.term,
          cols: s.cols,
          rows: s.rows,
          status: 'live' as const,
          started_at: new Date(s.startedAt),
        })),
      )
      .execute();
  }
  if (batch.chunks?.length) {
    await trx
      .insertInto('session_chunks')
      .values(
        batch.chunks.map((c) => ({
          session_id: c.sessionId,
          seq: c.seq,
          events: c.events,
          event_count: c.eventCount,
          last_time: c.lastTime,
          created_at: new Date(c.createdAt),
        })),
      )
      .execute();
  }
  if (batch.counts?.length) {
    // One statement for every session of the batch, not a round trip each.
    await sql`update sessions as s
      set bytes_in = v.bytes_in, bytes_out = v.bytes_out, recorded_until = v.recorded_until, recording_truncated = v.truncated
      from ${countsValues(batch.counts)}
      where s.id = v.id`.execute(trx);
  }
  for (const end of batch.ends ?? []) {
    await trx
      .updateTable('sessions')
      .set({
        status: 'ended',
        ended_at: new Date(end.endedAt),
        exit_status: end.exitStatus,
        exit_signal: end.exitSignal,
        end_reason: end.reason,
        bytes_in: end.bytesIn,
        bytes_out: end.bytesOut,
        recorded_until: new Date(end.recordedUntil),
        recording_truncated: end.truncated,
        // Marked interrupted by mistake (a stalled heartbeat) and transcribed then: again.
        transcribed_at: null,
      })
      .where('id', '=', end.id)
      .execute();
  }
  if (batch.events?.length) {
    const events = options.fromSpool ? batch.events.map((e) => ({ ...e, details: { ...e.details, occurredAt: batch.at } })) : batch.events;
    await audit.appendMany(events, trx);
  }
  return true;
}

/** Sessions' byte counts as a VALUES list named `v(id, bytes_in, bytes_out, recorded_until, truncated)`. */
const countsValues = (counts: readonly SessionCounts[]) =>
  sql`(values ${sql.join(counts.map((c) => sql`(${c.id}::text, ${c.bytesIn}::int8, ${c.bytesOut}::int8, ${new Date(c.recordedUntil)}::timestamptz, ${c.truncated}::boolean)`))})
    as v(id, bytes_in, bytes_out, recorded_until, truncated)`;

/** A flush: only chunks and byte counts (what the once-a-second timer writes for live sessions). */
export const isFlushOnly = (batch: RecordBatch): boolean =>
  !batch.sessions?.length && !batch.ends?.length && !batch.events?.length && (batch.chunks?.length ?? 0) + (batch.counts?.length ?? 0) > 0;

/**
 * Writes a flush-only batch in one statement, without a transaction around it: the batch id,
 * the chunks and the counts in data-modifying CTEs, all or nothing, the chunks and counts
 * only when the id was new. One round trip instead of five, on the gateway's event loop
 * once a second. False when the batch was written before.
 */
export async function applyFlush(db: Kysely<Database>, batch: RecordBatch): Promise<boolean> {
  const chunks = batch.chunks ?? [];
  const counts = batch.counts ?? [];
  const chunkRows = chunks.length
    ? sql`, chunks as (
        insert into session_chunks (session_id, seq, events, event_count, last_time, created_at)
        select v.session_id, v.seq, v.events, v.event_count, v.last_time, v.created_at
        from (values ${sql.join(chunks.map((c) => sql`(${c.sessionId}::text, ${c.seq}::int4, ${c.events}::text, ${c.eventCount}::int4, ${c.lastTime}::float8, ${new Date(c.createdAt)}::timestamptz)`))})
          as v(session_id, seq, events, event_count, last_time, created_at)
        where exists (select 1 from marked)
        returning 1)`
    : sql``;
  const countRows = counts.length
    ? sql`, counted as (
        update sessions as s
        set bytes_in = v.bytes_in, bytes_out = v.bytes_out, recorded_until = v.recorded_until, recording_truncated = v.truncated
        from ${countsValues(counts)}
        where s.id = v.id and exists (select 1 from marked)
        returning 1)`
    : sql``;
  const result = await sql<{ applied: string | number | bigint }>`with marked as (
      insert into record_batches_applied (id) values (${batch.id}) on conflict (id) do nothing returning id)
    ${chunkRows}${countRows}
    select count(*) as applied from marked`.execute(db);
  return Number(result.rows[0]?.applied ?? 0) === 1;
}

/** Session ids a batch ends (their transcripts are made once it is written). */
export const endedSessions = (batch: RecordBatch): string[] => (batch.ends ?? []).map((e) => e.id);
