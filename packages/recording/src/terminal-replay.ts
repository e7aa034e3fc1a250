import xterm from '@xterm/headless';
import type { IBuffer, Terminal } from '@xterm/headless';
import { parseResize, type Cast } from './asciicast.ts';

export interface ReplayOptions {
  /** Stop after the events at this many seconds from the start. */
  until?: number;
  /**
   * Treat a bare LF as CR LF. Right for output without a pty (an exec session's pipes); the
   * default is to do so when the header names no TERM.
   */
  convertEol?: boolean;
}

export interface ReplayHooks {
  scrollback?: number;
  scrollOnEraseInDisplay?: boolean;
  /** The terminal exists and has no output yet: add parser handlers and listeners here. */
  setup?(term: Terminal): void;
  /** After a resize, with all earlier output applied. */
  resized?(term: Terminal): void;
  /** An `m` event, with all earlier output applied. */
  marker?(term: Terminal, text: string): void;
}

// A recorded window-change is whatever the client sent: bound it, so a replay cannot be made to
// allocate a terminal of 99999×99999 cells.
const MAX_COLS = 1000;
const MAX_ROWS = 500;
/** xterm drops writes queued beyond 50 MB; the output is fed in pieces well below that. */
const WRITE_LIMIT = 1 << 20;

const clamp = (n: number, max: number) => Math.min(Math.max(1, Math.floor(n)), max);

/** Replays the output of a recording (`o`, `e`, `r`) through a headless xterm, and returns it. */
export async function replayCast(cast: Cast, options: ReplayOptions = {}, hooks: ReplayHooks = {}): Promise<Terminal> {
  const { header, events } = cast;
  const term = new xterm.Terminal({
    cols: clamp(header.width, MAX_COLS),
    rows: clamp(header.height, MAX_ROWS),
    scrollback: hooks.scrollback ?? 0,
    scrollOnEraseInDisplay: hooks.scrollOnEraseInDisplay ?? false,
    convertEol: options.convertEol ?? !header.env?.['TERM'],
    allowProposedApi: true,
    logLevel: 'off',
  });
  hooks.setup?.(term);
  let pending = '';
  const flush = async () => {
    if (pending === '') return;
    const data = pending;
    pending = '';
    await new Promise<void>((resolve) => term.write(data, resolve));
  };
  for (const [time, code, data] of events) {
    if (options.until !== undefined && time > options.until) break;
    if (code === 'o' || code === 'e') {
      pending += data;
      if (pending.length >= WRITE_LIMIT) await flush();
    } else if (code === 'r') {
      const size = parseResize(data);
      if (!size) continue;
      await flush();
      term.resize(clamp(size.cols, MAX_COLS), clamp(size.rows, MAX_ROWS));
      hooks.resized?.(term);
    } else if (code === 'm' && hooks.marker) {
      await flush();
      hooks.marker(term, data);
    }
  }
  await flush();
  return term;
}

export interface BufferRow {
  /** Trailing spaces trimmed. */
  text: string;
  /** The spaces trimmed, which matter when the next row continues this one. */
  trimmed: number;
  /** This row continues the previous one (the line was wider than the terminal). */
  wrapped: boolean;
}

/** Rows `from` to `to` (exclusive) of a buffer. */
export function bufferRows(buffer: IBuffer, from: number, to: number): BufferRow[] {
  const rows: BufferRow[] = [];
  for (let y = from; y < to; y++) {
    const line = buffer.getLine(y);
    // Trimming also flattens the string xterm builds a cell at a time: kept as built, a
    // 200 000-line session would hold gigabytes of string pieces.
    const full = line?.translateToString(false) ?? '';
    const text = full.trimEnd();
    rows.push({ text, trimmed: full.length - text.length, wrapped: line?.isWrapped ?? false });
  }
  return rows;
}
