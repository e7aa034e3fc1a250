/** A recorded session as the CA's API describes it (`GET /v1/sessions/:id`). */
export interface SessionMetadata {
  id: string;
  /** Shared by the sessions of one ssh connection. */
  connectionId: string;
  user: { id: string; email: string };
  /** The Linux login on the target. */
  login: string;
  host: string;
  hostAddress: string;
  clientAddress: string | null;
  kind: 'shell' | 'exec' | 'subsystem';
  /** The exec command or the subsystem name. */
  command: string | null;
  /** The pty's TERM; null without a pty. */
  term: string | null;
  cols: number | null;
  rows: number | null;
  status: 'live' | 'ended' | 'interrupted';
  /** ISO 8601 times. */
  startedAt: string;
  endedAt: string | null;
  exitStatus: number | null;
  exitSignal: string | null;
  endReason: string | null;
  /** Bytes from the engineer to the target, and back. */
  bytesIn: number;
  bytesOut: number;
  /** The time of the last event stored; later output of a live session is not in the recording yet. */
  recordedUntil: string | null;
  /** Whether the gateway stopped recording (size limit, storage failure) before the session ended. */
  recordingTruncated: boolean;
}
