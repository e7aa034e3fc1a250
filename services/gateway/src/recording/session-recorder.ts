import type { SessionKind } from '@access/db';

/** asciicast v2 event codes, plus `e` for an exec session's stderr. */
export type EventCode = 'o' | 'i' | 'r' | 'm' | 'e';

export interface SessionStart {
  connectionId: string;
  user: { id: string; email: string };
  login: string;
  host: { name: string; address: string };
  clientAddress: string | null;
  kind: SessionKind;
  command: string | null;
  pty: { term: string; cols: number; rows: number } | null;
  /** The upstream certificate's serial, for the audit trail. */
  upstreamSerial: string;
}

export interface SessionEnd {
  exitStatus: number | null;
  exitSignal: string | null;
  /** Why the gateway ended it, when it did (`locked`, `gateway stopping`, …); null when the session ended by itself. */
  reason: string | null;
}

/** One session being recorded: events are buffered and flushed at least once a second. */
export interface RecordingSession {
  readonly id: string;
  /**
   * Appends an event stamped with the time since the session started. `bytes` is how many
   * bytes it stands for on the wire (the text may be longer: bytes that are not UTF-8 are
   * stored as U+FFFD); without it, the text's UTF-8 length.
   */
  event(code: EventCode, data: string, bytes?: number): void;
  /** False once the recording reached its size limit: callers then only `count`. */
  readonly recordsContent: boolean;
  /** Counts bytes that passed without being recorded as events (file transfers). */
  count(direction: 'in' | 'out', bytes: number): void;
  /** Flushes what is left, marks the session ended and audits `session.end`. */
  end(result: SessionEnd): Promise<void>;
}

/** Where recordings go. PostgreSQL (the default) keeps them beside the audit log. */
export interface SessionRecorder {
  /** Inserts the session (status live) and audits `session.start` (and `session.exec` for an exec). */
  start(session: SessionStart): Promise<RecordingSession>;
  /** Writes every buffered event now; called by a timer and on shutdown. */
  flush(): Promise<void>;
  /** Stops the flush timer after a last flush. */
  close(): Promise<void>;
}
