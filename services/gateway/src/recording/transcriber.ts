import type { Db } from '@access/db';
import { renderTranscript, TRANSCRIPT_LIMITS, type TranscriptLimits } from './transcript.ts';
import { storeTranscript, untranscribedSessions } from './transcript-store.ts';

export interface TranscriberDeps {
  db: Db;
  clock: () => Date;
  log: (line: string) => void;
  limits?: TranscriptLimits;
  /** How often to look for ended sessions nobody transcribed (ms); 0: only at `catchUp()`. */
  catchUpMs: number;
  /**
   * Sessions that ended at least this long ago (ms) without a transcript are leftovers (their
   * gateway stopped first); younger ones are still in their own gateway's queue.
   */
  leftoverAfterMs: number;
}

export interface Transcriber {
  /** Queues a session that just ended or was marked interrupted. Returns at once. */
  enqueue(sessionId: string): void;
  /** Queues leftover sessions (see `leftoverAfterMs`); returns how many were found. */
  catchUp(): Promise<number>;
  /** Resolves once the queue is empty. */
  idle(): Promise<void>;
  /** Drops what is queued and waits for the transcript in progress. */
  close(): Promise<void>;
}

const CATCH_UP_BATCH = 100;

/**
 * Writes transcripts off the sessions' path: after a session's final flush, never in it.
 * One session at a time, in the background; rendering yields to the event loop every few
 * milliseconds (see TranscriptLimits.sliceChars), so other sessions' I/O goes on meanwhile.
 * A transcript that fails is logged and left for the next catch-up.
 */
export function createTranscriber(deps: TranscriberDeps): Transcriber {
  const { db, clock, log } = deps;
  const limits = deps.limits ?? TRANSCRIPT_LIMITS;
  const queue = new Set<string>();
  let running: Promise<void> | null = null;
  let closed = false;

  async function transcribe(id: string): Promise<void> {
    const session = await db.selectFrom('sessions').select(['id', 'kind', 'command', 'term', 'cols', 'rows', 'status']).where('id', '=', id).executeTakeFirst();
    if (!session || session.status === 'live') return;
    const transcript = await renderTranscript(db, session, limits);
    if (closed) return;
    await storeTranscript(db, id, transcript, clock());
  }

  async function drain(): Promise<void> {
    while (!closed && queue.size > 0) {
      const id = queue.values().next().value as string;
      queue.delete(id);
      await transcribe(id).catch((error: unknown) => log(`could not write the transcript of ${id}: ${(error as Error).message}`));
    }
  }

  function kick(): void {
    if (running || closed || queue.size === 0) return;
    // A macrotask later: the ending session's own last writes go first.
    running = new Promise<void>((resolve) => setTimeout(resolve, 0))
      .then(drain)
      .finally(() => {
        running = null;
        kick();
      });
  }

  function enqueue(id: string): void {
    if (closed) return;
    queue.add(id);
    kick();
  }

  async function catchUp(): Promise<number> {
    const ids = await untranscribedSessions(db, new Date(clock().getTime() - deps.leftoverAfterMs), CATCH_UP_BATCH);
    for (const id of ids) enqueue(id);
    return ids.length;
  }

  const timer = deps.catchUpMs > 0 ? setInterval(() => void catchUp().catch((error: unknown) => log(`could not look for sessions to transcribe: ${(error as Error).message}`)), deps.catchUpMs) : null;
  timer?.unref();

  return {
    enqueue,
    catchUp,
    async idle() {
      while (running) await running;
    },
    async close() {
      closed = true;
      if (timer) clearInterval(timer);
      queue.clear();
      await running;
    },
  };
}
