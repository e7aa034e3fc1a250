import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSftpTracker } from './sftp-tracker.ts';
import type { SftpTapOutput } from './testing/sftp-tap.ts';
import { bytewise, decodeChunks, NODE_WITH_TSX, observe, replay, runTool } from './testing/tracker-harness.ts';

// The real OpenSSH client (`sftp -D` runs a local program as its server) and the real
// sftp-server, with the tracker in between in testing/sftp-tap.ts. Pinned on OpenSSH 9.2.
const TAP = join(import.meta.dirname, 'testing', 'sftp-tap.ts');
const BIG_NAME = 'big file ü.bin';
const BIG_SIZE = 1536 * 1024 + 7; // over 1 MiB, not a multiple of the 32 KiB the client reads

let root: string;
let local: string;
let remote: string;
let sessions = 0;

/** Runs `sftp -b` with `batch` against sftp-server started in `remote`; returns what the tap saw. */
async function sftpSession(batch: string[]): Promise<SftpTapOutput> {
  const n = ++sessions;
  const batchFile = join(root, `batch-${n}`);
  const outFile = join(root, `tap-${n}.json`);
  writeFileSync(batchFile, `${batch.join('\n')}\n`);
  const server = [...NODE_WITH_TSX, TAP, outFile, remote].join(' ');
  const result = await runTool('sftp', ['-q', '-D', server, '-b', batchFile]);
  expect(result.code, result.output).toBe(0);
  return JSON.parse(readFileSync(outFile, 'utf8')) as SftpTapOutput;
}

beforeAll(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'access-sftp-tracker-')));
  local = join(root, 'local');
  remote = join(root, 'remote');
  mkdirSync(local);
  mkdirSync(remote);
  writeFileSync(join(local, 'small.txt'), randomBytes(1000));
  writeFileSync(join(local, BIG_NAME), randomBytes(BIG_SIZE));
  writeFileSync(join(local, 'empty'), '');
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('createSftpTracker between the OpenSSH sftp client and sftp-server', () => {
  it('reports each upload, download, rename, mkdir, rmdir and remove exactly, and no refused one', async () => {
    const tap = await sftpSession([
      `put ${local}/small.txt small.txt`,
      `put "${local}/${BIG_NAME}"`,
      `put ${local}/empty`,
      `get small.txt ${local}/small.back`,
      `get "${BIG_NAME}" ${local}/big.back`,
      'rename small.txt renamed.txt',
      'mkdir "new dir"',
      'rmdir "new dir"',
      'rm renamed.txt',
      '-rm missing.txt',
      `-get missing.txt ${local}/missing`,
      '-mkdir /proc/not-here',
    ]);

    expect(tap.transfers).toEqual([
      { operation: 'upload', path: `${remote}/small.txt`, bytes: 1000, mode: 'sftp' },
      { operation: 'upload', path: `${remote}/${BIG_NAME}`, bytes: BIG_SIZE, mode: 'sftp' },
      { operation: 'upload', path: `${remote}/empty`, bytes: 0, mode: 'sftp' },
      { operation: 'download', path: `${remote}/small.txt`, bytes: 1000, mode: 'sftp' },
      { operation: 'download', path: `${remote}/${BIG_NAME}`, bytes: BIG_SIZE, mode: 'sftp' },
      { operation: 'rename', path: `${remote}/small.txt`, newPath: `${remote}/renamed.txt`, bytes: 0, mode: 'sftp' },
      { operation: 'mkdir', path: `${remote}/new dir`, bytes: 0, mode: 'sftp' },
      { operation: 'rmdir', path: `${remote}/new dir`, bytes: 0, mode: 'sftp' },
      { operation: 'remove', path: `${remote}/renamed.txt`, bytes: 0, mode: 'sftp' },
    ]);
    expect(tap.errors).toEqual([]);
    expect(tap.degraded).toBe(false);
    // The bytes went through the tap untouched.
    expect(readFileSync(`${local}/big.back`).equals(readFileSync(join(local, BIG_NAME)))).toBe(true);
  });

  it('reports the same for a captured session cut at every byte boundary and fed byte by byte', async () => {
    writeFileSync(join(local, 'tiny'), 'tiny file\n');
    const tap = await sftpSession([
      `put ${local}/tiny tiny`,
      `get tiny ${local}/tiny.back`,
      'rename tiny "tiny ü"',
      'mkdir d',
      'rmdir d',
      'rm "tiny ü"',
    ]);
    const chunks = decodeChunks(tap.chunks);
    expect(tap.transfers).toHaveLength(6);

    const longest = Math.max(...chunks.map(([, bytes]) => bytes.length));
    for (let cut = 1; cut < longest; cut++) {
      const seen = observe(createSftpTracker);
      replay(seen.tracker, chunks, cut);
      expect(seen.transfers, `cut at ${cut}`).toEqual(tap.transfers);
    }
    const seen = observe(createSftpTracker);
    replay(seen.tracker, bytewise(chunks));
    expect(seen.transfers).toEqual(tap.transfers);
    expect(seen.errors).toEqual([]);
  });
});
