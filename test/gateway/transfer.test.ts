import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionRow } from '@access/db';
import { auditEventsOf, auditHead, eventually, recordedText, recordingOf, sessionsOf } from '../support/gateway-records.ts';
import { startGatewayStack, type Engineer, type GatewayStack } from '../support/gateway-stack.ts';
import { run, runOk, sleep } from '../support/process.ts';

const LOGIN = 'gwxfer';
const NO_TRANSFER_LOGIN = 'gwnoxfer';
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** A file of `mib` distinct 1 MiB blocks of random data, written quickly; returns its SHA-256. */
function writeRandomFile(path: string, mib: number): string {
  const hash = createHash('sha256');
  const block = randomBytes(MiB);
  const fd = openSync(path, 'w');
  try {
    for (let i = 0; i < mib; i++) {
      block.writeUInt32LE(i, 0);
      hash.update(block);
      writeSync(fd, block);
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

async function sha256OfFile(path: string): Promise<string> {
  return (await runOk('sha256sum', [path], { timeoutMs: 60_000 })).stdout.split(' ')[0]!;
}

/** The highest resident set size of this process (which runs the gateway) while `work` runs, sampled every 20 ms. */
async function peakRss<T>(work: () => Promise<T>): Promise<{ result: T; start: number; peak: number; samples: number }> {
  const start = process.memoryUsage().rss;
  let peak = start;
  let samples = 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
    samples++;
  }, 20);
  try {
    const result = await work();
    return { result, start, peak: Math.max(peak, process.memoryUsage().rss), samples };
  } finally {
    clearInterval(timer);
  }
}

/**
 * Reads a FIFO as a slow consumer would: opens it (which lets the writer's open return), reads
 * nothing for `stallMs`, then reads it all and hashes it. `opened` resolves once the writer is there.
 */
function stalledReader(fifo: string, stallMs: number): { opened: Promise<void>; hash: Promise<string> } {
  const child = spawn('timeout', ['120', 'sh', '-c', 'exec 3<"$0"; echo opened; sleep "$1"; sha256sum <&3', fifo, String(stallMs / 1000)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  let onOpened: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (onOpened = resolve));
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
    if (out.startsWith('opened\n')) onOpened();
  });
  const hash = new Promise<string>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out.split('\n')[1]!.split(' ')[0]!) : reject(new Error(`the reader of ${fifo} exited with ${code}`))));
  });
  return { opened, hash };
}

interface Transfer {
  operation: string;
  path: string;
  bytes: number;
  mode: string;
  newPath?: string;
  sessionId: string;
}

describe('file transfers through the gateway', () => {
  let stack: GatewayStack;
  let alice: Engineer;
  let bob: Engineer;
  /** This run's directory in the logins' homes (the Linux users, and their homes, outlive test runs). */
  const dirName = `xfer-${randomBytes(4).toString('hex')}`;
  const remoteDir = `/home/${LOGIN}/${dirName}`;
  const bobDir = `/home/${NO_TRANSFER_LOGIN}/${dirName}`;

  const db = () => stack.server.services.database.db;
  const scp = (engineer: Engineer, args: readonly string[], timeoutMs = 60_000) => run('scp', ['-F', engineer.sshConfig, ...args], { timeoutMs });
  const sftpBatch = (engineer: Engineer, login: string, batch: string[]) =>
    run('sftp', ['-F', engineer.sshConfig, '-b', '-', `${login}@web-1`], { input: `${batch.join('\n')}\n`, timeoutMs: 60_000 });

  /** The sessions `engineer` started since `since`, once every one of them has ended. */
  async function endedSessions(engineer: Engineer, since: Date, count: number): Promise<SessionRow[]> {
    return eventually(async () => {
      const rows = await sessionsOf(db(), engineer.userId, since);
      return rows.length >= count && rows.every((r) => r.status === 'ended') ? rows : undefined;
    }, `${count} ended sessions of ${engineer.email}`);
  }

  async function transfersAfter(engineer: Engineer, mark: bigint): Promise<Transfer[]> {
    return (await auditEventsOf(db(), 'file.transfer', engineer.userId, mark)).map((e) => e.details as unknown as Transfer);
  }

  /**
   * Runs `work` and returns the sessions it made, once ended, and the `transfers` transfers
   * they audited (their audit events are written asynchronously, as the channel goes).
   */
  async function audited(engineer: Engineer, expected: { sessions: number; transfers: number }, work: () => Promise<void>): Promise<{ rows: SessionRow[]; transfers: Transfer[] }> {
    const mark = await auditHead(db());
    const since = new Date();
    await work();
    const rows = await endedSessions(engineer, since, expected.sessions);
    const transfers = await eventually(async () => {
      const found = await transfersAfter(engineer, mark);
      return found.length >= expected.transfers ? found : undefined;
    }, `${expected.transfers} file.transfer events`);
    return { rows, transfers };
  }

  const fields = ({ operation, path, bytes, mode, newPath }: Transfer) => ({ operation, path, bytes, mode, ...(newPath === undefined ? {} : { newPath }) });

  beforeAll(async () => {
    stack = await startGatewayStack();
    await stack.addTarget('web-1');
    alice = await stack.addEngineer('xfer-alice@example.com', [LOGIN]);
    bob = await stack.addEngineer('xfer-bob@example.com', [NO_TRANSFER_LOGIN], { fileTransfer: false });
    await runOk('install', ['-d', '-o', LOGIN, '-g', LOGIN, remoteDir]);
    await runOk('install', ['-d', '-o', NO_TRANSFER_LOGIN, '-g', NO_TRANSFER_LOGIN, bobDir]);
  }, 120_000);

  afterAll(async () => {
    await run('rm', ['-rf', '--', remoteDir, bobDir]);
    await stack?.stop();
  });

  describe.each([
    { mode: 'sftp', flags: [], remoteName: (name: string) => `${dirName}/${name}` },
    // Legacy scp hands the remote path to the target's shell: the space is escaped for it.
    { mode: 'scp', flags: ['-O'], remoteName: (name: string) => `${dirName}/${name.replaceAll(' ', '\\ ')}` },
  ])('scp in $mode mode', ({ mode, flags, remoteName }) => {
    it('copies a file with a space in its name up and back down, and audits both', { timeout: 60_000 }, async () => {
      const content = randomBytes(300_000);
      const local = join(alice.home, `local ${mode} file.bin`);
      writeFileSync(local, content);
      const remote = `${mode} remote file.bin`;

      const up = await audited(alice, { sessions: 1, transfers: 1 }, async () => {
        expect(await scp(alice, [...flags, local, `${LOGIN}@web-1:${remoteName(remote)}`])).toMatchObject({ code: 0, stderr: '' });
      });
      expect(readFileSync(join(remoteDir, remote)).equals(content)).toBe(true);

      const back = join(alice.home, `back ${mode} file.bin`);
      const down = await audited(alice, { sessions: 1, transfers: 1 }, async () => {
        expect(await scp(alice, [...flags, `${LOGIN}@web-1:${remoteName(remote)}`, back])).toMatchObject({ code: 0, stderr: '' });
      });
      expect(readFileSync(back).equals(content)).toBe(true);

      const [upSession, downSession] = [up.rows[0]!, down.rows[0]!];
      if (mode === 'sftp') {
        expect([upSession.kind, upSession.command, downSession.kind, downSession.command]).toEqual(['subsystem', 'sftp', 'subsystem', 'sftp']);
        // The path as the client sent it: scp in SFTP mode sends it relative to the home directory.
        expect(up.transfers.map(fields)).toEqual([{ operation: 'upload', path: `${dirName}/${remote}`, bytes: content.length, mode: 'sftp' }]);
        expect(down.transfers.map(fields)).toEqual([{ operation: 'download', path: `${dirName}/${remote}`, bytes: content.length, mode: 'sftp' }]);
      } else {
        // The remote path is in the exec command; the scp stream carries only the file's name,
        // which for an upload is the local one.
        expect([upSession.kind, upSession.command]).toEqual(['exec', `scp -t ${remoteName(remote)}`]);
        expect([downSession.kind, downSession.command]).toEqual(['exec', `scp -f ${remoteName(remote)}`]);
        expect(up.transfers.map(fields)).toEqual([{ operation: 'upload', path: `local ${mode} file.bin`, bytes: content.length, mode: 'scp' }]);
        expect(down.transfers.map(fields)).toEqual([{ operation: 'download', path: remote, bytes: content.length, mode: 'scp' }]);
      }
      expect(up.transfers[0]?.sessionId).toBe(upSession.id);
      expect(down.transfers[0]?.sessionId).toBe(downSession.id);
      // File contents are never recorded, only counted.
      expect(await recordingOf(db(), upSession.id)).toEqual([]);
      expect(Number(upSession.bytes_in)).toBeGreaterThanOrEqual(content.length);
      expect(Number(downSession.bytes_out)).toBeGreaterThanOrEqual(content.length);
    });
  });

  it('sftp -b: mkdir, put, rename, get, rm and rmdir, each audited', { timeout: 60_000 }, async () => {
    const one = randomBytes(70_000);
    const two = Buffer.from('second file\n');
    writeFileSync(join(alice.home, 'local one.bin'), one);
    writeFileSync(join(alice.home, 'local two.txt'), two);
    const got = join(alice.home, 'got one.bin');
    const dir = `${remoteDir}/batch dir`;
    const { rows, transfers } = await audited(alice, { sessions: 1, transfers: 8 }, async () => {
      const r = await sftpBatch(alice, LOGIN, [
        `mkdir "${dir}"`,
        `put "${join(alice.home, 'local one.bin')}" "${dir}/one file.bin"`,
        `put "${join(alice.home, 'local two.txt')}" "${dir}/two file.txt"`,
        `rename "${dir}/one file.bin" "${dir}/renamed one.bin"`,
        `get "${dir}/renamed one.bin" "${got}"`,
        `rm "${dir}/two file.txt"`,
        `mkdir "${dir}/empty"`,
        `rmdir "${dir}/empty"`,
      ]);
      expect(r).toMatchObject({ code: 0 });
    });

    expect(readFileSync(got).equals(one)).toBe(true);
    expect(readFileSync(join(dir, 'renamed one.bin')).equals(one)).toBe(true);
    expect(['one file.bin', 'two file.txt', 'empty'].filter((name) => existsSync(join(dir, name)))).toEqual([]);
    expect(rows.map((r) => [r.kind, r.command])).toEqual([['subsystem', 'sftp']]);
    expect(transfers.map(fields)).toEqual([
      { operation: 'mkdir', path: dir, bytes: 0, mode: 'sftp' },
      { operation: 'upload', path: `${dir}/one file.bin`, bytes: one.length, mode: 'sftp' },
      { operation: 'upload', path: `${dir}/two file.txt`, bytes: two.length, mode: 'sftp' },
      { operation: 'rename', path: `${dir}/one file.bin`, newPath: `${dir}/renamed one.bin`, bytes: 0, mode: 'sftp' },
      { operation: 'download', path: `${dir}/renamed one.bin`, bytes: one.length, mode: 'sftp' },
      { operation: 'remove', path: `${dir}/two file.txt`, bytes: 0, mode: 'sftp' },
      { operation: 'mkdir', path: `${dir}/empty`, bytes: 0, mode: 'sftp' },
      { operation: 'rmdir', path: `${dir}/empty`, bytes: 0, mode: 'sftp' },
    ]);
    expect(new Set(transfers.map((t) => t.sessionId))).toEqual(new Set([rows[0]!.id]));
  });

  it('uploads 1 GiB intact without holding it in memory', { timeout: 180_000 }, async () => {
    const local = join(alice.home, 'one-gib.bin');
    const expected = writeRandomFile(local, 1024);
    const started = performance.now();
    const { result, start, peak, samples } = await peakRss(() =>
      audited(alice, { sessions: 1, transfers: 1 }, async () => {
        expect(await scp(alice, [local, `${LOGIN}@web-1:${dirName}/one-gib.bin`], 170_000)).toMatchObject({ code: 0, stderr: '' });
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    console.log(`1 GiB scp (SFTP mode) upload through the gateway: ${seconds.toFixed(1)} s, ${(1024 / seconds).toFixed(0)} MiB/s; rss ${(start / MiB).toFixed(0)} MiB → peak ${(peak / MiB).toFixed(0)} MiB (${samples} samples)`);

    expect(await sha256OfFile(join(remoteDir, 'one-gib.bin'))).toBe(expected);
    expect(samples).toBeGreaterThan(100);
    expect(peak - start).toBeLessThan(300 * MiB);
    expect(result.transfers.map(fields)).toEqual([{ operation: 'upload', path: `${dirName}/one-gib.bin`, bytes: GiB, mode: 'sftp' }]);
    await run('rm', ['-f', '--', local, join(remoteDir, 'one-gib.bin')]);
  });

  describe('back-pressure', () => {
    const SIZE_MIB = 256;
    const STALL_MS = 4000;
    /** What may pass the gateway while the far side reads nothing: the SSH windows (2 MiB each) and pipe buffers, with room to spare. */
    const IN_FLIGHT_LIMIT = 32 * MiB;
    let local: string;
    let expected: string;

    beforeAll(() => {
      local = join(alice.home, 'quarter-gib.bin');
      expected = writeRandomFile(local, SIZE_MIB);
    });

    /** The byte counters of the engineer's one live session, as the gateway last flushed them (at least once a second). */
    async function liveCounters(since: Date): Promise<{ bytesIn: number; bytesOut: number }> {
      const row = await eventually(async () => (await sessionsOf(db(), alice.userId, since)).find((r) => r.status === 'live'), 'the live session');
      return { bytesIn: Number(row.bytes_in), bytesOut: Number(row.bytes_out) };
    }

    it('holds the engineer back while the target reads nothing', { timeout: 120_000 }, async () => {
      const fifo = join(remoteDir, 'slow-target');
      await runOk('mkfifo', [fifo]);
      await runOk('chown', [LOGIN, fifo]);
      const since = new Date();
      const reader = stalledReader(fifo, STALL_MS);
      // Legacy scp: it writes the stream as it comes (the SFTP server seeks before each write, which a FIFO refuses).
      const { result, start, peak } = await peakRss(async () => {
        const copy = scp(alice, ['-O', local, `${LOGIN}@web-1:${dirName}/slow-target`], 110_000);
        await reader.opened;
        await sleep(STALL_MS - 1500);
        const stalled = await liveCounters(since);
        return { stalled, copy: await copy };
      });
      expect(result.copy).toMatchObject({ code: 0 });
      expect(await reader.hash).toBe(expected);
      expect(result.stalled.bytesIn).toBeGreaterThan(0);
      expect(result.stalled.bytesIn).toBeLessThan(IN_FLIGHT_LIMIT);
      expect(peak - start).toBeLessThan(300 * MiB);
    });

    it('holds the target back while the engineer reads nothing', { timeout: 120_000 }, async () => {
      await runOk('install', ['-o', LOGIN, '-m', '0644', local, join(remoteDir, 'source.bin')]);
      const fifo = join(alice.home, 'slow-engineer');
      await runOk('mkfifo', [fifo]);
      const since = new Date();
      const reader = stalledReader(fifo, STALL_MS);
      // Legacy scp: the target pushes the file without being asked for each piece.
      const { result, start, peak } = await peakRss(async () => {
        const copy = scp(alice, ['-O', `${LOGIN}@web-1:${dirName}/source.bin`, fifo], 110_000);
        await reader.opened;
        await sleep(STALL_MS - 1500);
        const stalled = await liveCounters(since);
        return { stalled, copy: await copy };
      });
      expect(result.copy).toMatchObject({ code: 0 });
      expect(await reader.hash).toBe(expected);
      expect(result.stalled.bytesOut).toBeGreaterThan(0);
      expect(result.stalled.bytesOut).toBeLessThan(IN_FLIGHT_LIMIT);
      expect(peak - start).toBeLessThan(300 * MiB);
    });
  });

  describe('a role without file transfer', () => {
    const notes = 'notes for bob\n';
    beforeAll(() => {
      writeFileSync(join(bobDir, 'notes.txt'), notes);
      writeFileSync(join(bob.home, 'upload.txt'), 'should not arrive\n');
    });

    it('refuses sftp and scp in both modes, both ways, before anything reaches the target', { timeout: 90_000 }, async () => {
      const mark = await auditHead(db());
      const since = new Date();
      const logStart = stack.log.length;
      const attempts = [
        { label: 'sftp -b', result: await sftpBatch(bob, NO_TRANSFER_LOGIN, [`get ${dirName}/notes.txt ${join(bob.home, 'got-sftp.txt')}`]), refusal: 'subsystem request failed' },
        { label: 'scp up', result: await scp(bob, [join(bob.home, 'upload.txt'), `${NO_TRANSFER_LOGIN}@web-1:${dirName}/up-sftp.txt`]), refusal: 'subsystem request failed' },
        { label: 'scp down', result: await scp(bob, [`${NO_TRANSFER_LOGIN}@web-1:${dirName}/notes.txt`, join(bob.home, 'got-scp.txt')]), refusal: 'subsystem request failed' },
        { label: 'scp -O up', result: await scp(bob, ['-O', join(bob.home, 'upload.txt'), `${NO_TRANSFER_LOGIN}@web-1:${dirName}/up-legacy.txt`]), refusal: 'exec request failed' },
        { label: 'scp -O down', result: await scp(bob, ['-O', `${NO_TRANSFER_LOGIN}@web-1:${dirName}/notes.txt`, join(bob.home, 'got-legacy.txt')]), refusal: 'exec request failed' },
      ];
      for (const { label, result, refusal } of attempts) {
        expect({ label, code: result.code, refused: result.stderr.includes(refusal) }).toEqual({ label, code: label.startsWith('scp -O') ? 1 : 255, refused: true });
      }
      expect(['got-sftp.txt', 'got-scp.txt', 'got-legacy.txt'].filter((f) => existsSync(join(bob.home, f)))).toEqual([]);
      expect(['up-sftp.txt', 'up-legacy.txt'].filter((f) => existsSync(join(bobDir, f)))).toEqual([]);
      // Refused before a session existed: nothing recorded, nothing moved, each refusal logged.
      expect(await sessionsOf(db(), bob.userId, since)).toEqual([]);
      expect(await transfersAfter(bob, mark)).toEqual([]);
      expect(stack.log.slice(logStart).filter((l) => l.includes(`refused a file transfer for ${bob.email}`))).toHaveLength(attempts.length);
    });

    it('still runs commands, recorded in full', { timeout: 60_000 }, async () => {
      const command = `cat ${dirName}/notes.txt`;
      const since = new Date();
      const r = await bob.ssh([`${NO_TRANSFER_LOGIN}@web-1`, command]);
      expect(r).toMatchObject({ code: 0, stdout: notes, stderr: '' });
      const [row] = await endedSessions(bob, since, 1);
      expect(row).toMatchObject({ kind: 'exec', command, exit_status: 0 });
      expect(recordedText(await recordingOf(db(), row!.id), 'o')).toBe(notes);
    });
  });
});
