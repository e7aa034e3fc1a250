import type { Db, SessionKind, SessionRow, SessionStatus } from '@access/db';
import { sql } from 'kysely';
import { badRequest, notFound } from '../errors.ts';

/** A recorded session channel, as auditors read it. */
export interface Session {
  id: string;
  connectionId: string;
  user: { id: string; email: string };
  login: string;
  host: string;
  hostAddress: string;
  clientAddress: string | null;
  kind: SessionKind;
  command: string | null;
  term: string | null;
  cols: number | null;
  rows: number | null;
  status: SessionStatus;
  startedAt: Date;
  endedAt: Date | null;
  exitStatus: number | null;
  exitSignal: string | null;
  endReason: string | null;
  bytesIn: bigint;
  bytesOut: bigint;
  recordedUntil: Date | null;
  recordingTruncated: boolean;
}

/** Which sessions to list, newest first. Times bound `startedAt`. */
export interface SessionFilter {
  /** The person's email, in any case. */
  userEmail?: string | undefined;
  host?: string | undefined;
  /** Started at or after. */
  since?: Date | undefined;
  /** Started before. */
  until?: Date | undefined;
  /** true: only live sessions; false: only ended or interrupted ones. */
  live?: boolean | undefined;
  limit: number;
  /** The page after: sessions older than this one (by start, then id), or started before this time. */
  before?: { sessionId: string } | { time: Date } | undefined;
}

export const SESSION_ID = /^ses_[0-9a-f]{20}$/;
export const MAX_SESSION_LIST = 1000;

export function toSession(row: SessionRow): Session {
  return {
    id: row.id,
    connectionId: row.connection_id,
    user: { id: row.user_id, email: row.user_email },
    login: row.login,
    host: row.host,
    hostAddress: row.host_address,
    clientAddress: row.client_address,
    kind: row.kind,
    command: row.command,
    term: row.term,
    cols: row.cols,
    rows: row.rows,
    status: row.status,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    exitStatus: row.exit_status,
    exitSignal: row.exit_signal,
    endReason: row.end_reason,
    bytesIn: row.bytes_in,
    bytesOut: row.bytes_out,
    recordedUntil: row.recorded_until,
    recordingTruncated: row.recording_truncated,
  };
}

export function checkSessionId(id: string): string {
  if (!SESSION_ID.test(id)) throw badRequest('ERR_BAD_SESSION_ID', `"${id.slice(0, 40)}" is not a session id: one looks like ses_ and 20 hex digits`);
  return id;
}

export async function getSession(db: Db, id: string): Promise<Session> {
  const row = await db.selectFrom('sessions').selectAll().where('id', '=', checkSessionId(id)).executeTakeFirst();
  if (!row) throw notFound('ERR_UNKNOWN_SESSION', `no session with id ${id}`);
  return toSession(row);
}

export async function listSessions(db: Db, filter: SessionFilter): Promise<Session[]> {
  if (!Number.isInteger(filter.limit) || filter.limit < 1 || filter.limit > MAX_SESSION_LIST) {
    throw badRequest('ERR_BAD_REQUEST', `limit must be a whole number from 1 to ${MAX_SESSION_LIST}`);
  }
  let query = db.selectFrom('sessions').selectAll();
  if (filter.userEmail !== undefined) query = query.where((eb) => eb(eb.fn('lower', ['user_email']), '=', filter.userEmail!.toLowerCase()));
  if (filter.host !== undefined) query = query.where('host', '=', filter.host);
  if (filter.since !== undefined) query = query.where('started_at', '>=', filter.since);
  if (filter.until !== undefined) query = query.where('started_at', '<', filter.until);
  if (filter.live !== undefined) query = query.where('status', filter.live ? '=' : '<>', 'live');
  const before = filter.before;
  if (before && 'time' in before) query = query.where('started_at', '<', before.time);
  if (before && 'sessionId' in before) {
    const id = checkSessionId(before.sessionId);
    const cursor = await db.selectFrom('sessions').select('id').where('id', '=', id).executeTakeFirst();
    if (!cursor) throw badRequest('ERR_BAD_CURSOR', `before names no session (${id}); page with the id of the last session of the previous page`);
    // Compared in SQL: started_at has microseconds, which a Date round trip would drop.
    query = query.where(sql<boolean>`(started_at, id) < (select c.started_at, c.id from sessions c where c.id = ${id})`);
  }
  const rows = await query.orderBy('started_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
  return rows.map(toSession);
}
