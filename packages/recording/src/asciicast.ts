import { quote, RecordingError } from './recording-errors.ts';

/**
 * asciicast v2 (https://docs.asciinema.org/manual/asciicast/v2/): a JSON header line, then one
 * JSON event line `[seconds, code, data]` each. `e` is our extension: the stderr of an exec
 * session, kept apart from stdout; a standard export turns it into `o`.
 */
export type CastCode = 'o' | 'i' | 'r' | 'm' | 'e';
export type CastEvent = [time: number, code: CastCode, data: string];

export interface CastHeader {
  version: 2;
  width: number;
  height: number;
  /** Unix seconds of the start. */
  timestamp?: number;
  duration?: number;
  idle_time_limit?: number;
  command?: string;
  title?: string;
  env?: Record<string, string>;
}

export interface Cast {
  header: CastHeader;
  events: CastEvent[];
}

const CODES: ReadonlySet<string> = new Set<CastCode>(['o', 'i', 'r', 'm', 'e']);

/**
 * Seconds rounded to microseconds, the precision every event line carries. A time so large
 * that scaling it overflows (above ~1e302 s) has no microseconds to round and stays as it is:
 * rounded, it became Infinity, which JSON writes as null, so an export would not read back.
 */
export const roundTime = (seconds: number): number => {
  const rounded = Math.round(seconds * 1e6) / 1e6;
  return Number.isFinite(rounded) ? rounded : seconds;
};

/** The header line, without its newline; `version`, `width` and `height` come first. */
export function formatHeader(header: CastHeader): string {
  const { version, width, height, ...rest } = header;
  return JSON.stringify({ version, width, height, ...rest });
}

/** One event line, without its newline. */
export function formatEvent([time, code, data]: CastEvent): string {
  if (!Number.isFinite(time) || time < 0) throw new RecordingError('ERR_CAST_FORMAT', `an event time must be a finite number of seconds ≥ 0, got ${time}`);
  return JSON.stringify([roundTime(time), code, data]);
}

/** A resize event's data, `COLSxROWS`; null when it is not one. */
export function parseResize(data: string): { cols: number; rows: number } | null {
  const m = /^(\d{1,5})x(\d{1,5})$/.exec(data);
  if (!m) return null;
  const cols = Number(m[1]);
  const rows = Number(m[2]);
  return cols > 0 && rows > 0 ? { cols, rows } : null;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const bad = (line: number, what: string, text: string) => new RecordingError('ERR_CAST_FORMAT', `line ${line}: ${what}: ${quote(text)}`, { line });

function parseJson(text: string, line: number, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new RecordingError('ERR_CAST_FORMAT', `line ${line}: ${what} is not JSON: ${quote(text)}`, { line, cause: error });
  }
}

export function parseHeaderLine(text: string, line = 1): CastHeader {
  const h = parseJson(text, line, 'the header');
  if (!isRecord(h)) throw bad(line, 'the header is not a JSON object', text);
  if (h['version'] !== 2) throw bad(line, `only asciicast version 2 is read, the header says version ${JSON.stringify(h['version'] ?? null)}`, text);
  for (const key of ['width', 'height']) {
    const n = h[key];
    if (typeof n !== 'number' || !Number.isInteger(n) || n <= 0) throw bad(line, `the header's ${key} is not a positive integer`, text);
  }
  if (h['timestamp'] !== undefined && typeof h['timestamp'] !== 'number') throw bad(line, 'the header\'s timestamp is not a number', text);
  if (h['env'] !== undefined && !isRecord(h['env'])) throw bad(line, 'the header\'s env is not an object', text);
  return h as unknown as CastHeader;
}

export function parseEventLine(text: string, line: number): CastEvent {
  const e = parseJson(text, line, 'the event');
  if (!Array.isArray(e) || e.length !== 3) throw bad(line, 'an event is [seconds, code, data]', text);
  const [time, code, data] = e as unknown[];
  if (typeof time !== 'number' || !Number.isFinite(time) || time < 0) throw bad(line, 'the event time is not a number of seconds ≥ 0', text);
  if (typeof code !== 'string' || !CODES.has(code)) throw bad(line, 'the event code is not one of o, i, r, m, e', text);
  if (typeof data !== 'string') throw bad(line, 'the event data is not a string', text);
  return [time, code as CastCode, data];
}

/** Reads a recording as it arrives: feed text in any pieces, get the events each piece completes. */
export interface CastParser {
  readonly header: CastHeader | null;
  push(chunk: string): CastEvent[];
  /** Reads a last line that had no newline; throws ERR_CAST_EMPTY when there was no header. */
  end(): CastEvent[];
}

export function createCastParser(): CastParser {
  let header: CastHeader | null = null;
  let pending = '';
  let lineNumber = 0;
  const take = (raw: string, into: CastEvent[]) => {
    lineNumber += 1;
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (text.trim() === '') return;
    if (header === null) header = parseHeaderLine(text, lineNumber);
    else into.push(parseEventLine(text, lineNumber));
  };
  return {
    get header() {
      return header;
    },
    push(chunk) {
      const events: CastEvent[] = [];
      const lines = (pending + chunk).split('\n');
      pending = lines.pop() ?? '';
      for (const raw of lines) take(raw, events);
      return events;
    },
    end() {
      const events: CastEvent[] = [];
      if (pending !== '') take(pending, events);
      pending = '';
      if (header === null) throw new RecordingError('ERR_CAST_EMPTY', 'the recording is empty: it has no asciicast header line');
      return events;
    },
  };
}

/** A whole recording; errors name the line. */
export function parseCast(text: string): Cast {
  const parser = createCastParser();
  const events = parser.push(text);
  events.push(...parser.end());
  return { header: parser.header!, events };
}

/** The recording as text: header line, event lines, a final newline. */
export const formatCast = (cast: Cast): string => `${[formatHeader(cast.header), ...cast.events.map(formatEvent)].join('\n')}\n`;
