import { describe, expect, it } from 'vitest';
import { MAX_PATH_LENGTH } from './file-transfer.ts';
import { createSftpTracker, SFTP_MAX_PACKET_LENGTH } from './sftp-tracker.ts';
import { FXF, packet, sftp } from './testing/sftp-packets.ts';
import { bytewise, observe, replay, type Chunk } from './testing/tracker-harness.ts';

const c = (bytes: Buffer): Chunk => ['client', bytes];
const s = (bytes: Buffer): Chunk => ['server', bytes];
const HELLO: Chunk[] = [c(sftp.init()), s(sftp.version())];

/** Replays a session through a fresh tracker and returns what it reported. */
function track(chunks: readonly Chunk[], cut?: number) {
  const seen = observe(createSftpTracker);
  replay(seen.tracker, chunks, cut);
  return { transfers: seen.transfers, errors: seen.errors, degraded: seen.tracker.degraded };
}

const SESSION: Chunk[] = [
  ...HELLO,
  c(sftp.open(1, '/srv/up.txt', FXF.WRITE | FXF.CREAT | FXF.TRUNC)),
  s(sftp.handle(1, 'h0')),
  c(Buffer.concat([sftp.write(2, 'h0', 0n, Buffer.from('hello ')), sftp.write(3, 'h0', 6n, Buffer.from('world'))])),
  s(Buffer.concat([sftp.status(2), sftp.status(3)])),
  c(sftp.close(4, 'h0')),
  s(sftp.status(4)),
  c(sftp.open(5, '/srv/down.bin', FXF.READ)),
  s(sftp.handle(5, 'h1')),
  c(Buffer.concat([sftp.read(6, 'h1', 0n, 32768), sftp.read(7, 'h1', 32768n, 32768)])),
  s(Buffer.concat([sftp.data(6, Buffer.alloc(300, 1)), sftp.status(7, 1)])),
  c(sftp.close(8, 'h1')),
  s(sftp.status(8)),
  c(sftp.rename(9, '/srv/up.txt', '/srv/moved.txt')),
  s(sftp.status(9)),
  c(sftp.posixRename(10, '/srv/moved.txt', '/srv/again.txt')),
  s(sftp.status(10)),
  c(sftp.mkdir(11, '/srv/d')),
  s(sftp.status(11)),
  c(sftp.rmdir(12, '/srv/d')),
  s(sftp.status(12)),
  c(sftp.remove(13, '/srv/again.txt')),
  s(sftp.status(13)),
];

const SESSION_TRANSFERS = [
  { operation: 'upload', path: '/srv/up.txt', bytes: 11, mode: 'sftp' },
  { operation: 'download', path: '/srv/down.bin', bytes: 300, mode: 'sftp' },
  { operation: 'rename', path: '/srv/up.txt', newPath: '/srv/moved.txt', bytes: 0, mode: 'sftp' },
  { operation: 'rename', path: '/srv/moved.txt', newPath: '/srv/again.txt', bytes: 0, mode: 'sftp' },
  { operation: 'mkdir', path: '/srv/d', bytes: 0, mode: 'sftp' },
  { operation: 'rmdir', path: '/srv/d', bytes: 0, mode: 'sftp' },
  { operation: 'remove', path: '/srv/again.txt', bytes: 0, mode: 'sftp' },
];

describe('createSftpTracker', () => {
  it('reports uploads, downloads, both kinds of rename, mkdir, rmdir and remove', () => {
    expect(track(SESSION)).toEqual({ transfers: SESSION_TRANSFERS, errors: [], degraded: false });
  });

  it('reports the same however the chunks are cut, at every byte boundary and byte by byte', () => {
    const longest = Math.max(...SESSION.map(([, b]) => b.length));
    for (let cut = 1; cut < longest; cut++) expect(track(SESSION, cut).transfers, `cut at ${cut}`).toEqual(SESSION_TRANSFERS);
    expect(track(bytewise(SESSION)).transfers).toEqual(SESSION_TRANSFERS);
  });

  it('reports a handle that moved bytes both ways twice, download first', () => {
    const { transfers } = track([
      ...HELLO,
      c(sftp.open(1, '/f', FXF.READ | FXF.WRITE)),
      s(sftp.handle(1, 'h')),
      c(sftp.read(2, 'h', 0n, 10)),
      s(sftp.data(2, Buffer.alloc(10))),
      c(sftp.write(3, 'h', 10n, Buffer.alloc(4))),
      s(sftp.status(3)),
      c(sftp.close(4, 'h')),
      s(sftp.status(4)),
    ]);
    expect(transfers).toEqual([
      { operation: 'download', path: '/f', bytes: 10, mode: 'sftp' },
      { operation: 'upload', path: '/f', bytes: 4, mode: 'sftp' },
    ]);
  });

  it('reports a file opened and closed without reads or writes by its open flags', () => {
    const openClose = (id: number, path: string, pflags: number, handle: string): Chunk[] => [
      c(sftp.open(id, path, pflags)),
      s(sftp.handle(id, handle)),
      c(sftp.close(id + 1, handle)),
      s(sftp.status(id + 1)),
    ];
    const { transfers } = track([
      ...HELLO,
      ...openClose(1, '/empty-put', FXF.WRITE | FXF.CREAT | FXF.TRUNC, 'a'),
      ...openClose(3, '/looked-at', FXF.READ, 'b'),
      ...openClose(5, '/log', FXF.APPEND, 'c'),
    ]);
    expect(transfers.map((t) => [t.operation, t.path, t.bytes])).toEqual([
      ['upload', '/empty-put', 0],
      ['download', '/looked-at', 0],
      ['upload', '/log', 0],
    ]);
  });

  it('reports files never closed at end(), with the bytes moved so far, and not operations left unanswered', () => {
    const { transfers } = track([
      ...HELLO,
      c(sftp.open(1, '/partial', FXF.WRITE)),
      s(sftp.handle(1, 'h')),
      c(sftp.write(2, 'h', 0n, Buffer.alloc(1000))),
      c(sftp.write(3, 'h', 1000n, Buffer.alloc(500))),
      c(sftp.close(4, 'h')), // sent, never answered
      c(sftp.remove(5, '/unanswered')),
    ]);
    expect(transfers).toEqual([{ operation: 'upload', path: '/partial', bytes: 1500, mode: 'sftp' }]);
  });

  it('does not report refused operations, failed opens or directory handles', () => {
    const { transfers } = track([
      ...HELLO,
      c(sftp.remove(1, '/etc/passwd')),
      s(sftp.status(1, 3)), // SSH_FX_PERMISSION_DENIED
      c(sftp.open(2, '/nope', FXF.READ)),
      s(sftp.status(2, 2)), // SSH_FX_NO_SUCH_FILE
      c(sftp.opendir(3, '/srv')),
      s(sftp.handle(3, 'd')),
      c(sftp.readdir(4, 'd')),
      s(sftp.name(4, 'file')),
      c(sftp.close(5, 'd')),
      s(sftp.status(5)),
    ]);
    expect(transfers).toEqual([]);
  });

  it('counts a 1 GiB download in 32 KiB DATA replies without copying them', () => {
    const seen = observe(createSftpTracker);
    const { tracker } = seen;
    tracker.fromClient(sftp.init());
    tracker.fromServer(sftp.version());
    tracker.fromClient(sftp.open(1, '/big', FXF.READ));
    tracker.fromServer(sftp.handle(1, 'h'));
    const payload = Buffer.alloc(32 * 1024); // one buffer, fed over and over
    const header = sftp.data(0, Buffer.alloc(0)).subarray(0, 13);
    for (let id = 2, offset = 0; offset < 2 ** 30; id++, offset += payload.length) {
      tracker.fromClient(sftp.read(id, 'h', BigInt(offset), payload.length));
      header.writeUInt32BE(1 + 4 + 4 + payload.length, 0);
      header.writeUInt32BE(id, 5);
      header.writeUInt32BE(payload.length, 9);
      tracker.fromServer(header);
      tracker.fromServer(payload);
    }
    tracker.end();
    expect(seen.transfers).toEqual([{ operation: 'download', path: '/big', bytes: 2 ** 30, mode: 'sftp' }]);
  });

  it('decodes paths as UTF-8 and cuts them at MAX_PATH_LENGTH', () => {
    const long = `/${'é'.repeat(MAX_PATH_LENGTH + 100)}`;
    const { transfers } = track([
      ...HELLO,
      c(sftp.mkdir(1, long)),
      s(sftp.status(1)),
      c(sftp.mkdir(2, '/dir with space/ü/😀')),
      s(sftp.status(2)),
      c(sftp.remove(3, Buffer.from([0x2f, 0xff, 0x61]))),
      s(sftp.status(3)),
    ]);
    expect(transfers.map((t) => t.path)).toEqual([long.slice(0, MAX_PATH_LENGTH), '/dir with space/ü/😀', '/\ufffda']);
  });

  it('passes over a packet larger than OpenSSH allows, says so, and keeps tracking', () => {
    const { transfers, errors, degraded } = track([
      ...HELLO,
      c(sftp.mkdir(1, `/${'x'.repeat(SFTP_MAX_PACKET_LENGTH)}`)),
      s(sftp.status(1)),
      c(sftp.mkdir(2, '/after')),
      s(sftp.status(2)),
    ]);
    expect(transfers.map((t) => t.path)).toEqual(['/after']);
    expect(errors).toEqual(['ERR_TRANSFER_PACKET_TOO_LARGE']);
    expect(degraded).toBe(true);
  });

  it('passes a listener error to the caller after the chunk, and keeps tracking', () => {
    let calls = 0;
    const tracker = createSftpTracker(() => {
      calls++;
      throw new Error('listener broke');
    });
    tracker.fromClient(sftp.init());
    tracker.fromServer(sftp.version());
    tracker.fromClient(Buffer.concat([sftp.mkdir(1, '/a'), sftp.mkdir(2, '/b')]));
    expect(() => tracker.fromServer(Buffer.concat([sftp.status(1), sftp.status(2)]))).toThrow('listener broke');
    expect(calls).toBe(2);
    tracker.fromClient(sftp.rmdir(3, '/a'));
    expect(() => tracker.fromServer(sftp.status(3))).toThrow('listener broke');
    expect(calls).toBe(3);
    expect(tracker.degraded).toBe(false);
  });
});

describe('createSftpTracker on malformed input', () => {
  const opened: Chunk[] = [...HELLO, c(sftp.open(1, '/open', FXF.WRITE)), s(sftp.handle(1, 'h')), c(sftp.write(2, 'h', 0n, Buffer.alloc(7)))];

  it.each([
    ['a zero packet length', c(Buffer.alloc(4))],
    ['a string longer than its packet', c(packet(13, 9, Buffer.alloc(0)).fill(0xff, 9, 13))],
    ['a WRITE payload longer than its packet', c(Buffer.concat([packet(6, 9, 'h', 0n, 1_000_000), Buffer.alloc(10)]))],
    ['a DATA payload longer than its packet', s(packet(103, 2, 100))],
    ['a handle over 256 bytes', c(sftp.close(9, 'h'.repeat(257)))],
    ['a STATUS without its code', s(packet(101, 2))],
  ])('stops at %s, reports it once and what the open files moved, and never throws', (_what, bad) => {
    const { transfers, errors, degraded } = track([...opened, bad, c(sftp.write(3, 'h', 7n, Buffer.alloc(5))), c(sftp.mkdir(4, '/later')), s(sftp.status(4))]);
    expect(transfers).toEqual([{ operation: 'upload', path: '/open', bytes: 7, mode: 'sftp' }]);
    expect(errors).toEqual(['ERR_TRANSFER_MALFORMED']);
    expect(degraded).toBe(true);
  });

  it('stops when either side does not start the protocol', () => {
    expect(track([c(Buffer.from('SSH-2.0-OpenSSH_9.2\r\n'))]).errors).toEqual(['ERR_TRANSFER_MALFORMED']);
    expect(track([c(sftp.init()), s(Buffer.from('Welcome to the shell!\n'))]).errors).toEqual(['ERR_TRANSFER_MALFORMED']);
  });

  it('stops on an SFTP version other than 3', () => {
    const { errors, degraded } = track([c(sftp.init()), s(sftp.version(6))]);
    expect(errors).toEqual(['ERR_TRANSFER_UNSUPPORTED']);
    expect(degraded).toBe(true);
  });

  it('stops when a peer keeps more requests in flight than any client does', () => {
    const flood = Array.from({ length: 20_000 }, (_, id) => sftp.remove(id, '/x'));
    expect(track([...HELLO, c(Buffer.concat(flood))]).errors).toEqual(['ERR_TRANSFER_TOO_MANY_PENDING']);
  });

  it('never throws on random bytes or on a real session with bytes changed', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const session = Buffer.concat(SESSION.map(([, b]) => b));
    for (let round = 0; round < 300; round++) {
      const chunks = SESSION.map(([side, bytes]): Chunk => {
        const copy = Buffer.from(bytes);
        for (let i = 0; i < copy.length; i++) if (random() < 0.02) copy[i] = Math.floor(random() * 256);
        return [side, copy];
      });
      const noise = Buffer.from(Array.from({ length: 64 }, () => Math.floor(random() * 256)));
      expect(() => track(chunks, Math.floor(random() * session.length))).not.toThrow();
      expect(() => track([...HELLO, c(noise), s(noise)])).not.toThrow();
    }
  });
});
