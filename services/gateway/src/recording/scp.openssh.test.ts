import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FileTransfer } from './file-transfer.ts';
import { createScpTracker } from './scp-command.ts';
import type { ScpTapOutput } from './testing/scp-tap.ts';
import { bytewise, decodeChunks, NODE_WITH_TSX, observe, replay, runTool } from './testing/tracker-harness.ts';

// The real OpenSSH scp client in legacy mode (`-O`), with `-S` pointing at a wrapper that
// scp runs as its ssh; testing/scp-tap.ts runs the command it is given (the real `scp -t`
// or `scp -f`) locally, with the tracker in between. Pinned on OpenSSH 9.2.
const TAP = join(import.meta.dirname, 'testing', 'scp-tap.ts');
const BIG_NAME = 'big file ü.bin';
const BIG_SIZE = 1536 * 1024 + 7;

let root: string;
let local: string;
let remote: string;
let sessions = 0;

const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;

/** Runs `scp -O -S <tap> ...args`; returns its exit status and what the tap saw. */
async function scp(args: string[]): Promise<{ code: number | null; tap: ScpTapOutput }> {
  const n = ++sessions;
  const outFile = join(root, `tap-${n}.json`);
  const wrapper = join(root, `ssh-${n}.sh`);
  writeFileSync(wrapper, `#!/bin/sh\nexec ${[...NODE_WITH_TSX, TAP, outFile].map(quote).join(' ')} "$@"\n`);
  chmodSync(wrapper, 0o755);
  const result = await runTool('scp', ['-O', '-q', '-S', wrapper, ...args]);
  return { code: result.code, tap: JSON.parse(readFileSync(outFile, 'utf8')) as ScpTapOutput };
}

const byPath = (transfers: FileTransfer[]) => [...transfers].sort((a, b) => a.path.localeCompare(b.path));

beforeAll(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'access-scp-tracker-')));
  local = join(root, 'local');
  remote = join(root, 'remote');
  mkdirSync(join(local, 'tree', 'sub ü'), { recursive: true });
  mkdirSync(remote);
  writeFileSync(join(local, 'small.txt'), randomBytes(1000));
  writeFileSync(join(local, BIG_NAME), randomBytes(BIG_SIZE));
  writeFileSync(join(local, 'tree', 'a.txt'), 'abc');
  writeFileSync(join(local, 'tree', 'sub ü', 'b.txt'), 'hello world\n');
  writeFileSync(join(local, 'tree', 'sub ü', 'empty'), '');
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

const TREE = (operation: 'upload' | 'download') => [
  { operation, path: 'tree/a.txt', bytes: 3, mode: 'scp' },
  { operation, path: 'tree/sub ü/b.txt', bytes: 12, mode: 'scp' },
  { operation, path: 'tree/sub ü/empty', bytes: 0, mode: 'scp' },
];

describe('parseScpCommand and createScpTracker between OpenSSH scp -O and scp -t/-f', () => {
  it('follows an upload of two files, one over 1 MiB with a space and ü in its name', async () => {
    const { code, tap } = await scp([join(local, 'small.txt'), join(local, BIG_NAME), `h:${remote}/`]);
    expect(code).toBe(0);
    expect(tap.command).toBe(`scp -d -t ${remote}/`);
    expect(tap.parsed).toEqual({ direction: 'upload', paths: [`${remote}/`], recursive: false });
    expect(tap.transfers).toEqual([
      { operation: 'upload', path: 'small.txt', bytes: 1000, mode: 'scp' },
      { operation: 'upload', path: BIG_NAME, bytes: BIG_SIZE, mode: 'scp' },
    ]);
    expect(tap.errors).toEqual([]);
    expect(readFileSync(join(remote, BIG_NAME)).equals(readFileSync(join(local, BIG_NAME)))).toBe(true);
  });

  it('follows a recursive upload with times (-rp), and the same capture cut at every byte boundary', async () => {
    const { code, tap } = await scp(['-rp', join(local, 'tree'), `h:${remote}/`]);
    expect(code).toBe(0);
    expect(tap.parsed).toEqual({ direction: 'upload', paths: [`${remote}/`], recursive: true });
    expect(byPath(tap.transfers)).toEqual(TREE('upload'));

    const chunks = decodeChunks(tap.chunks);
    const longest = Math.max(...chunks.map(([, bytes]) => bytes.length));
    const replayed = (cut?: number, input = chunks) => {
      const seen = observe((onTransfer, options) => createScpTracker('upload', onTransfer, options));
      replay(seen.tracker, input, cut);
      return seen.transfers;
    };
    for (let cut = 1; cut < longest; cut++) expect(replayed(cut), `cut at ${cut}`).toEqual(tap.transfers);
    expect(replayed(undefined, bytewise(chunks))).toEqual(tap.transfers);
  });

  it('follows a download of a path with a space, quoted for the target shell', async () => {
    // -T: the client would otherwise refuse a file name that differs from the quoted request.
    const { code, tap } = await scp(['-T', `h:'${remote}/${BIG_NAME}'`, join(local, 'big.back')]);
    expect(code).toBe(0);
    expect(tap.command).toBe(`scp -f '${remote}/${BIG_NAME}'`);
    expect(tap.parsed).toEqual({ direction: 'download', paths: [`${remote}/${BIG_NAME}`], recursive: false });
    expect(tap.transfers).toEqual([{ operation: 'download', path: BIG_NAME, bytes: BIG_SIZE, mode: 'scp' }]);
  });

  it('follows a recursive download', async () => {
    const { code, tap } = await scp(['-r', `h:${remote}/tree`, join(local, 'tree.back')]);
    expect(code).toBe(0);
    expect(tap.parsed).toEqual({ direction: 'download', paths: [`${remote}/tree`], recursive: true });
    expect(byPath(tap.transfers)).toEqual(TREE('download'));
  });

  it('reports nothing for a missing source or a target that refuses the file', async () => {
    const missing = await scp([`h:${remote}/missing`, join(local, 'missing')]);
    expect(missing.code).toBe(1);
    expect(missing.tap).toMatchObject({ transfers: [], errors: [], degraded: false });

    const refused = await scp([join(local, 'small.txt'), `h:${remote}/small.txt/not-a-dir`]);
    expect(refused.code).toBe(1);
    expect(refused.tap).toMatchObject({ transfers: [], errors: [], degraded: false });
  });
});
