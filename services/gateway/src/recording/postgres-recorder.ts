import { randomBytes } from 'node:crypto';
import type { ChunkRow } from './record-batch.ts';
import type { RecordWriter } from './record-writer.ts';
import type { EventCode, RecordingSession, SessionEnd, SessionRecorder, SessionStart } from './session-recorder.ts';

export interface PostgresRecorderDeps {
  /** The database, or the local spool while the database is away. */
  writer: RecordWriter;
  clock: () => Date;
  gatewayId: string;
  /** Buffered events are written at least this often (ms). */
  flushIntervalMs: number;
  /** Recorded event bytes per session; past it, only byte counts go on (and a marker says so). */
  maxRecordingBytes: number;
  /** Monotonic milliseconds, for event times that never go backwards. */
  monotonic?: () => number;
  onError?: (error: unknown) => void;
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
 * chunk (a row of asciicast lines) by one timer for all sessions, every `flushIntervalMs`,
 * through the writer (which spools them locally while the database is away). A crash
 * loses at most the events since the last flush.
 */
export function createPostgresRecorder(deps: PostgresRecorderDeps): SessionRecorder {
  const { writer, clock } = deps;
  const monotonic = deps.monotonic ?? (() => performance.now());
  const live = new Map<string, Live>();
  let flushing: Promise<void> = Promise.resolve();
  let closed = false;

  /** Takes a session's pending events as a chunk row, or null when there is nothing to write. */
  function takeChunk(s: Live): ChunkRow | null {
    if (s.pending.length === 0) return null;
    const events = s.pending.join('\n');
    const row = { sessionId: s.id, seq: s.seq++, events, eventCount: s.pending.length, lastTime: s.lastTime, createdAt: clock().toISOString() };
    s.pending = [];
    return row;
  }

  const recordedUntil = (s: Live) => new Date(s.startedAt.getTime() + Math.round(s.lastTime * 1000)).toISOString();
  const countsOf = (s: Live) => ({ id: s.id, bytesIn: s.bytesIn, bytesOut: s.bytesOut, recordedUntil: recordedUntil(s), truncated: s.truncated });

  async function writeAll(): Promise<void> {
    const batch = [...live.values()].filter((s) => s.pending.length > 0 || s.dirty);
    if (batch.length === 0) return;
    const chunks = batch.map(takeChunk).filter((c) => c !== null);
    const counts = batch.map(countsOf);
    for (const s of batch) s.dirty = false;
    await writer.write({ chunks, counts });
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
      const refusal = writer.refusal();
      if (refusal) throw new Error(refusal);
      const id = newSessionId();
      const startedAt = clock();
      const actor = { kind: 'user' as const, id: start.user.id, name: start.user.email };
      const common = { sessionId: id, connectionId: start.connectionId, login: start.login, host: start.host.name, hostAddress: start.host.address };
      await writer.write({
        sessions: [
          {
            id,
            connectionId: start.connectionId,
            gatewayId: deps.gatewayId,
            userId: start.user.id,
            userEmail: start.user.email,
            login: start.login,
            host: start.host.name,
            hostAddress: start.host.address,
            clientAddress: start.clientAddress,
            kind: start.kind,
            command: start.command,
            term: start.pty?.term ?? null,
            cols: start.pty?.cols ?? null,
            rows: start.pty?.rows ?? null,
            startedAt: startedAt.toISOString(),
          },
        ],
        events: [
          {
            type: 'session.start',
            actor,
            remote: start.clientAddress,
            details: { ...common, kind: start.kind, pty: start.pty !== null, upstreamSerial: start.upstreamSerial },
          },
          ...(start.kind === 'exec' ? [{ type: 'session.exec' as const, actor, remote: start.clientAddress, details: { ...common, command: start.command } }] : []),
        ],
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
          await writer.write({
            chunks: chunk ? [chunk] : [],
            ends: [
              {
                ...countsOf(s),
                endedAt: endedAt.toISOString(),
                exitStatus: result.exitStatus,
                exitSignal: result.exitSignal,
                reason: result.reason,
              },
            ],
            events: [
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
            ],
          });
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
