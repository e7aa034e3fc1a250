import type { Db } from '@access/db';
import { renderTranscript } from '@access/gateway';
import type { Session } from './session-store.ts';

/**
 * A session's text transcript. Gateways write it once a session ended (their transcriber,
 * off the sessions' path); for a live session, or one still waiting for its turn, it is
 * rendered now from what is recorded so far and not stored.
 */
export interface SessionTranscript {
  /** The command line, then the output as the terminal showed it: at most 1 MiB. */
  text: string;
  /** The recording held more than the transcript keeps. */
  truncated: boolean;
  /** False when rendered for this read (live, or not transcribed yet). */
  stored: boolean;
}

export async function sessionTranscript(db: Db, session: Session): Promise<SessionTranscript> {
  const row = await db.selectFrom('session_transcripts').select(['text', 'truncated']).where('session_id', '=', session.id).executeTakeFirst();
  if (row) return { text: row.text, truncated: row.truncated, stored: true };
  return { ...(await renderTranscript(db, session)), stored: false };
}

/** The download's name: `ses_….txt`, a name any file system takes. */
export const transcriptFilename = (session: Session): string => `${session.id}.txt`;

function ending(s: Session): string {
  if (s.status === 'live') return `live; recorded until ${s.recordedUntil?.toISOString() ?? 'nothing yet'}`;
  const parts: string[] = [s.status];
  if (s.exitStatus !== null) parts.push(`exit status ${s.exitStatus}`);
  if (s.exitSignal !== null) parts.push(`signal ${s.exitSignal}`);
  if (s.endReason !== null) parts.push(s.endReason);
  return parts.join(', ');
}

/** The download: who, where and when as `Name: value` lines, a rule, then the transcript. */
export function transcriptDocument(session: Session, transcript: SessionTranscript): string {
  const rows: Array<[string, string]> = [
    ['Session', `${session.id} (connection ${session.connectionId})`],
    ['User', `${session.user.email} (${session.user.id})`],
    ['Target', `${session.login}@${session.host} (${session.hostAddress})`],
    ['Kind', session.kind],
    ['Started', session.startedAt.toISOString()],
    ['Ended', session.endedAt?.toISOString() ?? '-'],
    ['Status', ending(session)],
  ];
  if (transcript.truncated) rows.push(['Note', 'the recording is longer than this transcript keeps; the asciicast recording has all of it']);
  if (session.recordingTruncated) rows.push(['Note', 'the gateway stopped recording before the session ended']);
  // eslint-disable-next-line no-control-regex -- a reason or address is shown as one line, whatever it holds
  const line = (value: string) => value.replace(/[\x00-\x1f\x7f]/g, ' ');
  return `${rows.map(([name, value]) => `${`${name}:`.padEnd(10)}${line(value)}`).join('\n')}\n${'='.repeat(72)}\n${transcript.text}`;
}
