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

/**
 * xterm carries out some counted sequences one step at a time, and takes counts up to 2^31:
 * `ESC [ 2147483647 S` (scroll up) is minutes of synchronous work from 14 bytes of output, and
 * REP (`b`) makes a character as many times as asked. Above the screen's size a count changes
 * nothing more for insert/delete/scroll lines (L M S T) and back-tab (Z), so those are cut to
 * it; a repeat is cut to one line's width, which is what programs use it for.
 */
const COUNT_LIMIT: Readonly<Record<string, number>> = { L: MAX_ROWS, M: MAX_ROWS, S: MAX_ROWS, T: MAX_ROWS, Z: MAX_COLS, b: MAX_COLS };
// eslint-disable-next-line no-control-regex -- escape sequences are what is matched
const COUNTED = /(\x1b\[|\x9b)([\d;:]*)([LMSTZb])/g;
// eslint-disable-next-line no-control-regex -- an unfinished CSI at the end of the text
const UNFINISHED_CSI = /(?:\x1b\[|\x9b)[\d;:]*$|\x1b$/;
/** Longer than this, an unfinished CSI is no program's: it is cancelled (CAN) rather than held for its end. */
const HOLD_LIMIT = 64;

export function boundCounts(output: string): string {
  return output.replace(COUNTED, (_all, csi: string, params: string, final: string) => {
    const limit = COUNT_LIMIT[final]!;
    return `${csi}${params.replace(/\d+/g, (n) => (Number(n) > limit ? String(limit) : n))}${final}`;
  });
}

/**
 * Narrows by at most half the width at a time. xterm reflows a wrapped line into a narrower
 * terminal by spreading all of its new rows into one call: a line as long as the whole
 * scrollback (1,500 rows of 1,000 columns) narrowed to one column is 1.5 million arguments,
 * which overflows the stack. Halving at most, a line gains no more rows in one step than
 * the buffer holds, and every step trims the buffer back to its size.
 */
function resize(term: Terminal, cols: number, rows: number): void {
  while (term.cols > cols * 2) term.resize(Math.ceil(term.cols / 2), term.rows);
  term.resize(cols, rows);
}

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
  /**
   * Writes what is pending. An unfinished CSI at its end waits for the rest of it (a resize or a
   * marker may come between), so that its count is bounded too; one too long to be real is cancelled.
   */
  const flush = async (last = false) => {
    const tail = last ? null : UNFINISHED_CSI.exec(pending);
    const held = tail && tail[0].length <= HOLD_LIMIT ? tail[0] : '';
    const data = boundCounts(held ? pending.slice(0, -held.length) : tail ? `${pending}\x18` : pending);
    pending = held;
    if (data === '') return;
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
      resize(term, clamp(size.cols, MAX_COLS), clamp(size.rows, MAX_ROWS));
      hooks.resized?.(term);
    } else if (code === 'm' && hooks.marker) {
      await flush();
      hooks.marker(term, data);
    }
  }
  await flush(true);
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
