import type { AuditEventRow, Db, SessionRow } from '@access/db';
import { sleep } from './process.ts';

/**
 * What the gateway wrote about sessions, read back from the database. Sessions end (and
 * their audit events are written) asynchronously after the ssh client exits, so the
 * readers here poll, within a bound, instead of reading once.
 */

/** Calls `probe` until it returns something other than undefined, or throws after `timeoutMs`. */
export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** The one session row that ran `command` (as the target saw it), once it has ended. */
export async function endedSessionByCommand(db: Db, command: string, timeoutMs?: number): Promise<SessionRow> {
  return eventually(
    async () => {
      const rows = await db.selectFrom('sessions').selectAll().where('command', '=', command).execute();
      if (rows.length > 1) throw new Error(`${rows.length} sessions ran ${JSON.stringify(command)}; make the command unique`);
      return rows[0]?.status === 'ended' ? rows[0] : undefined;
    },
    `the session of ${JSON.stringify(command)} to end`,
    timeoutMs,
  );
}

/** The sessions of one engineer that have started since `since` (a `Date` taken before the run). */
export async function sessionsOf(db: Db, userId: string, since: Date): Promise<SessionRow[]> {
  return db.selectFrom('sessions').selectAll().where('user_id', '=', userId).where('started_at', '>=', since).orderBy('started_at').execute();
}

export type RecordedEvent = [time: number, code: string, data: string];

/** A session's recording as asciicast v2 events, in order. */
export async function recordingOf(db: Db, sessionId: string): Promise<RecordedEvent[]> {
  const chunks = await db.selectFrom('session_chunks').select('events').where('session_id', '=', sessionId).orderBy('seq').execute();
  return chunks.flatMap((c) => c.events.split('\n').map((line) => JSON.parse(line) as RecordedEvent));
}

/** The data of every recorded event with `code`, joined. */
export function recordedText(events: readonly RecordedEvent[], code: string): string {
  return events
    .filter((e) => e[1] === code)
    .map((e) => e[2])
    .join('');
}

export interface AuditEvent {
  seq: bigint;
  type: string;
  details: Record<string, unknown>;
}

/** Audit events of one type for one actor id, after `afterSeq` (see `auditHead`). */
export async function auditEventsOf(db: Db, type: string, actorId: string, afterSeq = 0n): Promise<AuditEvent[]> {
  const rows: AuditEventRow[] = await db.selectFrom('audit_events').selectAll().where('type', '=', type).where('seq', '>', afterSeq).orderBy('seq').execute();
  return rows.filter((r) => r.actor['id'] === actorId).map((r) => ({ seq: BigInt(r.seq), type: r.type, details: r.details }));
}

/** The sequence number of the newest audit event: pass it to `auditEventsOf` to see only what comes after. */
export async function auditHead(db: Db): Promise<bigint> {
  const row = await db.selectFrom('audit_events').select((eb) => eb.fn.max('seq').as('seq')).executeTakeFirst();
  return BigInt(row?.seq ?? 0);
}
