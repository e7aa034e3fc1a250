import { describe, expect, it } from 'vitest';
import type { Cast, CastEvent } from './asciicast.ts';
import { FULL_SCREEN_END, FULL_SCREEN_START, renderScreen, renderText } from './screen.ts';

const cast = (events: CastEvent[], width = 20, height = 4, term = 'xterm-256color'): Cast =>
  ({ header: { version: 2, width, height, env: term ? { TERM: term } : {} }, events });
const o = (t: number, data: string): CastEvent => [t, 'o', data];

describe('counted sequences in the output', () => {
  // Each took seconds of synchronous work in xterm (up to 2^31 steps); a transcript of a
  // session that printed a few of them held the event loop for minutes.
  it('bounds scroll, insert, delete and repeat counts, with the screen they would leave', async () => {
    const started = performance.now();
    const lines = await renderScreen(cast([o(0, 'a\r\nb\x1b[2147483647S\x1b[H\x1b[999999Lc\x1b[999999M\x1b[999999T\r\nx\x1b[999999999b')]));
    expect(performance.now() - started).toBeLessThan(1000);
    // 'x' and 1000 repeats: 1001 of them wrap at 20 columns, the last one alone.
    expect(lines).toEqual(['x'.repeat(20), 'x'.repeat(20), 'x'.repeat(20), 'x']);
    expect(await renderText(cast([o(0, 'y\x1b[999999b')]))).toBe(`${'y'.repeat(1001)}\n`);
  });

  it('bounds a count that comes in two pieces, split by a resize or a marker', async () => {
    const started = performance.now();
    const lines = await renderScreen(cast([o(0, 'a\r\nb\x1b[99'), [1, 'r', '20x4'], o(2, '99999S'), o(3, '\x1b[' + '0'.repeat(100)), [4, 'm', 'note'], o(5, '999999S')]));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(lines[0]).toBe('');
  });
  // Found by the asciicast fuzz test: xterm spreads a reflowed line's new rows into one call.
  it('narrows a terminal whose whole scrollback is one wrapped line to one column without overflowing the stack', async () => {
    const line = 'x'.repeat(1000 * 1400);
    const text = await renderText(cast([o(0, `${line}\r\n`), [1, 'r', '1x500'], o(2, 'end')], 1000, 500));
    const lines = text.trimEnd().split('\n');
    expect(lines.at(-1)).toBe('end');
    // The line is kept as far as the scrollback holds it, and joined again as one line.
    expect(lines.at(-2)).toMatch(/^x{1000,}$/);
  });
});

describe('renderScreen', () => {
  it('shows the screen as the engineer saw it: colors gone, cursor moves applied, trailing spaces trimmed', async () => {
    const lines = await renderScreen(cast([
      o(0, '\x1b[01;32mbob@web-1\x1b[00m:\x1b[01;34m~\x1b[00m$ '),
      o(0.5, 'ls\r\n'),
      o(0.6, 'a.txt  b.txt\r\n'),
      o(0.7, 'bob@web-1:~$ 50%\r100% done\x1b[K'),
    ]));
    expect(lines).toEqual(['bob@web-1:~$ ls', 'a.txt  b.txt', '100% done', '']);
  });

  it('shows the screen at a moment with until', async () => {
    const c = cast([o(1, 'one\r\n'), o(2, 'two\r\n'), o(3, 'three')]);
    expect(await renderScreen(c, { until: 2 })).toEqual(['one', 'two', '', '']);
    expect(await renderScreen(c, { until: 0.5 })).toEqual(['', '', '', '']);
  });

  it('follows resizes: a wider terminal unwraps nothing already drawn, a smaller one keeps the bottom', async () => {
    const lines = await renderScreen(cast([
      o(0, 'a\r\nb\r\nc\r\nd'),
      [1, 'r', '30x2'],
      o(2, '\r\n0123456789012345678901234'),
    ]));
    expect(lines).toEqual(['d', '0123456789012345678901234']);
  });

  it('shows a full-screen program while it runs and the shell after it exits', async () => {
    const events = [
      o(0, '$ vim x\r\n'),
      o(1, '\x1b[?1049h\x1b[H\x1b[2Jhello vim\r\n~\r\n~\r\n"x" 1L'),
      o(2, '\x1b[?1049l$ '),
    ];
    expect(await renderScreen(cast(events), { until: 1 })).toEqual(['hello vim', '~', '~', '"x" 1L']);
    expect(await renderScreen(cast(events))).toEqual(['$ vim x', '$', '', '']);
  });

  it('treats a bare LF as a new line when there was no pty (no TERM)', async () => {
    expect(await renderScreen(cast([o(0, 'one\ntwo\n'), [0.1, 'e', 'err\n']], 20, 4, ''))).toEqual(['one', 'two', 'err', '']);
    expect(await renderScreen(cast([o(0, 'one\ntwo')]))).toEqual(['one', '   two', '', '']);
  });

  it('bounds a recorded resize, which the client chose', async () => {
    const lines = await renderScreen(cast([[0, 'r', '99999x99999'], o(1, 'x')]));
    expect(lines.length).toBe(500);
  });
});

describe('renderText', () => {
  it('keeps everything that scrolled by, joins wrapped lines and drops escapes', async () => {
    const lines = Array.from({ length: 30 }, (_, i) => `line ${i}`);
    const text = await renderText(cast([
      o(0, `\x1b[1m${lines.join('\r\n')}\x1b[0m\r\n`),
      o(1, `$ echo ${'x'.repeat(30)}\r\n`),
      o(2, `${'a'.repeat(19)} bbb\r\n`),
    ]));
    expect(text).toBe(`${lines.join('\n')}\n$ echo ${'x'.repeat(30)}\n${'a'.repeat(19)} bbb\n`);
  });

  it('keeps what clear erased (ED2 and ED3) and what a reset wiped', async () => {
    const text = await renderText(cast([
      o(0, '$ cat notes\r\nsecret plan\r\n$ clear\r\n'),
      o(1, '\x1b[H\x1b[2J\x1b[3J$ reset\r\n'),
      o(2, '\x1bc$ ls\r\n'),
    ]));
    expect(text).toBe('$ cat notes\nsecret plan\n$ clear\n$ reset\n$ ls\n');
  });

  it('shows the last screen of a full-screen program where it ran', async () => {
    const text = await renderText(cast([
      o(0, '$ vim x\r\n'),
      o(1, '\x1b[?1049h\x1b[H\x1b[2Jhello vim\r\n~\r\n~\r\n"x" 1L'),
      o(2, '\x1b[?1049l$ exit\r\n'),
    ]));
    expect(text).toBe(`$ vim x\n${FULL_SCREEN_START}\nhello vim\n~\n~\n"x" 1L\n${FULL_SCREEN_END}\n$ exit\n`);
  });

  it('places marker lines after the line the cursor was on', async () => {
    const text = await renderText(cast([
      o(0, '$ sudo id\r\n[sudo] password for bob: '),
      [1, 'm', 'input redacted: 9 bytes typed with echo off'],
      o(1.1, '\r\nuid=0(root)\r\n$ '),
      [2, 'm', 'hidden'],
    ]), { markerLine: (m) => (m === 'hidden' ? null : `[${m}]`) });
    expect(text).toBe('$ sudo id\n[sudo] password for bob:\n[input redacted: 9 bytes typed with echo off]\nuid=0(root)\n$\n');
  });

  it('renders a long session without losing lines', async () => {
    const events: CastEvent[] = [];
    for (let i = 0; i < 5000; i++) events.push(o(i / 100, `output line ${i}\r\n`));
    const text = await renderText(cast(events, 80, 24));
    const lines = text.trimEnd().split('\n');
    expect(lines.length).toBe(5000);
    expect(lines[4321]).toBe('output line 4321');
  });
});
