import { formatCast, formatEvent, formatHeader, parseCast, type Cast, type CastEvent, type CastHeader } from './asciicast.ts';
import { parseRedactionMarker } from './redaction-marker.ts';
import { renderText } from './screen.ts';
import type { SessionMetadata } from './session-metadata.ts';

export type ExportFormat = 'cast' | 'text' | 'json';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['cast', 'text', 'json'];

const unixSeconds = (iso: string): number | undefined => {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
};

export const sessionTitle = (s: SessionMetadata): string =>
  `${s.user.email}: ${s.login}@${s.host}${s.kind === 'shell' ? '' : ` ${s.kind} ${s.command ?? ''}`.trimEnd()}`;

/**
 * The recording with what the session metadata knows and the header does not say: the start
 * time, TERM, a title, the command. An empty recording (no output was ever stored) gets a
 * header of its own.
 */
export function readRecording(session: SessionMetadata, castText: string): Cast {
  const cast: Cast = castText.trim() === ''
    ? { header: { version: 2, width: session.cols ?? 80, height: session.rows ?? 24 }, events: [] }
    : parseCast(castText);
  const header: CastHeader = { ...cast.header };
  const timestamp = unixSeconds(session.startedAt);
  if (header.timestamp === undefined && timestamp !== undefined) header.timestamp = timestamp;
  if (header.env?.['TERM'] === undefined && session.term) header.env = { ...header.env, TERM: session.term };
  if (header.title === undefined) header.title = sessionTitle(session);
  if (header.command === undefined && session.command !== null) header.command = session.command;
  return { header, events: cast.events };
}

/** Standard asciicast v2 for any player: our `e` (stderr) becomes `o`. */
export function exportCast(session: SessionMetadata, castText: string): string {
  const { header, events } = readRecording(session, castText);
  return formatCast({ header, events: events.map(([t, code, data]): CastEvent => [t, code === 'e' ? 'o' : code, data]) });
}

/** Everything, unchanged (`e` stays `e`): `{ session, header, events }`, one event per line. */
export function exportJson(session: SessionMetadata, castText: string): string {
  const { header, events } = readRecording(session, castText);
  const lines = events.map(formatEvent);
  return `{"session":${JSON.stringify(session)},\n"header":${formatHeader(header)},\n"events":[${lines.length ? `\n${lines.join(',\n')}\n` : ''}]}\n`;
}

function duration(fromIso: string, toIso: string): string {
  let rest = Math.max(0, Math.round((Date.parse(toIso) - Date.parse(fromIso)) / 1000));
  if (Number.isNaN(rest)) return '';
  let out = '';
  for (const [unit, size] of [['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (rest >= size || (unit === 's' && out === '')) out += `${Math.floor(rest / size)}${unit}`;
    rest %= size;
  }
  return out;
}

function ending(s: SessionMetadata): string {
  const parts: string[] = [];
  if (s.exitStatus !== null) parts.push(`exit status ${s.exitStatus}`);
  if (s.exitSignal !== null) parts.push(`signal ${s.exitSignal}`);
  if (s.endReason !== null) parts.push(s.endReason);
  return parts.join(', ') || '-';
}

/** Values come from the engineer's side (the command, a client's TERM): no control characters reach a terminal. */
export const printable = (text: string): string =>
  // eslint-disable-next-line no-control-regex -- control characters are what is escaped here
  text.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

/** Who, where, when and what, as `Name: value` lines. */
export function describeSession(s: SessionMetadata): string[] {
  const pty = s.term ? `${s.term} ${s.cols ?? '?'}x${s.rows ?? '?'}` : 'no pty';
  const rows: Array<[string, string]> = [
    ['Session', `${s.id} (connection ${s.connectionId})`],
    ['User', `${s.user.email} (${s.user.id})`],
    ['Target', `${s.login}@${s.host} (${s.hostAddress})`],
    ['From', s.clientAddress ?? '-'],
    ['Kind', `${s.kind}, ${pty}`],
  ];
  if (s.command !== null) rows.push(['Command', s.command]);
  rows.push(['Started', s.startedAt]);
  if (s.endedAt !== null) rows.push(['Ended', `${s.endedAt} (after ${duration(s.startedAt, s.endedAt)})`]);
  rows.push(['Status', s.status === 'live' ? `live, recorded until ${s.recordedUntil ?? 'nothing yet'}` : s.status]);
  if (s.status !== 'live') rows.push(['Exit', ending(s)]);
  rows.push(['Bytes', `${s.bytesIn} in, ${s.bytesOut} out`]);
  if (s.recordingTruncated) rows.push(['Recording', `truncated: nothing after ${s.recordedUntil ?? 'the start'} was kept`]);
  const width = Math.max(...rows.map(([name]) => name.length)) + 3;
  return rows.map(([name, value]) => `${`${name}:`.padEnd(width)}${printable(value)}`);
}

/** A marker as a line of the text export: `[input redacted: 9 bytes]`, `[note: …]`. */
export function markerLine(text: string): string {
  const bytes = parseRedactionMarker(text);
  if (bytes !== null) return `[input redacted: ${bytes} ${bytes === 1 ? 'byte' : 'bytes'}]`;
  return `[note: ${printable(text)}]`;
}

/** For people: the session described, then its output as plain text with the markers in place. */
export async function exportText(session: SessionMetadata, castText: string): Promise<string> {
  const cast = readRecording(session, castText);
  const body = await renderText(cast, { convertEol: session.term === null, markerLine });
  return `${describeSession(session).join('\n')}\n${'='.repeat(72)}\n${body}`;
}

export async function exportSession(format: ExportFormat, session: SessionMetadata, castText: string): Promise<string> {
  if (format === 'cast') return exportCast(session, castText);
  if (format === 'json') return exportJson(session, castText);
  return exportText(session, castText);
}
