import { describe, expect, it } from 'vitest';
import { bufferSource, readTarIndex } from './tar-reader.ts';
import { checksum, tarFile, tarHeader, tarTrailer } from './tar-writer.ts';

const MTIME = new Date('2030-01-01T00:00:00Z');

describe('the tar reader', () => {
  it('finds each file’s bytes by offset', async () => {
    const archive = Buffer.concat([tarFile('a.txt', Buffer.from('hello'), MTIME), tarFile('dir/b.txt', Buffer.alloc(600, 1), MTIME), tarTrailer()]);
    const entries = await readTarIndex(bufferSource(archive));
    expect(entries).toEqual([{ name: 'a.txt', offset: 512, size: 5 }, { name: 'dir/b.txt', offset: 1536, size: 600 }]);
    expect(archive.subarray(512, 517).toString()).toBe('hello');
  });

  it('refuses a damaged header, a truncated archive, a link and a name leaving the archive', async () => {
    const file = tarFile('a.txt', Buffer.from('hello'), MTIME);
    const damaged = Buffer.from(file);
    damaged[0] = 0x62;
    const link = tarHeader({ name: 'events.jsonl', size: 0, mtime: MTIME });
    link.write('2', 156);
    link.write(`${checksum(link).toString(8).padStart(6, '0')}\0 `, 148);
    const escape = tarHeader({ name: 'x/y.txt', size: 0, mtime: MTIME });
    escape.write('../y.txt', 0);
    escape.write(`${checksum(escape).toString(8).padStart(6, '0')}\0 `, 148);
    for (const [bytes, message] of [
      [Buffer.concat([damaged, tarTrailer()]), /wrong checksum/],
      [file.subarray(0, 600), /ends at byte 600/],
      [Buffer.concat([link, tarTrailer()]), /type "2"/],
      [Buffer.concat([escape, tarTrailer()]), /not a relative path/],
    ] as const) {
      await expect(readTarIndex(bufferSource(bytes))).rejects.toMatchObject({ code: 'ERR_TAR_FORMAT', message: expect.stringMatching(message) });
    }
  });

  it('refuses to write a name tar could not hold or that leaves the archive', () => {
    for (const name of ['../x', '/etc/passwd', 'a'.repeat(101), 'with space', 'a//b']) expect(() => tarHeader({ name, size: 1, mtime: MTIME })).toThrow(TypeError);
  });
});
