import { describe, expect, it } from 'vitest';
import { createCastParser, formatCast, parseCast, type Cast } from './asciicast.ts';
import { exportCast, exportJson } from './export.ts';
import { playCast } from './player.ts';
import { RecordingError } from './recording-errors.ts';
import { renderScreen, renderText } from './screen.ts';
import type { SessionMetadata } from './session-metadata.ts';
import { SeededRandom } from '../../sshcert/src/testing/fuzz-mutations.ts';

/**
 * Recordings from a file or a server are input like any other: seeded random mutations of
 * valid casts must parse to a cast or fail with a RecordingError, the same whether read whole
 * or in pieces, and what parses must export, replay and render within bounds.
 */

const CASES = Number(process.env['ACCESS_FUZZ_CASTS'] ?? 200);
const SEED = Number(process.env['ACCESS_FUZZ_SEED'] ?? Date.now() % 2 ** 31);
/** Per input, parse to render, on a shared 2-core machine. */
const TIME_BOUND_MS = 5_000;
/** The replay terminal's bound (terminal-replay.ts). */
const MAX_COLS = 1000;
const MAX_ROWS = 500;

function seededRandom(seed: number): () => number {
  const random = new SeededRandom(seed);
  return () => random.next();
}
type Random = () => number;
const int = (rand: Random, max: number) => Math.floor(rand() * max);
const pick = <T>(rand: Random, items: readonly T[]): T => items[int(rand, items.length)]!;

/** What terminals are sent: text, colours, cursor moves with absurd counts, modes, OSC, DCS. */
const OUTPUT = [
  'hello\r\n', '$ ', 'é日本🙂\u0301\u0301', '\x1b[31mred\x1b[0m', '\x1b[99999;99999H', '\x1b[999999S', '\x1b[999999T', '\x1b[99999@',
  '\x1b[5000C.', '\x1b[?1049h\x1b[2Jfull', '\x1b[?1049l', '\x1bc', '\x1b[3J', '\x1b[1;99999r', '\x1b]0;title\x07', '\x1b]52;c;AAAA\x07',
  '\x1bP1;1;1q#0;2;0;0;0#0!9999~\x1b\\', '\x1b[', '\x1b]', '\x1b[38;2;999;999;999m', '\x1b#8', '\x1b[6n', '\x1b[?2004h', '\r', '\n', '\t', '\b',
  '\u0000\u0007\u007f', '\ud800', '\uffff',
];
const RESIZES = ['100x30', '99999x99999', '0x0', '-1x5', '80x', '1x1', '1000x500', ''];

function validCast(rand: Random): string {
  const header = { version: 2, width: 1 + int(rand, 200), height: 1 + int(rand, 60), timestamp: 1_700_000_000, env: { TERM: 'xterm-256color' } };
  const lines = [JSON.stringify(header)];
  let time = 0;
  for (let i = int(rand, 60); i > 0; i--) {
    time += rand() * 2;
    const code = pick(rand, ['o', 'o', 'o', 'e', 'i', 'r', 'm']);
    const data = code === 'r' ? pick(rand, RESIZES) : Array.from({ length: 1 + int(rand, 4) }, () => pick(rand, OUTPUT)).join('');
    lines.push(JSON.stringify([time, code, data]));
  }
  return `${lines.join('\n')}\n`;
}

const HEADERS = [
  '{"version":1,"width":80,"height":24}', '{"version":"2","width":80,"height":24}', '{"version":3,"term":{"cols":80,"rows":24}}',
  '{"version":2,"width":1e9,"height":1e9}', '{"version":2,"width":80.5,"height":24}', '{"version":2,"width":-80,"height":24}',
  '{"version":2,"width":80}', '{"version":2,"width":80,"height":24,"env":[]}', '{"version":2,"width":80,"height":24,"timestamp":"now"}',
  '{"version":2,"width":80,"height":24,"env":{"TERM":{"x":1}},"__proto__":{"width":1}}', '[2,80,24]', '', '\ufeff{"version":2,"width":80,"height":24}',
];
const EVENTS = [
  '[-1,"o","x"]', '[1e308,"o","x"]', '[1.7976931348623157e+308,"r","80x24"]', '["1","o","x"]', '[null,"o","x"]', '[1,"x","y"]', '[1,"",""]', '[1,"oo","x"]',
  '[1,"o"]', '[1,"o","x",4]', '[1,"o",5]', '[1,"o",{"a":1}]', '{"t":1}', '[1,"o","\\ud800"]', '[1,"o","\\u0000"]', '[3,"o","back"]', '[0.5,"o","backwards"]', '[1e-320,"m","tiny"]',
  'not json', '[1,"o","x"', '[1,"o","x"]]',
];

/** A valid cast, then a few textual or byte-level mutations. */
function mutatedCast(rand: Random): string {
  let lines = validCast(rand).split('\n');
  for (let n = 1 + int(rand, 3); n > 0; n--) {
    if (lines.length === 0) lines.push('');
    const at = int(rand, lines.length);
    switch (int(rand, 9)) {
      case 0:
        lines[0] = pick(rand, HEADERS);
        break;
      case 1:
        lines.splice(at, 0, pick(rand, EVENTS));
        break;
      case 2:
        lines[at] = lines[at]!.slice(0, int(rand, lines[at]!.length + 1));
        break;
      case 3:
        lines = lines.slice(0, at);
        break;
      case 4:
        lines.splice(at, 0, JSON.stringify([rand() * 10, pick(rand, ['o', 'e', 'm']), 'x'.repeat(100_000 + int(rand, 400_000))]));
        break;
      case 5:
        lines.splice(at, 0, ...Array.from({ length: 2000 }, (_, i) => `[${i / 1000},"o","${pick(rand, ['.', '\\r\\n', '\\u001b[A'])}"]`));
        break;
      case 6:
        lines[at] = lines[at]!.replace(/"o"/, '"r"');
        break;
      case 7:
        lines.push('', '\r', '   ');
        break;
      default: {
        // Bytes that are not UTF-8, read as a file or an HTTP body would be.
        const bytes = Buffer.from(lines.join('\n'));
        for (let i = 1 + int(rand, 8); i > 0; i--) bytes[int(rand, bytes.length)] = pick(rand, [0xff, 0xc3, 0xed, 0x80, 0x00, 0x0a]);
        lines = new TextDecoder().decode(bytes).split('\n');
      }
    }
  }
  return lines.join(pick(rand, ['\n', '\r\n']));
}

type Outcome = { cast: Cast } | { code: string; line: number | undefined };

function parseWhole(text: string): Outcome {
  try {
    return { cast: parseCast(text) };
  } catch (error) {
    if (!(error instanceof RecordingError)) throw error;
    expect(error.message.length).toBeLessThan(300);
    return { code: error.code, line: error.line };
  }
}

function parseInPieces(text: string, rand: Random): Outcome {
  const parser = createCastParser();
  const events = [];
  try {
    for (let at = 0; at < text.length; ) {
      const size = 1 + int(rand, 5000);
      events.push(...parser.push(text.slice(at, at + size)));
      at += size;
    }
    events.push(...parser.end());
    return { cast: { header: parser.header!, events } };
  } catch (error) {
    if (!(error instanceof RecordingError)) throw error;
    return { code: error.code, line: error.line };
  }
}

const SESSION: SessionMetadata = {
  id: 'ses_00000000000000000000', connectionId: 'c', user: { id: 'usr_0', email: 'eng@example.com' }, login: 'deploy', host: 'web-1',
  hostAddress: '10.0.0.1:22', clientAddress: null, kind: 'shell', command: null, term: 'xterm-256color', cols: 80, rows: 24, status: 'ended',
  startedAt: '2030-01-01T00:00:00.000Z', endedAt: '2030-01-01T00:01:00.000Z', exitStatus: 0, exitSignal: null, endReason: null, bytesIn: 0, bytesOut: 0,
  recordedUntil: null, recordingTruncated: false,
};

async function checkParsed(cast: Cast, text: string): Promise<void> {
  // Written out again, it reads back the same (times as rounded to microseconds).
  const written = formatCast(cast);
  expect(formatCast(parseCast(written))).toBe(written);
  expect(parseCast(exportCast(SESSION, text)).events).toHaveLength(cast.events.length);
  expect(() => JSON.parse(exportJson(SESSION, text)) as unknown).not.toThrow();

  const screen = await renderScreen(cast);
  const output = cast.events.reduce((n, [, code, data]) => n + (code === 'o' || code === 'e' ? data.length : 0), 0);
  expect(screen.length).toBeLessThanOrEqual(MAX_ROWS);
  // A cell holds a character and what combines with it: the screen is bounded by its cells and the output.
  expect(screen.join('').length).toBeLessThanOrEqual(MAX_ROWS * MAX_COLS * 2 + output);
  const textExport = await renderText(cast, { markerLine: (m) => `[${m.slice(0, 20)}]` });
  expect(typeof textExport).toBe('string');

  let slept = 0;
  const played = await playCast(cast, { write: () => undefined, sleep: async (ms) => void (slept += ms), maxIdle: 2 });
  expect(Number.isFinite(played.played)).toBe(true);
  expect(slept).toBeLessThanOrEqual(cast.events.length * 2000 + 1);
}

describe('asciicast input from outside', () => {
  it('parses mutated casts to a cast or a RecordingError, whole or in pieces, and renders what parses within bounds', { timeout: 120_000 }, async () => {
    console.log(`asciicast fuzz: seed ${SEED} (ACCESS_FUZZ_SEED=${SEED} repeats it), ${CASES} casts`);
    const rand = seededRandom(SEED);
    let parsed = 0;
    let slowest = 0;
    for (let n = 0; n < CASES; n++) {
      const text = mutatedCast(rand);
      const started = performance.now();
      const whole = parseWhole(text);
      expect(parseInPieces(text, rand), `case ${n}`).toEqual(whole);
      if ('cast' in whole) {
        parsed++;
        await checkParsed(whole.cast, text);
      }
      const ms = performance.now() - started;
      slowest = Math.max(slowest, ms);
      expect(ms, `case ${n} took ${ms.toFixed(0)} ms`).toBeLessThan(TIME_BOUND_MS);
    }
    console.log(`asciicast fuzz: ${CASES} casts, ${parsed} parsed, slowest ${slowest.toFixed(0)} ms`);
    expect(parsed).toBeGreaterThan(0);
  });

  it('reads and renders a million tiny output events in bounded time', { timeout: 60_000 }, async () => {
    const lines = ['{"version":2,"width":80,"height":24}'];
    for (let i = 0; i < 1_000_000; i++) lines.push(`[${(i / 1e4).toFixed(4)},"o","${i % 80 === 79 ? '\\r\\n' : 'x'}"]`);
    const started = performance.now();
    const cast = parseCast(lines.join('\n'));
    expect(cast.events).toHaveLength(1_000_000);
    expect(await renderScreen(cast)).toHaveLength(24);
    expect(performance.now() - started).toBeLessThan(30_000);
  });
});
