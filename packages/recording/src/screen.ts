import type { IMarker, Terminal } from '@xterm/headless';
import type { Cast } from './asciicast.ts';
import { bufferRows, replayCast, type BufferRow, type ReplayOptions } from './terminal-replay.ts';

export type ScreenOptions = ReplayOptions;

/**
 * The screen as the engineer saw it at `until` (default: the end): one string per row,
 * trailing spaces trimmed. Replays `o`/`e` output and `r` resizes through a headless xterm.
 */
export async function renderScreen(cast: Cast, options: ScreenOptions = {}): Promise<string[]> {
  const term = await replayCast(cast, options);
  const buffer = term.buffer.active;
  const lines = bufferRows(buffer, buffer.baseY, buffer.baseY + term.rows).map((r) => r.text);
  term.dispose();
  return lines;
}

export interface TextOptions extends ReplayOptions {
  /** The line to show for an `m` marker, or null to leave it out (the default leaves all out). */
  markerLine?: (text: string) => string | null;
}

export const FULL_SCREEN_START = '--- full-screen program, its last screen: ---';
export const FULL_SCREEN_END = '--- end of full-screen program ---';

/** The text kept per physical line, and what goes before which line. */
class TextCollector {
  readonly lines: BufferRow[] = [];
  private readonly inserts = new Map<number, string[]>();
  private mark: IMarker | undefined;

  constructor(private readonly term: Terminal) {
    this.mark = term.registerMarker(0);
  }

  /** The normal buffer's first line not collected yet: a reset disposes the marker, leaving 0. */
  private first(): number {
    return this.mark && !this.mark.isDisposed ? this.mark.line : 0;
  }

  /** Collects the lines that scrolled above the screen; they can no longer change. */
  collectScrolled(): void {
    if (this.term.buffer.active.type !== 'normal') return;
    const buffer = this.term.buffer.normal;
    const from = this.first();
    if (buffer.baseY <= from && this.mark && !this.mark.isDisposed) return;
    this.lines.push(...bufferRows(buffer, from, buffer.baseY));
    this.mark?.dispose();
    this.mark = this.term.registerMarker(-buffer.cursorY);
  }

  /** Collects the normal buffer to its last non-empty line (at the end, or before a reset). */
  collectAll(): void {
    const buffer = this.term.buffer.normal;
    let end = buffer.length;
    while (end > this.first() && !buffer.getLine(end - 1)?.translateToString(true)) end--;
    this.lines.push(...bufferRows(buffer, this.first(), end));
    this.mark?.dispose();
    this.mark = undefined;
  }

  /** The collected index of the normal buffer's cursor line. */
  cursorLine(): number {
    const buffer = this.term.buffer.normal;
    return this.lines.length + buffer.baseY + buffer.cursorY - this.first();
  }

  insertBefore(index: number, lines: string[]): void {
    this.inserts.set(index, [...(this.inserts.get(index) ?? []), ...lines]);
  }

  snapshotFullScreen(): void {
    const buffer = this.term.buffer.alternate;
    const lines = bufferRows(buffer, 0, this.term.rows).map((r) => r.text);
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    while (lines.length > 0 && lines[0] === '') lines.shift();
    if (lines.length > 0) this.insertBefore(this.cursorLine(), [FULL_SCREEN_START, ...lines, FULL_SCREEN_END]);
  }

  /** Wrapped rows joined into their logical line; inserts land between logical lines. */
  text(): string {
    const out: string[] = [];
    let waiting: string[] = [];
    // A loop, not Math.max(...keys): spread, some 100 000 markers overflow the call stack.
    let count = this.lines.length;
    for (const index of this.inserts.keys()) count = Math.max(count, index);
    for (let i = 0; i <= count; i++) {
      waiting.push(...(this.inserts.get(i) ?? []));
      const line = this.lines[i];
      if (!line) continue;
      if (line.wrapped && out.length > 0) {
        out[out.length - 1] += ' '.repeat(this.lines[i - 1]?.trimmed ?? 0) + line.text;
        continue;
      }
      out.push(...waiting, line.text);
      waiting = [];
    }
    out.push(...waiting);
    const trimmed = out.map((l) => l.trimEnd());
    while (trimmed.length > 0 && trimmed[trimmed.length - 1] === '') trimmed.pop();
    return trimmed.length > 0 ? `${trimmed.join('\n')}\n` : '';
  }
}

const LEAVES_FULL_SCREEN = new Set([47, 1047, 1049]);

/**
 * The whole output as plain text, for a text export: everything that scrolled by and the final
 * screen, no escape sequences. A screen clear keeps what was cleared (as PuTTY does) and a
 * request to erase the scrollback is ignored, so nothing printed is lost; a full-screen
 * program (vim, less, top) is shown by its last screen, where it ran.
 */
export async function renderText(cast: Cast, options: TextOptions = {}): Promise<string> {
  let collector: TextCollector | undefined;
  const term = await replayCast(cast, options, {
    scrollback: 1000,
    scrollOnEraseInDisplay: true,
    setup(t) {
      const c = new TextCollector(t);
      collector = c;
      t.onScroll(() => c.collectScrolled());
      t.parser.registerCsiHandler({ final: 'J' }, (params) => params[0] === 3);
      t.parser.registerCsiHandler({ prefix: '?', final: 'l' }, (params) => {
        if (t.buffer.active.type === 'alternate' && params.some((p) => typeof p === 'number' && LEAVES_FULL_SCREEN.has(p))) c.snapshotFullScreen();
        return false;
      });
      t.parser.registerEscHandler({ final: 'c' }, () => {
        if (t.buffer.active.type === 'alternate') c.snapshotFullScreen();
        c.collectAll();
        return false;
      });
    },
    resized: () => collector?.collectScrolled(),
    marker(t, text) {
      const line = options.markerLine?.(text);
      if (line != null && collector) collector.insertBefore(collector.cursorLine() + 1, [line]);
    },
  });
  const c = collector!;
  if (term.buffer.active.type === 'alternate') c.snapshotFullScreen();
  c.collectAll();
  term.dispose();
  return c.text();
}
