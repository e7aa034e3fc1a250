import type { Db, SessionKind, SessionRow, SessionStatus } from '@access/db';
import { sql } from 'kysely';
import { badRequest, notFound } from '../errors.ts';
import { scopedUserId, type SessionScope } from './session-scope.ts';

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
  /** The login on the target. */
  login?: string | undefined;
  status?: SessionStatus | undefined;
  /**
   * Words in the transcript, as a web search engine reads them (`websearch_to_tsquery`):
   * `deploy failed`, `"exact phrase"`, `nginx or apache`, `-staging`. Only sessions that
   * ended and were transcribed match.
   */
  text?: string | undefined;
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

/**
 * Transcripts are indexed through `session_search_text` (migration 0008), which splits paths,
 * host names and addresses at `/ . : @ =` into words in a row. A search term holding one of
 * those is quoted here, so it is looked for as that phrase: `access.log` finds
 * `/var/log/nginx/access.log`, and `10.0.0.1` only those four numbers in that order.
 */
export function searchTerms(text: string): string {
  return text
    .split('"')
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/(^|\s)(-?)([^\s]*[/.:@=][^\s]*)/g, (_all, lead: string, not: string, term: string) => `${lead}${not}"${term}"`)))
    .join('"');
}

/** Sessions of the scope only: the rest do not exist for this reader. */
const inScope = (db: Db, scope: SessionScope) => {
  const userId = scopedUserId(scope);
  const query = db.selectFrom('sessions');
  return userId === null ? query : query.where('user_id', '=', userId);
};

/** One session the scope may see; 404 alike for an unknown one and for someone else's. */
export async function getSession(db: Db, id: string, scope: SessionScope): Promise<Session> {
  const row = await inScope(db, scope).selectAll().where('id', '=', checkSessionId(id)).executeTakeFirst();
  if (!row) throw notFound('ERR_UNKNOWN_SESSION', `no session with id ${id}`);
  return toSession(row);
}

/** Sessions the scope may see that match the filter, newest first. */
export async function listSessions(db: Db, filter: SessionFilter, scope: SessionScope): Promise<Session[]> {
  if (!Number.isInteger(filter.limit) || filter.limit < 1 || filter.limit > MAX_SESSION_LIST) {
    throw badRequest('ERR_BAD_REQUEST', `limit must be a whole number from 1 to ${MAX_SESSION_LIST}`);
  }
  let query = inScope(db, scope).selectAll();
  if (filter.userEmail !== undefined) query = query.where((eb) => eb(eb.fn('lower', ['user_email']), '=', filter.userEmail!.toLowerCase()));
  if (filter.host !== undefined) query = query.where('host', '=', filter.host);
  if (filter.login !== undefined) query = query.where('login', '=', filter.login);
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  if (filter.text !== undefined) {
    query = query.where(
      sql<boolean>`exists (select 1 from session_transcripts t where t.session_id = sessions.id and t.search @@ websearch_to_tsquery('simple', session_search_text(${searchTerms(filter.text)})))`,
    );
  }
  if (filter.since !== undefined) query = query.where('started_at', '>=', filter.since);
  if (filter.until !== undefined) query = query.where('started_at', '<', filter.until);
  if (filter.live !== undefined) query = query.where('status', filter.live ? '=' : '<>', 'live');
  const before = filter.before;
  if (before && 'time' in before) query = query.where('started_at', '<', before.time);
  if (before && 'sessionId' in before) {
    const id = checkSessionId(before.sessionId);
    const cursor = await inScope(db, scope).select('id').where('id', '=', id).executeTakeFirst();
    if (!cursor) throw badRequest('ERR_BAD_CURSOR', `before names no session (${id}); page with the id of the last session of the previous page`);
    // Compared in SQL: started_at has microseconds, which a Date round trip would drop.
    query = query.where(sql<boolean>`(started_at, id) < (select c.started_at, c.id from sessions c where c.id = ${id})`);
  }
  const rows = await query.orderBy('started_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
  return rows.map(toSession);
}
