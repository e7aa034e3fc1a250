import type { Db } from '@access/db';
import { sql } from 'kysely';
import type { Transcript } from './transcript.ts';

/** PostgreSQL's "string is too long for tsvector": the lexemes and positions passed 1 MB. */
const PROGRAM_LIMIT_EXCEEDED = '54000';
/** Below this, a transcript that still does not fit is a bug, not a big session. */
const MIN_SEARCHABLE = 1024;

const isTooLong = (error: unknown) => (error as { code?: unknown } | null)?.code === PROGRAM_LIMIT_EXCEEDED;

/** The text up to `max` characters, cut at the last whitespace so no word is split. */
function searchablePrefix(text: string, max: number): number {
  if (text.length <= max) return text.length;
  const space = text.slice(0, max).search(/\s\S*$/);
  return space > 0 ? space : max;
}

/**
 * Stores (or replaces) a session's transcript with its 'simple' tsvector (over
 * `session_search_text`, migration 0008: paths and host names as their parts), and marks the
 * session transcribed, in one statement. The vector is parsed once, by the database. A
 * tsvector holds at most 1 MB of lexemes and positions: text full of distinct words can pass
 * that, so the indexed prefix is halved until it fits; `searchable_chars` says how much is.
 * Returns that length.
 */
export async function storeTranscript(db: Db, sessionId: string, transcript: Transcript, now: Date): Promise<number> {
  let searchable = transcript.text.length;
  for (;;) {
    try {
      await sql`
        with input as (select ${transcript.text}::text as t),
        stored as (
          insert into session_transcripts (session_id, text, search, searchable_chars, truncated, created_at)
          select ${sessionId}, t, to_tsvector('simple', session_search_text(left(t, ${searchable}::int))), ${searchable}::int, ${transcript.truncated}, ${now}::timestamptz from input
          on conflict (session_id) do update set
            text = excluded.text, search = excluded.search, searchable_chars = excluded.searchable_chars,
            truncated = excluded.truncated, created_at = excluded.created_at
          returning session_id
        )
        update sessions set transcribed_at = ${now}::timestamptz where id in (select session_id from stored)`.execute(db);
      return searchable;
    } catch (error) {
      if (!isTooLong(error) || searchable < MIN_SEARCHABLE) throw error;
      searchable = searchablePrefix(transcript.text, Math.floor(searchable / 2));
    }
  }
}

/** Ended or interrupted sessions without a transcript that ended before `endedBefore`, oldest first. */
export async function untranscribedSessions(db: Db, endedBefore: Date, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('sessions')
    .select('id')
    // Literal, so the planner matches sessions_untranscribed_idx's predicate.
    .where(sql<boolean>`transcribed_at is null and status <> 'live'`)
    .where('ended_at', '<', endedBefore)
    .orderBy('ended_at')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}
