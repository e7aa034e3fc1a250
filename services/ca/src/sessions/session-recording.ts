import type { Db } from '@access/db';
import type { Session } from './session-store.ts';

/** Chunks read per query: a long recording is streamed a page at a time, never held whole. */
const CHUNKS_PER_PAGE = 64;

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

/**
 * The recording as asciicast v2 text, in pieces: the header line, then each chunk's event
 * lines in `seq` order, every piece ending in a newline. A live session's recording ends
 * with its last flushed chunk.
 */
export async function* recordingText(db: Db, session: Session, pageSize = CHUNKS_PER_PAGE): AsyncGenerator<string> {
  yield `${recordingHeader(session)}\n`;
  let after = -1;
  for (;;) {
    const page = await db
      .selectFrom('session_chunks')
      .select(['seq', 'events'])
      .where('session_id', '=', session.id)
      .where('seq', '>', after)
      .orderBy('seq')
      .limit(pageSize)
      .execute();
    for (const chunk of page) {
      if (chunk.events !== '') yield chunk.events.endsWith('\n') ? chunk.events : `${chunk.events}\n`;
    }
    if (page.length < pageSize) return;
    after = page[page.length - 1]!.seq;
  }
}
