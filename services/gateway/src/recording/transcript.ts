import type { Db, SessionKind } from '@access/db';
import { markerLine, parseEventLine, printable, renderText, type CastEvent } from '@access/recording';

/**
 * A session's transcript: its recording as plain text, what a person reads and full-text
 * search indexes. The command line, then the output as the terminal showed it (through a
 * headless xterm, see @access/recording renderText) with markers in place, then, for a
 * session without a terminal, what was sent to its stdin.
 */

export interface TranscriptLimits {
  /** UTF-8 bytes of text kept. */
  maxTextBytes: number;
  /** Output characters read from the recording: more would be rendered only to be cut. */
  maxOutputChars: number;
  /**
   * Output given to the terminal emulator at a time. Parsing is synchronous, so each piece
   * holds the event loop: 16 KiB is a few milliseconds (1 MiB would be ~170 ms).
   */
  sliceChars: number;
}

export const TRANSCRIPT_LIMITS: TranscriptLimits = { maxTextBytes: 1 << 20, maxOutputChars: 2 << 20, sliceChars: 16 << 10 };

export interface Transcript {
  text: string;
  /** The recording held more than the transcript keeps. */
  truncated: boolean;
}

/** What rendering needs of a session: a row of `sessions`, or the CA's view of one. */
export interface TranscriptSource {
  id: string;
  kind: SessionKind;
  command: string | null;
  term: string | null;
  cols: number | null;
  rows: number | null;
}

const CHUNKS_PER_PAGE = 64;
/**
 * An `m` event put between slices of output: renderText feeds the emulator everything
 * before a marker first, so this is what splits the work. It never shows up in the text.
 */
const SLICE = '\u0000transcript slice';

interface Collected {
  events: CastEvent[];
  input: string;
  truncated: boolean;
}

/** Reads the recording a page of chunks at a time, up to the output limit. */
async function collect(db: Db, sessionId: string, limits: TranscriptLimits, keepInput: boolean): Promise<Collected> {
  const out: Collected = { events: [], input: '', truncated: false };
  let output = 0;
  let sinceSlice = 0;
  let after = -1;
  for (;;) {
    const page = await db
      .selectFrom('session_chunks')
      .select(['seq', 'events'])
      .where('session_id', '=', sessionId)
      .where('seq', '>', after)
      .orderBy('seq')
      .limit(CHUNKS_PER_PAGE)
      .execute();
    for (const chunk of page) {
      for (const [n, line] of chunk.events.split('\n').entries()) {
        if (line === '') continue;
        const event = parseEventLine(line, n + 1);
        const [time, code, data] = event;
        if (code === 'i') {
          if (keepInput && out.input.length < limits.maxTextBytes) out.input += data;
          continue;
        }
        if (code === 'o' || code === 'e') {
          if (output >= limits.maxOutputChars) {
            out.truncated = true;
            return out;
          }
          output += data.length;
          sinceSlice += data.length;
        }
        out.events.push(event);
        if (sinceSlice >= limits.sliceChars) {
          out.events.push([time, 'm', SLICE]);
          sinceSlice = 0;
        }
      }
    }
    if (page.length < CHUNKS_PER_PAGE) return out;
    after = page[page.length - 1]!.seq;
  }
}

/** Text cut to at most `maxBytes` of UTF-8, never inside a character. */
export function cutText(text: string, maxBytes: number): { text: string; cut: boolean } {
  if (text.length * 3 <= maxBytes || Buffer.byteLength(text) <= maxBytes) return { text, cut: false };
  const kept = Buffer.from(text).subarray(0, maxBytes).toString('utf8');
  // A character cut in two decodes as U+FFFD at the very end.
  return { text: kept.endsWith('\uFFFD') ? kept.slice(0, -1) : kept, cut: true };
}

/** Input as lines: CR LF and CR become LF, other control characters go (they are keys, not text). */
const inputText = (raw: string): string =>
  // eslint-disable-next-line no-control-regex -- control characters are what is removed here
  raw.replace(/\r\n?/g, '\n').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '');

function commandLine(s: TranscriptSource): string {
  if (s.kind === 'exec') return `$ ${printable(s.command ?? '')}\n`;
  if (s.kind === 'subsystem') return `[subsystem ${printable(s.command ?? '')}]\n`;
  return '';
}

/**
 * Renders a session's transcript from its stored recording (a live session's: up to its
 * last flushed chunk). Bounded: at most `maxOutputChars` of output is rendered and
 * `maxTextBytes` of text kept; the emulator gets `sliceChars` at a time, yielding between.
 */
export async function renderTranscript(db: Db, session: TranscriptSource, limits: TranscriptLimits = TRANSCRIPT_LIMITS): Promise<Transcript> {
  const noTerminal = session.term === null;
  const { events, input, truncated } = await collect(db, session.id, limits, noTerminal);
  const header = { version: 2 as const, width: session.cols || 80, height: session.rows || 24, ...(session.term ? { env: { TERM: session.term } } : {}) };
  const output = await renderText({ header, events }, { convertEol: noTerminal, markerLine: (text) => (text === SLICE ? null : markerLine(text)) });
  const stdin = noTerminal && input !== '' ? inputText(input) : '';
  const text = `${commandLine(session)}${output}${stdin ? `--- input ---\n${stdin}${stdin.endsWith('\n') ? '' : '\n'}` : ''}`;
  const bounded = cutText(text, limits.maxTextBytes);
  return { text: bounded.text, truncated: truncated || bounded.cut };
}
