import { randomBytes } from 'node:crypto';
import type { AuditLog } from '@access/audit';
import type { Db } from '@access/db';
import { sql } from 'kysely';
import type { EventCode, RecordingSession, SessionEnd, SessionRecorder, SessionStart } from './session-recorder.ts';

export interface PostgresRecorderDeps {
  db: Db;
  audit: AuditLog;
  clock: () => Date;
  gatewayId: string;
  /** Buffered events are written at least this often (ms). */
  flushIntervalMs: number;
  /** Recorded event bytes per session; past it, only byte counts go on (and a marker says so). */
  maxRecordingBytes: number;
  /** Monotonic milliseconds, for event times that never go backwards. */
  monotonic?: () => number;
  onError?: (error: unknown) => void;
  /** Told each session id once its end is committed (the transcript is made from then on). */
  onEnded?: (sessionId: string) => void;
}

interface Live {
  id: string;
  start: SessionStart;
  startedAt: Date;
  startMono: number;
  pending: string[];
  seq: number;
  lastTime: number;
  recordedBytes: number;
  truncated: boolean;
  bytesIn: number;
  bytesOut: number;
  /** Byte counts changed since the last flush. */
  dirty: boolean;
  ended: boolean;
}

/** Seconds with at most six decimals, as asciicast writes them. */
const seconds = (ms: number) => Math.round(ms * 1000) / 1_000_000;

export const newSessionId = () => `ses_${randomBytes(10).toString('hex')}`;

/**
 * Recordings in PostgreSQL: events are buffered in memory per session and written as a
 * chunk (a row of asciicast lines) by one timer for all sessions, every `flushIntervalMs`.
 * A crash loses at most the events since the last flush.
 */
export function createPostgresRecorder(deps: PostgresRecorderDeps): SessionRecorder {
  const { db, audit, clock } = deps;
  const monotonic = deps.monotonic ?? (() => performance.now());
  const live = new Map<string, Live>();
  let flushing: Promise<void> = Promise.resolve();
  let closed = false;

  /** Takes a session's pending events as a chunk row, or null when there is nothing to write. */
  function takeChunk(s: Live) {
    if (s.pending.length === 0) return null;
    const events = s.pending.join('\n');
    const row = { session_id: s.id, seq: s.seq++, events, event_count: s.pending.length, last_time: s.lastTime, created_at: clock() };
    s.pending = [];
    return row;
  }

  const recordedUntil = (s: Live) => new Date(s.startedAt.getTime() + Math.round(s.lastTime * 1000));

  async function writeAll(): Promise<void> {
    const batch = [...live.values()].filter((s) => s.pending.length > 0 || s.dirty);
    if (batch.length === 0) return;
    const chunks = batch.map(takeChunk).filter((c) => c !== null);
    const counts = batch.map((s) => ({ id: s.id, bytesIn: s.bytesIn, bytesOut: s.bytesOut, until: recordedUntil(s), truncated: s.truncated }));
    for (const s of batch) s.dirty = false;
    await db.transaction().execute(async (trx) => {
      if (chunks.length > 0) await trx.insertInto('session_chunks').values(chunks).execute();
      // One statement for every session of the batch, not a round trip each.
      const rows = sql.join(counts.map((c) => sql`(${c.id}, ${c.bytesIn}::int8, ${c.bytesOut}::int8, ${c.until}::timestamptz, ${c.truncated}::boolean)`));
      await sql`update sessions as s
        set bytes_in = v.bytes_in, bytes_out = v.bytes_out, recorded_until = v.recorded_until, recording_truncated = v.truncated
        from (values ${rows}) as v(id, bytes_in, bytes_out, recorded_until, truncated)
        where s.id = v.id`.execute(trx);
    });
  }

  function flush(): Promise<void> {
    flushing = flushing.then(writeAll).catch((error: unknown) => deps.onError?.(error));
    return flushing;
  }

  const timer = setInterval(() => void flush(), deps.flushIntervalMs);
  timer.unref();

  function append(s: Live, code: EventCode, data: string, wireBytes?: number): void {
    const bytes = wireBytes ?? Buffer.byteLength(data);
    if (code === 'i') s.bytesIn += bytes;
    else if (code === 'o' || code === 'e') s.bytesOut += bytes;
    s.dirty = true;
    if (s.truncated) return;
    s.lastTime = Math.max(s.lastTime, seconds(monotonic() - s.startMono));
    if (code !== 'm' && s.recordedBytes + bytes > deps.maxRecordingBytes) {
      s.truncated = true;
      s.pending.push(JSON.stringify([s.lastTime, 'm', `recording truncated: the session passed ${deps.maxRecordingBytes} recorded bytes; only byte counts follow`]));
      return;
    }
    s.recordedBytes += bytes;
    s.pending.push(JSON.stringify([s.lastTime, code, data]));
  }

  return {
    async start(start) {
      if (closed) throw new Error('the recorder is closed');
      const id = newSessionId();
      const startedAt = clock();
      const actor = { kind: 'user' as const, id: start.user.id, name: start.user.email };
      const common = { sessionId: id, connectionId: start.connectionId, login: start.login, host: start.host.name, hostAddress: start.host.address };
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('sessions')
          .values({
            id,
            connection_id: start.connectionId,
            gateway_id: deps.gatewayId,
            user_id: start.user.id,
            user_email: start.user.email,
            login: start.login,
            host: start.host.name,
            host_address: start.host.address,
            client_address: start.clientAddress,
            kind: start.kind,
            command: start.command,
            term: start.pty?.term ?? null,
            cols: start.pty?.cols ?? null,
            rows: start.pty?.rows ?? null,
            status: 'live',
            started_at: startedAt,
          })
          .execute();
        await audit.appendMany(
          [
            {
              type: 'session.start',
              actor,
              remote: start.clientAddress,
              details: { ...common, kind: start.kind, pty: start.pty !== null, upstreamSerial: start.upstreamSerial },
            },
            ...(start.kind === 'exec' ? [{ type: 'session.exec' as const, actor, remote: start.clientAddress, details: { ...common, command: start.command } }] : []),
          ],
          trx,
        );
      });
      const s: Live = {
        id,
        start,
        startedAt,
        startMono: monotonic(),
        pending: [],
        seq: 0,
        lastTime: 0,
        recordedBytes: 0,
        truncated: false,
        bytesIn: 0,
        bytesOut: 0,
        dirty: false,
        ended: false,
      };
      live.set(id, s);
      const session: RecordingSession = {
        id,
        event: (code, data, bytes) => append(s, code, data, bytes),
        get recordsContent() {
          return !s.truncated;
        },
        count(direction, bytes) {
          if (direction === 'in') s.bytesIn += bytes;
          else s.bytesOut += bytes;
          s.dirty = true;
        },
        async end(result: SessionEnd) {
          if (s.ended) return;
          s.ended = true;
          // Wait for a flush in progress, so chunks keep their order.
          await flushing;
          live.delete(id);
          s.lastTime = Math.max(s.lastTime, seconds(monotonic() - s.startMono));
          const chunk = takeChunk(s);
          const endedAt = clock();
          await db.transaction().execute(async (trx) => {
            if (chunk) await trx.insertInto('session_chunks').values(chunk).execute();
            await trx
              .updateTable('sessions')
              .set({
                status: 'ended',
                ended_at: endedAt,
                exit_status: result.exitStatus,
                exit_signal: result.exitSignal,
                end_reason: result.reason,
                bytes_in: s.bytesIn,
                bytes_out: s.bytesOut,
                recorded_until: recordedUntil(s),
                recording_truncated: s.truncated,
                // Marked interrupted by mistake (a stalled heartbeat) and transcribed then: again.
                transcribed_at: null,
              })
              .where('id', '=', id)
              .execute();
            await audit.append(
              {
                type: 'session.end',
                actor,
                remote: start.clientAddress,
                details: {
                  ...common,
                  bytesIn: s.bytesIn,
                  bytesOut: s.bytesOut,
                  durationMs: endedAt.getTime() - startedAt.getTime(),
                  exitStatus: result.exitStatus,
                  exitSignal: result.exitSignal,
                  reason: result.reason,
                },
              },
              trx,
            );
          });
          deps.onEnded?.(id);
        },
      };
      return session;
    },

    flush,

    async close() {
      closed = true;
      clearInterval(timer);
      await flush();
    },
  };
}
