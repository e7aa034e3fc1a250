import type { Db, SessionStatus } from '@access/db';
import type { Session } from './session-store.ts';

/** Chunks read per query: a long recording is streamed a page at a time, never held whole. */
const CHUNKS_PER_PAGE = 64;
/** A follow read stops adding chunks past this much text; the reader asks again from `lastSeq`. */
const MAX_FOLLOW_CHARS = 1 << 20;

/** The asciicast v2 header line (without its newline) a player needs to show the session. */
export function recordingHeader(session: Session): string {
  return JSON.stringify({
    version: 2,
    width: session.cols || 80,
    height: session.rows || 24,
    timestamp: Math.floor(session.startedAt.getTime() / 1000),
    env: { TERM: session.term || 'xterm' },
    title: `${session.login}@${session.host} by ${session.user.email}`,
  });
}

const eventLines = (events: string) => (events.endsWith('\n') ? events : `${events}\n`);

/**
 * The recording as asciicast v2 text, in pieces: the header line, then each chunk's event
 * lines in `seq` order, every piece ending in a newline. A live session's recording ends
 * with its last flushed chunk, or with chunk `through` when given (what a reader was told
 * the last seq is).
 */
export async function* recordingText(db: Db, session: Session, options: { pageSize?: number; through?: number } = {}): AsyncGenerator<string> {
  const pageSize = options.pageSize ?? CHUNKS_PER_PAGE;
  yield `${recordingHeader(session)}\n`;
  let after = -1;
  for (;;) {
    let query = db.selectFrom('session_chunks').select(['seq', 'events']).where('session_id', '=', session.id).where('seq', '>', after);
    if (options.through !== undefined) query = query.where('seq', '<=', options.through);
    const page = await query.orderBy('seq').limit(pageSize).execute();
    for (const chunk of page) if (chunk.events !== '') yield eventLines(chunk.events);
    if (page.length < pageSize) return;
    after = page[page.length - 1]!.seq;
  }
}

/** The seq of the session's last stored chunk; -1 before its first flush. */
export async function lastChunkSeq(db: Db, sessionId: string): Promise<number> {
  const row = await db.selectFrom('session_chunks').select((eb) => eb.fn.max('seq').as('seq')).where('session_id', '=', sessionId).executeTakeFirst();
  return row?.seq ?? -1;
}

export interface RecordingSince {
  /** Event lines (each ending in a newline) of the chunks after `afterSeq`; with the header line first when `afterSeq` was null. */
  text: string;
  /** The last chunk included, to ask from next time; `afterSeq` (or -1) when nothing was new. */
  lastSeq: number;
  /** The session's status, read before the chunks: the gateway writes the last chunk and `ended` together. */
  status: SessionStatus;
  /**
   * More chunks are stored already (this call stopped at its size bound): ask again at once.
   * A live view stops asking once `status` is not `live` and `more` is false.
   */
  more: boolean;
}

/**
 * What a live view needs every half second or so: the chunks flushed after `afterSeq`
 * (the gateway flushes one a second), or with null the header and everything so far. At
 * most about 1 MiB per call: a reader that fell behind catches up over a few calls.
 * Reading is not audited here: see `auditRecordingRead`.
 */
export async function readRecordingSince(db: Db, session: Session, afterSeq: number | null): Promise<RecordingSince> {
  // Status first: the gateway writes the last chunk and `ended` in one transaction, so a
  // status read before the chunks never says ended while its last chunk was missed.
  const row = await db.selectFrom('sessions').select('status').where('id', '=', session.id).executeTakeFirstOrThrow();
  let text = afterSeq === null ? `${recordingHeader(session)}\n` : '';
  let lastSeq = afterSeq ?? -1;
  for (;;) {
    const page = await db
      .selectFrom('session_chunks')
      .select(['seq', 'events'])
      .where('session_id', '=', session.id)
      .where('seq', '>', lastSeq)
      .orderBy('seq')
      .limit(CHUNKS_PER_PAGE)
      .execute();
    for (const chunk of page) {
      if (chunk.events !== '') text += eventLines(chunk.events);
      lastSeq = chunk.seq;
      if (text.length >= MAX_FOLLOW_CHARS) return { text, lastSeq, status: row.status, more: true };
    }
    if (page.length < CHUNKS_PER_PAGE) return { text, lastSeq, status: row.status, more: false };
  }
}
