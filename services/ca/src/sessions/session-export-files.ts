import type { ExportFile } from '@access/audit';
import type { Db } from '@access/db';
import { sql } from 'kysely';
import { sessionJson } from '../http/routes/session-routes.ts';
import { lastChunkSeq, recordingText } from './session-recording.ts';
import { toSession } from './session-store.ts';

/** Sessions read per query: an export of a busy month lists them a page at a time. */
const SESSIONS_PER_PAGE = 100;

/**
 * The files an audit export holds for each session that started in the range, oldest
 * first: `sessions/<id>.json` (the session as `GET /v1/sessions/:id` shows it, when the
 * export was made) and `sessions/<id>.cast` (its recording, asciicast v2). A live session's
 * recording ends with the last chunk stored when the export first read it.
 */
export async function* sessionExportFiles(db: Db, range: { since: Date | null; until: Date }): AsyncGenerator<ExportFile> {
  let after: string | null = null;
  for (;;) {
    let query = db.selectFrom('sessions').selectAll().where('started_at', '<', range.until);
    if (range.since) query = query.where('started_at', '>=', range.since);
    // Compared in SQL: started_at has microseconds, which a Date round trip would drop.
    if (after !== null) query = query.where(sql<boolean>`(started_at, id) > (select c.started_at, c.id from sessions c where c.id = ${after})`);
    const rows = await query.orderBy('started_at').orderBy('id').limit(SESSIONS_PER_PAGE).execute();
    for (const row of rows) {
      const session = toSession(row);
      const metadata = `${JSON.stringify(sessionJson(session), null, 2)}\n`;
      yield { name: `sessions/${session.id}.json`, content: async function* () { yield metadata; } };
      // The chunks stored when the export first reads the recording: a live one grows meanwhile.
      let through: number | undefined;
      yield {
        name: `sessions/${session.id}.cast`,
        content: async function* () {
          through ??= await lastChunkSeq(db, session.id);
          yield* recordingText(db, session, { through });
        },
      };
    }
    if (rows.length < SESSIONS_PER_PAGE) return;
    after = rows[rows.length - 1]!.id;
  }
}
