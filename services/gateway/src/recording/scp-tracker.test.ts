import { describe, expect, it } from 'vitest';
import { createScpTracker } from './scp-tracker.ts';
import { bytewise, observe, replay, type Chunk } from './testing/tracker-harness.ts';

const OK = '\0';
const refusal = (message: string) => `\x01scp: ${message}\n`;

/**
 * A legacy scp stream as lines of [who, bytes]: `src` is the side sending files, `sink` the
 * side receiving them. `upload` makes the client the source, `download` the server.
 */
type Step = readonly ['src' | 'sink', string];

function chunksOf(direction: 'upload' | 'download', steps: readonly Step[]): Chunk[] {
  const sourceSide = direction === 'upload' ? 'client' : 'server';
  const sinkSide = direction === 'upload' ? 'server' : 'client';
  return steps.map(([who, text]) => [who === 'src' ? sourceSide : sinkSide, Buffer.from(text, 'utf8')]);
}

function track(direction: 'upload' | 'download', chunks: readonly Chunk[], cut?: number) {
  const seen = observe((onTransfer, options) => createScpTracker(direction, onTransfer, options));
  replay(seen.tracker, chunks, cut);
  return { transfers: seen.transfers, errors: seen.errors, degraded: seen.tracker.degraded };
}

const SESSION: Step[] = [
  ['sink', OK], // ready
  ['src', 'T1700000000 0 1700000000 0\n'],
  ['sink', OK],
  ['src', 'C0644 5 a.txt\n'],
  ['sink', OK],
  ['src', 'hello'],
  ['src', OK],
  ['sink', OK],
  ['src', 'D0755 0 dir\n'],
  ['sink', OK],
  ['src', 'C0600 0 empty\n'],
  ['sink', OK],
  ['src', OK],
  ['sink', OK],
  ['src', 'C0644 3 ü b.txt\n'],
  ['sink', OK],
  ['src', `abc${OK}`],
  ['sink', OK],
  ['src', 'E\n'],
  ['sink', OK],
  ['src', 'D0755 0 locked\n'],
  ['sink', refusal('locked: Permission denied')],
  ['src', 'C0644 4 refused\n'],
  ['sink', refusal('refused: Permission denied')],
  ['src', 'C0644 2 last\n'],
  ['sink', OK],
  ['src', 'hi'],
  ['src', refusal('last: Input/output error')], // the source could not read it all; 2 bytes went anyway
  ['sink', OK],
];

const files = (operation: 'upload' | 'download') => [
  { operation, path: 'a.txt', bytes: 5, mode: 'scp' },
  { operation, path: 'dir/empty', bytes: 0, mode: 'scp' },
  { operation, path: 'dir/ü b.txt', bytes: 3, mode: 'scp' },
  { operation, path: 'last', bytes: 2, mode: 'scp' },
];

describe('createScpTracker', () => {
  it.each(['upload', 'download'] as const)('reports each file of an %s inside its directories, not refused ones', (direction) => {
    expect(track(direction, chunksOf(direction, SESSION))).toEqual({ transfers: files(direction), errors: [], degraded: false });
  });

  it('reports the same however the chunks are cut, at every byte boundary and byte by byte', () => {
    const chunks = chunksOf('upload', SESSION);
    const longest = Math.max(...chunks.map(([, b]) => b.length));
    for (let cut = 1; cut < longest; cut++) expect(track('upload', chunks, cut).transfers, `cut at ${cut}`).toEqual(files('upload'));
    expect(track('upload', bytewise(chunks)).transfers).toEqual(files('upload'));
    const coalesced: Chunk[] = chunksOf('download', SESSION).reduce<Chunk[]>((all, chunk) => {
      const last = all.at(-1);
      if (last && last[0] === chunk[0]) all[all.length - 1] = [last[0], Buffer.concat([last[1], chunk[1]])];
      else all.push(chunk);
      return all;
    }, []);
    expect(track('download', coalesced).transfers).toEqual(files('download'));
  });

  it('reports a file cut off by end() with the bytes that went by', () => {
    const chunks = chunksOf('download', [['sink', OK], ['src', 'C0644 1000 big\n'], ['sink', OK], ['src', 'x'.repeat(600)]]);
    expect(track('download', chunks).transfers).toEqual([{ operation: 'download', path: 'big', bytes: 600, mode: 'scp' }]);
  });

  it('reports nothing when the source finds nothing to send', () => {
    const chunks = chunksOf('download', [['sink', OK], ['src', refusal('/srv/nope: No such file or directory')]]);
    expect(track('download', chunks)).toEqual({ transfers: [], errors: [], degraded: false });
  });

  it('holds source bytes sent ahead of an answer until the answer says what they are', () => {
    const ahead = chunksOf('upload', [['sink', OK], ['src', `C0644 5 a\nhello${OK}`], ['sink', OK], ['sink', OK]]);
    expect(track('upload', ahead).transfers).toEqual([{ operation: 'upload', path: 'a', bytes: 5, mode: 'scp' }]);
    const refused = chunksOf('upload', [['sink', OK], ['src', 'C0644 5 a\nC0644 2 b\n'], ['sink', refusal('a: denied')], ['sink', OK], ['src', `hi${OK}`], ['sink', OK]]);
    expect(track('upload', refused).transfers).toEqual([{ operation: 'upload', path: 'b', bytes: 2, mode: 'scp' }]);
  });
});

describe('createScpTracker on malformed input', () => {
  const opened: Step[] = [['sink', OK], ['src', 'C0644 10 open\n'], ['sink', OK], ['src', 'abcd']];

  it.each([
    ['an answer byte that is not 0, 1 or 2', [['sink', '\x07']]],
    ['an answer to nothing', [['sink', `${OK}${OK}`]]],
    ['a line over 8 KiB', [['sink', `\x01${'x'.repeat(9000)}`]]],
  ] as const)('stops at %s from the sink, reports it and the file in flight, and never throws', (_what, bad) => {
    const { transfers, errors, degraded } = track('upload', chunksOf('upload', [...opened, ...bad, ['src', 'efghij']]));
    expect(transfers).toEqual([{ operation: 'upload', path: 'open', bytes: 4, mode: 'scp' }]);
    expect(errors).toEqual(['ERR_TRANSFER_MALFORMED']);
    expect(degraded).toBe(true);
  });

  it('stops at a record where the status after file data belongs', () => {
    const chunks = chunksOf('download', [['sink', OK], ['src', 'C0644 1 f\n'], ['sink', OK], ['src', 'xC0644 1 g\n']]);
    expect(track('download', chunks)).toEqual({
      transfers: [{ operation: 'download', path: 'f', bytes: 1, mode: 'scp' }],
      errors: ['ERR_TRANSFER_MALFORMED'],
      degraded: true,
    });
  });

  it.each([
    ['an unknown record', 'X marks the spot\n'],
    ['an end of directory outside any', 'E\n'],
    ['a size no file has', 'C0644 99999999999999999999 f\n'],
    ['a mode that is not octal', 'C0948 1 f\n'],
    ['a file record without a name', 'C0644 1 \n'],
    ['shell output instead of the protocol', 'Welcome to the server!\n'],
  ])('stops at %s', (_what, record) => {
    expect(track('download', chunksOf('download', [['sink', OK], ['src', record]])).errors).toEqual(['ERR_TRANSFER_MALFORMED']);
  });

  it('stops when the source sends more than it may before an answer', () => {
    const chunks = chunksOf('upload', [['sink', OK], ['src', 'C0644 100000 f\n'], ['src', 'x'.repeat(70_000)]]);
    expect(track('upload', chunks)).toEqual({ transfers: [], errors: ['ERR_TRANSFER_TOO_MANY_PENDING'], degraded: true });
  });

  it('never throws on a session with bytes changed', () => {
    let seed = 11;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 300; round++) {
      const chunks = chunksOf('upload', SESSION).map(([side, bytes]): Chunk => {
        const copy = Buffer.from(bytes);
        for (let i = 0; i < copy.length; i++) if (random() < 0.05) copy[i] = Math.floor(random() * 256);
        return [side, copy];
      });
      expect(() => track('upload', chunks, Math.floor(random() * 20))).not.toThrow();
    }
  });
});
